"""keras_gen: a Keras 3 model zoo for image generation (GANs first).

Example:

```python
import keras_gen

dataset = keras_gen.data.load("digits", batch_size=64)
gan = keras_gen.models.GAN.dcgan(image_shape=(28, 28, 1), latent_dim=64)
gan.compile()
gan.fit(dataset, epochs=1)
images = gan.generate(16, seed=0)
```
"""

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
from keras_gen import callbacks, data, losses, metrics, models, networks, presets  # noqa: E402

__version__ = "0.1.0"

__all__ = ["DataError", "callbacks", "data", "losses", "metrics", "models", "networks", "presets",
           "__version__"]
