"""What a model is called or `predict`-ed on, checked before Keras reads it wrongly.

Keras' errors for such inputs named other things or nothing: `gan.predict` on a vector failed
with "as_list() is not defined on an unknown TensorShape", on the wrong width with a graph error
at a MatMul, and `gan(z)` on `(batch, latent_dim, 1)` or `vae(images)` on `(N, 28, 28)` returned
images without a word. `GAN` takes the noise mixin and `VAE` the images one.
"""

import numpy as np
import tensorflow as tf


def check_input_shape(value, expected, consumer, what, fix):
    """Raises `ValueError` unless `value`'s known shape matches `expected` (None: any size).

    Unknown shapes (a traced symbolic input) and what is not an array (a dataset) pass.

    Args:
        value: array-like or tensor.
        expected: tuple of int or None, e.g. `(None, 64)`.
        consumer: str. Who takes the input, at the head of the error, e.g. `"GAN.predict"`.
        what: str. What the input is, e.g. `"noise z"`.
        fix: str. How to make the right input.

    Example:

    ```python
    check_input_shape(np.zeros(64), (None, 64), "GAN", "noise z", "...")  # ValueError
    ```
    """
    shape = _known_shape(value)
    if shape is not None and (len(shape) != len(expected) or any(
            wanted is not None and size not in (None, wanted)
            for size, wanted in zip(shape, expected))):
        wanted = "(" + ", ".join("batch" if size is None else str(size) for size in expected) + ")"
        raise ValueError(f"{consumer} takes {what} of shape {wanted}; received shape {shape}. "
                         f"{fix}")


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


class _CheckedCallInputMixin:
    """`predict` and `call` check the main input (a conditional model's first) first."""

    def _check_call_input(self, inputs, consumer):
        if getattr(self, "num_classes", None) is None:
            main = inputs
        elif isinstance(inputs, (list, tuple)) and len(inputs) == 2:
            main = inputs[0]
        else:
            return  # `call` says what a conditional model is called on
        check_input_shape(main, self._call_input_shape(), consumer, *self._CALL_INPUT)

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict`, with array inputs checked first (see `check_input_shape`)."""
        self._check_call_input(x, f"{type(self).__name__}.predict")
        return super().predict(x, *args, **kwargs)


class NoiseInputMixin(_CheckedCallInputMixin):
    """The noise a `GAN` draws (`sample_noise`) and takes (`call`, `predict`).

    Example:

    ```python
    images = gan.predict(gan.sample_noise(16, seed=0))
    ```
    """

    _CALL_INPUT = ("noise z", "Draw it with sample_noise(n, seed), or call generate(n, "
                              "seed=...), which draws it itself.")

    def _call_input_shape(self):
        return (None, self.latent_dim)

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


class ImageInputMixin(_CheckedCallInputMixin):
    """The images a `VAE` is called or `predict`-ed on, checked as `reconstruct` checks them.

    Example:

    ```python
    reconstructions = vae.predict(test_images)  # (N, 28, 28, 1) in [-1, 1]
    ```
    """

    _CALL_INPUT = ("images", "Load them at the model's size (keras_gen.data.load(..., "
                             "image_size=..., channels=...)); for one image pass images[None].")

    def _call_input_shape(self):
        return (None, *self.image_shape)
