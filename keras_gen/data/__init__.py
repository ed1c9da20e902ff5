"""Datasets as `tf.data` pipelines of `(images in [-1, 1], int32 labels)`.

Example:

```python
import keras_gen

train = keras_gen.data.load("digits", batch_size=64)            # embedded, offline
mnist = keras_gen.data.load("../shared/data/mnist", split="test")  # local IDX files
```
"""

from keras_gen.data.pipeline import (EMBEDDED_DATASET, from_arrays, load, load_arrays,
                                     looks_like_path)
from keras_gen.data.image_folder import image_folder_class_names
from keras_gen.data.readers import check_dataset_exists, is_image_folder, read_local
from keras_gen.errors import DataError

__all__ = ["EMBEDDED_DATASET", "DataError", "check_dataset_exists", "from_arrays",
           "image_folder_class_names", "is_image_folder", "load", "load_arrays",
           "looks_like_path", "read_local"]
