"""Image conversions shared by every data source: size, channels and value range."""

import numpy as np

from keras_gen.errors import DataError
from keras_gen.utils.arguments import is_int


def convert_images(images, image_size=None, channels=None, source="dataset"):
    """Resizes uint8 NHWC images and converts their channel count.

    Conversion happens only when asked for: grayscale becomes RGB by repeating
    the channel and RGB becomes grayscale by luminance (ITU-R 601).

    Args:
        images: uint8 array `(N, H, W, C)`.
        image_size: optional int or `(height, width)`. Target size (bilinear,
            antialiased when shrinking).
        channels: optional int, 1 or 3. Target channel count.
        source: str. Named in error messages.

    Returns:
        uint8 array `(N, image_size..., channels)`.

    Example:

    ```python
    rgb_32 = convert_images(mnist_images, image_size=32, channels=3)
    ```
    """
    import tensorflow as tf

    if channels is not None and channels not in (1, 3):
        raise DataError(f"channels must be 1 or 3. Received: channels={channels!r}")
    size = _as_size(image_size)
    if size is not None and tuple(images.shape[1:3]) != size:
        resized = tf.image.resize(images, size, method="bilinear", antialias=True)
        images = np.clip(np.round(resized.numpy()), 0, 255).astype(np.uint8)
    have = images.shape[-1]
    if channels is not None and have != channels:
        if have == 1:
            images = np.repeat(images, 3, axis=-1)
        elif have == 3:
            images = tf.image.rgb_to_grayscale(images).numpy()
        else:
            raise DataError(f"Images from {source!r} have {have} channels; expected 1 or 3.")
    return images


def _as_size(image_size):
    if image_size is None:
        return None
    size = (image_size, image_size) if is_int(image_size) else image_size
    valid = (
        isinstance(size, (tuple, list))
        and len(size) == 2
        and all(is_int(side) and side > 0 for side in size)
    )
    if not valid:
        raise DataError(
            "image_size must be a positive int or a (height, width) pair of positive ints. "
            f"Received: image_size={image_size!r}"
        )
    return tuple(size)


def to_unit_range(images):
    """Maps uint8 images in [0, 255] to float32 in [-1, 1], the generators' tanh range.

    Args:
        images: uint8 tensor or array.

    Returns:
        float32 tensor in [-1, 1].

    Raises:
        DataError: for float images, which would all land near -1 (a [0, 1] image maps to
            [-1, -0.992]: black), with the fix.

    Example:

    ```python
    x = to_unit_range(np.array([0, 255], np.uint8))  # [-1., 1.]
    ```
    """
    import tensorflow as tf

    dtype = getattr(images, "dtype", None)
    if dtype is not None and not tf.as_dtype(dtype).is_integer:
        raise DataError(
            "to_unit_range maps 0-255 integer images to [-1, 1]; received "
            f"{tf.as_dtype(dtype).name} images. Float images count as scaled already: use [-1, 1] "
            "ones as they are, and map [0, 1] ones with images * 2 - 1.")
    return tf.cast(images, tf.float32) / 127.5 - 1.0
