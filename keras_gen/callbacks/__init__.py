"""Training callbacks: sample grids, safe checkpoints and backups, histories, quality.

Example:

```python
from keras_gen.callbacks import FiniteModelCheckpoint, ImageGrid

gan.fit(dataset, epochs=10, callbacks=[ImageGrid("samples"), FiniteModelCheckpoint("ckpt.keras")])
```
"""

from keras_gen.callbacks.backup import EpochBackupAndRestore
from keras_gen.callbacks.checkpoint import FiniteModelCheckpoint
from keras_gen.callbacks.image_grid import ImageGrid
from keras_gen.callbacks.json_history import JsonHistory
from keras_gen.callbacks.quality_monitor import QualityMonitor

__all__ = ["EpochBackupAndRestore", "FiniteModelCheckpoint", "ImageGrid", "JsonHistory",
           "QualityMonitor"]
