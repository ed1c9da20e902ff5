"""The noise a GAN draws, and checks of the noise it is called or `predict`-ed on."""

import numpy as np
import tensorflow as tf


def check_noise(z, latent_dim, consumer):
    """Raises `ValueError` unless `z`'s known shape is `(batch, latent_dim)`.

    Keras' errors for such noise named other things or nothing: `predict` on a vector failed
    with "as_list() is not defined on an unknown TensorShape", on the wrong width with a graph
    error at a MatMul, and a call on `(batch, latent_dim, 1)` returned images without a word.
    Unknown shapes (a traced symbolic input) pass.

    Args:
        z: array-like or tensor. The noise.
        latent_dim: int. The generator's noise width.
        consumer: str. Who takes the noise, at the head of the error, e.g. `"GAN.predict"`.

    Example:

    ```python
    check_noise(np.zeros((4, 64)), 64, "GAN")  # passes; np.zeros(64) raises
    ```
    """
    shape = _known_shape(z)
    if shape is not None and (len(shape) != 2 or shape[1] not in (None, latent_dim)):
        raise ValueError(
            f"{consumer} takes noise z of shape (batch, {latent_dim}); received shape {shape}. "
            "Draw it with sample_noise(n, seed), or call generate(n, seed=...), which draws it "
            "itself.")


def _known_shape(value):
    """`value`'s shape as a tuple, or None when it is unknown or `value` is not an array."""
    shape = getattr(value, "shape", None)
    if shape is None and isinstance(value, (list, tuple)):
        try:
            shape = np.shape(value)
        except ValueError:  # ragged lists: Keras refuses them itself
            return None
    if shape is None or isinstance(shape, tf.TensorShape) and shape.rank is None:
        return None
    return tuple(shape)


class NoiseInputMixin:
    """The noise a `GAN` draws (`sample_noise`) and takes (`predict`, checked before Keras).

    Example:

    ```python
    images = gan.predict(gan.sample_noise(16, seed=0))
    ```
    """

    def sample_noise(self, num_images, seed):
        """Returns the noise `generate(num_images, seed)` uses: float32 `(num_images, latent_dim)`.

        Args:
            num_images: int. Rows to draw.
            seed: int. Stateless seed.

        Example:

        ```python
        z = gan.sample_noise(4, seed=7)
        ```
        """
        return tf.random.stateless_normal((num_images, self.latent_dim), seed=[seed, 0])

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict`, with array noise checked first (see `check_noise`)."""
        conditional = getattr(self, "num_classes", None) is not None
        z = x[0] if conditional and isinstance(x, (list, tuple)) and len(x) == 2 else x
        if not conditional or z is not x:
            check_noise(z, self.latent_dim, f"{type(self).__name__}.predict")
        return super().predict(x, *args, **kwargs)
