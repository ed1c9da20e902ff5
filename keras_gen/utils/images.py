"""Image conversion, the [-1, 1] range check, and grids for looking at samples."""

import math
import os
import warnings

import numpy as np

from keras_gen.errors import DataError
from keras_gen.utils.arguments import check_positive_int, is_int
from keras_gen.utils.files import atomic_path


def to_uint8(images):
    """Maps images in [-1, 1] to uint8 in [0, 255] (values outside are clipped, NaN is black).

    Args:
        images: array-like float images in [-1, 1].

    Returns:
        uint8 numpy array of the same shape.

    Example:

    ```python
    to_uint8(np.array([-1.0, 0.0, 1.0]))  # [0, 128, 255]
    ```
    """
    array = np.asarray(images)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        # None became a 0-d black image, and a None among numbers a black pixel.
        raise ValueError(f"images must be numbers (float images in [-1, 1]); received "
                         f"{type(images).__name__} of dtype {array.dtype}: "
                         f"{str(images)[:60]}")
    # NaN (a diverged model's samples) has no uint8 value: numpy's cast warned and gave 0.
    images = np.nan_to_num(array.astype(np.float32), nan=-1.0, posinf=1.0, neginf=-1.0)
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


# How far outside [-1, 1] an image may stray and still count as in range: float arithmetic,
# not 0-255 or [0, 1.5] images. Shared with the dataset check in `fit` (models.data_check).
RANGE_SLACK = 0.001
SCALING_HINT = ("Scale 0-255 images with images / 127.5 - 1 (keras_gen.data.transforms."
                "to_unit_range), [0, 1] ones with images * 2 - 1.")
# An image set looks scaled with x / 255 when no value is below 0 and some value is above this:
# arrays of zeros (mid-grey test inputs, which no / 255 makes) are not warned about.
UNIT_RANGE_BRIGHT = 0.5


def warn_if_unit_range(images, consumer, consequence, stacklevel=1):
    """Warns when every value of an image set lies in [0, 1]: most likely `x / 255`.

    Such images pass the range check (a bright [-1, 1] set looks the same) and are used as they
    are. Real images scaled to [-1, 1] have dark pixels somewhere, so a whole set without one
    points to a scaling mistake without proving it: hence a warning, not an error. Arrays of
    zeros (mid-grey test inputs, which no `/ 255` makes) pass: the largest value must exceed 0.5.

    Args:
        images: array-like. A whole image set (a batch proves less).
        consumer: str. Who reads the images, at the head of the warning.
        consequence: str. What happens to images left as they are.
        stacklevel: int. Which frame the warning names, counted from the caller (1 = the
            caller's line, 2 = its caller's, ...).

    Example:

    ```python
    warn_if_unit_range(x_train / 255, "GAN.fit", "these train to grey-backed samples")
    ```
    """
    images = np.asarray(images)
    if images.dtype.kind != "f" or not images.size:
        return  # integer pixels (0-255) are refused by the range check, not taken as [0, 1]
    if images.min() >= 0 and UNIT_RANGE_BRIGHT < images.max() <= 1 + RANGE_SLACK:
        warnings.warn(unit_range_message(consumer, consequence), stacklevel=stacklevel + 1)


def unit_range_message(consumer, consequence, values="every image value"):
    """The warning for images that lie wholly in [0, 1] (see `warn_if_unit_range`).

    Args:
        consumer: str. Who reads the images, at the head of the warning.
        consequence: str. What happens to images left as they are.
        values: str. Which values were looked at.

    Example:

    ```python
    unit_range_message("GAN.fit", "these train to grey-backed samples")
    ```
    """
    return (f"{consumer}: {values} is in [0, 1], but keras_gen reads images in [-1, 1] (-1 is "
            f"black), so {consequence}. {SCALING_HINT} Ignore this if your images have no dark "
            "pixels.")


def model_range_images(images, consumer):
    """`images` as float32, once they are finite floats in [-1, 1] (keras_gen's image range).

    Args:
        images: array-like `(N, H, W, C)`.
        consumer: str. What takes the images, named in the error (e.g. `"encode"`).

    Returns:
        float32 numpy array.

    Raises:
        DataError: for a path (saying how to load it), values that are not numbers, integer
            dtypes (0-255 images), NaN or infinite values, or values more than 0.001 outside
            [-1, 1]; the message says how to scale.

    Example:

    ```python
    images = model_range_images(images, "the mnist classifier")
    ```
    """
    if isinstance(images, (str, os.PathLike)):  # `keras-gen evaluate --dataset` takes a path
        raise DataError(
            f"{consumer} takes float images in [-1, 1], not a path; received {images!r}. Load "
            "them first: images, labels = keras_gen.data.load_arrays(path), then images / "
            "127.5 - 1.")
    original, images = images, np.asarray(images)
    if images.dtype.kind in "biu":
        raise DataError(
            f"{consumer} takes float images in [-1, 1]; received {images.dtype} values. Scale "
            "0-255 images with images / 127.5 - 1 (keras_gen.data.transforms.to_unit_range).")
    if images.dtype.kind != "f":  # None, strings: "could not convert string to float"
        raise DataError(f"{consumer} takes float images in [-1, 1]; received {original!r:.60}.")
    images = images.astype(np.float32, copy=False)
    if images.size and not np.isfinite(images).all():
        raise DataError(f"{consumer} takes float images in [-1, 1]; received NaN or infinite "
                        "values.")
    if images.size and (images.min() < -1 - RANGE_SLACK or images.max() > 1 + RANGE_SLACK):
        raise DataError(
            f"{consumer} takes float images in [-1, 1]; received values from {images.min():g} "
            f"to {images.max():g}. {SCALING_HINT}")
    return images


def model_range_batch(images, consumer, image_shape=None, min_count=0):
    """`model_range_images`, once they are a batch `(N, H, W, C)` of at least `min_count` images.

    Args:
        images: array-like.
        consumer: str. What takes the images, named in the error.
        image_shape: optional tuple. One image's shape, shown in the error.
        min_count: int. The fewest images taken (1 where an empty batch cannot be scored).

    Raises:
        DataError: as `model_range_images`, or for images that are not such a batch (one image,
            greyscale images without their channel axis) or too few, with the fix their shape
            needs (`images[None]`, `images[..., None]`).

    Example:

    ```python
    images = model_range_batch(images, "encode", (28, 28, 1))
    ```
    """
    images = model_range_images(images, consumer)
    if images.ndim != 4 or len(images) < min_count:
        shape = (f"shaped (N, {', '.join(map(str, image_shape))})" if image_shape
                 else "(N, height, width, channels)")
        count = f" with N >= {min_count}" if min_count else ""
        raise DataError(f"{consumer} takes a batch of images {shape}{count}; received shape "
                        f"{images.shape}.{batch_shape_fix(images.shape, image_shape)}")
    return images


def batch_shape_fix(shape, image_shape=None):
    """The indexing that makes `shape` a batch of images, as a sentence; "" if none would.

    Three axes are one image, or a batch of greyscale images without their channel axis
    (`keras.datasets.mnist` gives `(N, 28, 28)`), for which `images[None]` would be wrong.

    Args:
        shape: tuple. The shape received (its sizes may be None).
        image_shape: optional tuple. One image's shape that is wanted, e.g. `(28, 28, 1)`.

    Example:

    ```python
    batch_shape_fix((60000, 28, 28), (28, 28, 1))  # " For greyscale images ... images[..., None]."
    ```
    """
    if len(shape) == 2:
        return " For one greyscale image pass images[None, ..., None]."
    if len(shape) != 3:
        return ""
    if image_shape is not None:
        greyscale_batch = image_shape[-1] == 1 and tuple(shape[1:]) == tuple(image_shape[:2])
        one_image = tuple(shape) == tuple(image_shape)
    else:  # one image ends in its channels
        greyscale_batch = shape[-1] not in (1, 3)
        one_image = not greyscale_batch
    if greyscale_batch:
        return " For greyscale images without their channel axis pass images[..., None]."
    return " For one image pass images[None]." if one_image else ""


def refuse_integer_images(images, consumer):
    """Refuses a batch of integer images (a uint8 dataset) by its dtype, before any value is seen.

    Called where a model's `train_step` is traced, so it costs nothing per step: a uint8 dataset
    otherwise trains without an error, on 0-255 values (a GAN's discriminator separates them at
    once, a VAE's loss runs to NaN).

    Args:
        images: a tensor or array; only its dtype is read.
        consumer: str. The model, named in the error.

    Example:

    ```python
    refuse_integer_images(real, "GAN")  # in train_step; DataError for uint8
    ```
    """
    import tensorflow as tf

    dtype = tf.as_dtype(images.dtype)
    if dtype.is_integer or dtype.is_bool:
        raise DataError(
            f"{consumer} takes float images in [-1, 1]; the dataset yields {dtype.name} images. "
            "Map them with keras_gen.data.transforms.to_unit_range (x / 127.5 - 1), or load "
            "them with keras_gen.data.load, which does.")


def make_grid(images, columns=None, padding=2):
    """Tiles a batch of images into one image, row by row.

    Args:
        images: array `(N, H, W, C)`: floats in [-1, 1] (what the models generate), or uint8
            pixels, shown as they are.
        columns: optional int. Images per row; defaults to `ceil(sqrt(N))`.
        padding: int. Pixels of black between images.

    Returns:
        uint8 array `(rows * (H + padding) + padding, ..., C)`.

    Raises:
        DataError: for float values outside [-1, 1] (0-255 floats were all white) or integers
            other than uint8, with the fix.

    Warns:
        RuntimeWarning: for NaN or infinite values (a diverged model's); NaN is drawn black.

    Example:

    ```python
    grid = make_grid(gan.generate(64, seed=0))  # 8 x 8 tiles
    ```
    """
    images = np.asarray(images)
    if images.ndim != 4 or not len(images):
        raise ValueError(f"images must be (N, H, W, C) with N >= 1. Received shape "
                         f"{images.shape}.{batch_shape_fix(images.shape)}")
    if images.shape[-1] not in (1, 3, 4):  # 2 made a grid that no PNG writer takes
        raise ValueError(f"images must have 1 (grey), 3 (RGB) or 4 (RGBA) channels. Received "
                         f"shape {images.shape}")
    if not is_int(padding) or padding < 0:  # -1 failed to broadcast, 1.5 in numpy
        raise ValueError(f"padding must be an int >= 0. Received: padding={padding!r}")
    if images.dtype != np.uint8:  # uint8 pixels were read as [-1, 1] values: 0 became grey
        images = to_uint8(_display_range(images))
    count, height, width, channels = images.shape
    if columns is None:
        columns = math.ceil(math.sqrt(count))
    else:
        check_positive_int("columns", columns)
    rows = math.ceil(count / columns)
    grid = np.zeros((rows * (height + padding) + padding,
                     columns * (width + padding) + padding, channels), dtype=np.uint8)
    for index, image in enumerate(images):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def _display_range(images):
    """Float `images` once their finite values are in [-1, 1]; NaN (a diverged model) passes."""
    if images.dtype.kind in "biu":
        raise DataError(f"make_grid takes float images in [-1, 1], or uint8 pixels; received "
                        f"{images.dtype} values. Pass 0-255 images as uint8.")
    finite_mask = np.isfinite(images)
    finite = images[finite_mask]
    if finite.size < images.size:
        # Drawn (NaN black) so that ImageGrid does not stop the run, but a black tile alone
        # says nothing of why.
        bad = int((~finite_mask).reshape(len(images), -1).any(axis=1).sum())
        warnings.warn(f"make_grid: {bad} of {len(images)} images hold NaN or infinite values; "
                      "the model that made them has likely diverged (see the losses).",
                      RuntimeWarning, stacklevel=3)
    if finite.size and (finite.min() < -1 - RANGE_SLACK or finite.max() > 1 + RANGE_SLACK):
        raise DataError(f"make_grid takes float images in [-1, 1], or uint8 pixels; received "
                        f"values from {finite.min():g} to {finite.max():g}. {SCALING_HINT}")
    return images


def save_image_grid(images, path, columns=None, scale=4):
    """Saves a grid of images as a PNG (written atomically) with matplotlib.

    Args:
        images: array `(N, H, W, C)`: floats in [-1, 1], or uint8 pixels (see `make_grid`).
        path: str. Destination `.png`.
        columns: optional int. Images per row.
        scale: int. Nearest-neighbour upscaling, so 28x28 digits are visible.

    Returns:
        The uint8 grid that was written.

    Example:

    ```python
    save_image_grid(gan.generate(64, seed=0), "samples.png")
    ```
    """
    import matplotlib.image

    if not str(path).lower().endswith(".png"):
        # A PNG under another name (samples.jpg) is what was written before this check.
        raise ValueError(f"save_image_grid writes PNG files; give the path a .png ending. "
                         f"Received: {path!r}")
    check_positive_int("scale", scale)  # 0 and -1 failed in matplotlib and numpy
    grid = make_grid(images, columns)
    big = np.repeat(np.repeat(grid, scale, axis=0), scale, axis=1)
    with atomic_path(path) as temporary:
        if big.shape[-1] == 1:
            matplotlib.image.imsave(temporary, big[..., 0], cmap="gray", vmin=0, vmax=255,
                                    format="png")
        else:
            matplotlib.image.imsave(temporary, big, format="png")
    return grid
