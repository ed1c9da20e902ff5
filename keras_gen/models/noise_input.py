"""Checking the noise a GAN is called or `predict`-ed on, before Keras reads it wrongly."""

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
    """Gives `GAN` a `predict` that checks the noise (arrays, tensors) before Keras does.

    Example:

    ```python
    images = gan.predict(gan.sample_noise(16, seed=0))
    ```
    """

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict`, with array noise checked first (see `check_noise`)."""
        conditional = getattr(self, "num_classes", None) is not None
        z = x[0] if conditional and isinstance(x, (list, tuple)) and len(x) == 2 else x
        if not conditional or z is not x:
            check_noise(z, self.latent_dim, f"{type(self).__name__}.predict")
        return super().predict(x, *args, **kwargs)
