"""SavedModel export for TensorFlow Serving.

Example:

```python
from keras_gen import export

path = export.export_saved_model(gan, "saved_models/dcgan_digits")  # .../dcgan_digits/1
export.write_models_config("saved_models")
```
"""

from keras_gen.export.models_config import (read_models_config, served_versions,
                                            write_models_config)
from keras_gen.export.saved_model import check_model_name, existing_versions, export_saved_model
from keras_gen.export.session_model import SessionModel, run_with_session_loader
from keras_gen.export.signatures import signatures_for
from keras_gen.export.verify import ExportMismatch, verify_export

__all__ = ["ExportMismatch", "SessionModel", "check_model_name", "existing_versions",
           "export_saved_model", "read_models_config", "run_with_session_loader",
           "served_versions", "signatures_for", "verify_export", "write_models_config"]
