"""What a model is called or `predict`-ed on, checked before Keras reads it wrongly.

Keras' errors for such inputs named other things or nothing: `gan.predict` on a vector failed
with "as_list() is not defined on an unknown TensorShape", on the wrong width with a graph error
at a MatMul, and `gan(z)` on `(batch, latent_dim, 1)` or `vae(images)` on `(N, 28, 28)` returned
images without a word. `GAN` takes the noise mixin and `VAE` the images one; both check the
image batches their training steps take with `ensure_image_batch`.
"""

import numpy as np
import tensorflow as tf

from keras_gen.models.input_structure import describe
from keras_gen.models.randomness import sampling_seed
from keras_gen.utils.arguments import check_positive_int
from keras_gen.utils.images import batch_shape_fix


def check_input_shape(value, expected, consumer, what, fix, error=ValueError):
    """Raises `error` unless `value`'s known shape matches `expected` (None: any size).

    Unknown shapes (a traced symbolic input) and what is not an array (a dataset) pass.

    Args:
        value: array-like, tensor or `TensorSpec`.
        expected: tuple of int or None, e.g. `(None, 64)`.
        consumer: str. Who takes the input, at the head of the error, e.g. `"GAN.predict"`.
        what: str. What the input is, e.g. `"noise z"`.
        fix: str. How to make the right input.
        error: the exception class raised; `fit`'s data checks raise `DataError`.

    Example:

    ```python
    check_input_shape(np.zeros(64), (None, 64), "GAN", "noise z", "...")  # ValueError
    ```
    """
    shape = _known_shape(value)
    if shape is not None and (len(shape) != len(expected) or any(
            wanted is not None and size not in (None, wanted)
            for size, wanted in zip(shape, expected))):
        raise error(f"{consumer} takes {what} of shape {_described(expected)}; received "
                    f"shape {shape}. {fix}")


def ensure_image_batch(images, image_shape, consumer, fix):
    """`images`, once they are a batch of `image_shape` images; for a model's `train_step`.

    What the trace knows of their shape is checked as it is traced (`check_input_shape`), the
    rest when the step runs (`image_shape_assert`; XLA drops that, and `fit` checks a dataset's
    batches ahead of the step for it): a dataset made with `from_generator` or a `py_function`
    declares no sizes, and a static check alone refused its right-sized images (or failed with
    "Cannot iterate over a shape with unknown rank", as it did when a second `fit` took other
    data).

    Args:
        images: tensor (or array) of images.
        image_shape: tuple of int. One image's shape, e.g. `(28, 28, 1)`.
        consumer: str. Who takes them, at the head of the error, e.g. `"GAN"`.
        fix: str. How to make the right input (no apostrophe: TensorFlow escapes it in an
            assertion's message).

    Returns:
        `images`, with their static shape set to `(None, *image_shape)` when it was unknown.

    Example:

    ```python
    real = ensure_image_batch(real, (28, 28, 1), "GAN", "Load the data at 28x28.")
    ```
    """
    check_image_batch_shape(images, image_shape, consumer, fix)
    check = image_shape_assert(images, image_shape, consumer, fix) if tf.is_tensor(images) else None
    if check is None:
        return images
    with tf.control_dependencies([check]):
        images = tf.identity(images)
    # Not tf.ensure_shape: TensorFlow checks that while it optimizes the graph for the batch's
    # shape, before the assertion runs, with a message that names neither model nor fix.
    images.set_shape((None, *image_shape))
    return images


def check_image_batch_shape(images, image_shape, consumer, fix, error=ValueError):
    """Raises `error` unless what is known of `images`' shape is a batch of `image_shape` images.

    A batch without its channel axis, or one image, is shown the indexing that fixes it ahead
    of `fix`.

    Args:
        images: array, tensor or `TensorSpec` of images.
        image_shape: tuple of int. One image's shape, e.g. `(28, 28, 1)`.
        consumer: str. Who takes them, at the head of the error, e.g. `"GAN.fit"`.
        fix: str. How to make the right input otherwise.
        error: the exception class raised.

    Example:

    ```python
    check_image_batch_shape(np.zeros((8, 28, 28)), (28, 28, 1), "GAN", "")  # ValueError
    ```
    """
    shape = _known_shape(images)
    if shape is not None and len(shape) == 3:  # a batch without its channel axis, or one image
        fix = (batch_shape_fix(shape, image_shape) + " " + fix).lstrip()
    check_input_shape(images, (None, *image_shape), consumer, "images", fix, error)


def image_shape_assert(images, image_shape, consumer, fix):
    """An `Assert` that a batch tensor holds `image_shape` images, for the sizes its static
    shape leaves unknown; None when it knows them all (`check_input_shape` checks those).

    Args:
        images: tensor of images.
        image_shape: tuple of int. One image's shape.
        consumer: str. Who takes them, at the head of the message.
        fix: str. How to make the right input, at its end.

    Returns:
        the `Assert` op, or None.

    Example:

    ```python
    check = image_shape_assert(images, (28, 28, 1), "GAN.fit", "Resize them.")
    ```
    """
    if images.shape.rank == len(image_shape) + 1 and images.shape[1:].is_fully_defined():
        return None
    actual = tf.shape(images)
    # Padded, so a batch of another rank is compared without a shape error of its own.
    sizes = tf.concat([actual[1:], tf.fill([len(image_shape)], -1)], axis=0)[:len(image_shape)]
    matches = tf.logical_and(tf.equal(tf.size(actual), len(image_shape) + 1),
                             tf.reduce_all(tf.equal(sizes, image_shape)))
    message = tf.strings.format(
        f"{consumer} takes images of shape {_described((None, *image_shape))}; received shape "
        f"{{}}. {fix}", actual, summarize=-1)
    return tf.debugging.Assert(matches, [message])


def _described(shape):
    return "(" + ", ".join("batch" if size is None else str(size) for size in shape) + ")"


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


def check_num_images(model, num_images, own_noise):
    """`generate`'s `num_images` as an int; `ValueError` otherwise, telling noise passed for it
    how to make images from that noise (`own_noise`).

    Args:
        model: the model whose `generate` was called, named in the message.
        num_images: what was passed.
        own_noise: str. How the model turns noise of one's own into images.

    Example:

    ```python
    num_images = check_num_images(gan, num_images, "call the model on it: gan.predict(z)")
    ```
    """
    if np.ndim(num_images):
        # gan.generate(z) was told "num_images must be a positive int", with all of z printed.
        raise ValueError(f"{type(model).__name__}.generate takes how many images to draw (an "
                         f"int); received {describe(num_images)}. To make images from noise of "
                         f"your own, {own_noise}.")
    is_array = isinstance(num_images, (np.ndarray, tf.Tensor))
    if is_array and tf.as_dtype(num_images.dtype).is_integer:
        num_images = int(num_images)  # a count all the same: tf.constant(3), np.array(3)
    return check_positive_int("num_images", num_images)


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
        shape = _known_shape(main)
        if shape and shape[0] == 0:
            # TensorFlow's oneDNN convolutions gave `gan(z)` images of 4 channels for 1, a
            # VAE's failed in a Conv2D, and Keras' predict with an UnboundLocalError.
            raise ValueError(f"{consumer} received an empty batch ({self._CALL_INPUT[0]} of "
                             f"shape {shape}); pass at least one example.")

    def call_input_signature(self):
        """The inputs `call` takes, as `keras.Model.export(input_signature=...)` wants them.

        Keras infers a subclassed model's signature from its first call, which a keras_gen
        model, built in its constructor, never records ("The model provided has never
        called"); `export` to Keras' other formats passes this instead.

        Returns:
            list: `[spec]`, or `[[spec, labels spec]]` for a conditional model.

        Example:

        ```python
        gan.call_input_signature()  # [TensorSpec(shape=(None, 64), dtype=tf.float32, ...)]
        ```
        """
        main = tf.TensorSpec(self._call_input_shape(), tf.float32,
                             name=self._CALL_INPUT[0].split()[-1])
        if getattr(self, "num_classes", None) is None:
            return [main]
        return [[main, tf.TensorSpec((None,), tf.int32, name="labels")]]

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
            num_images: int >= 1. Rows to draw.
            seed: int, or None for a fresh one. Stateless seed.

        Example:

        ```python
        z = gan.sample_noise(4, seed=7)
        ```
        """
        # Checked here: -1, 2.0, "a" and None failed inside TensorFlow's random op.
        num_images = check_positive_int("num_images", num_images)
        return tf.random.stateless_normal((num_images, self.latent_dim),
                                          seed=[sampling_seed(seed), 0])


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
