"""keras_gen: a Keras 3 model zoo for image generation (GANs first).

Example:

```python
import keras_gen

dataset = keras_gen.data.load("digits", batch_size=64)
gan = keras_gen.recipes.build_gan("dcgan", image_shape=(28, 28, 1), latent_dim=64)  # compiled
gan.fit(dataset, epochs=1)
images = gan.generate(16, seed=0)
```
"""

import importlib
import os

# keras_gen's training steps use TensorFlow ops (GradientTape, tf.distribute),
# so Keras must run on the TensorFlow backend. Respect an explicit choice.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        "keras_gen needs Keras' TensorFlow backend, but Keras runs on "
        f"{keras.backend.backend()!r}. "
        "Set KERAS_BACKEND=tensorflow before importing keras (or keras_gen first)."
    )

from keras_gen.errors import DataError  # noqa: E402
from keras_gen import (  # noqa: E402
    callbacks, data, export, losses, metrics, models, networks, presets, recipes, saving,
    training, transfer, utils)

__version__ = "0.1.0"

__all__ = ["DataError", "callbacks", "data", "export", "losses", "metrics", "models", "networks",
           "presets", "recipes", "saving", "serving", "training", "transfer", "utils",
           "__version__"]


def __getattr__(name):
    # `serving` needs the [serve] extra (werkzeug, waitress, orjson, requests), so it is
    # imported on first use: `import keras_gen` works without it.
    if name != "serving":
        raise AttributeError(f"module 'keras_gen' has no attribute {name!r}")
    try:
        return importlib.import_module("keras_gen.serving")
    except ModuleNotFoundError as error:
        raise ImportError(f"keras_gen.serving needs {error.name.split('.')[0]!r}, from the serve "
                          "extra: pip install 'keras_gen[serve]'") from error
