"""`load()`: one entry point from a dataset name or path to a `tf.data.Dataset`."""

import os

import numpy as np

from keras_gen.data.readers import read_local
from keras_gen.data.sources import load_digits, load_tfds
from keras_gen.data.tfds_reading import names_tfds_config
from keras_gen.data.transforms import convert_images, to_unit_range
from keras_gen.errors import DataError
from keras_gen.utils.arguments import check_bool, check_positive_int, is_int

EMBEDDED_DATASET = "digits"
# Digits are 8x8 scans; resizing them to MNIST's 28x28 lets one network serve both.
_DIGITS_DEFAULT_SIZE = 28


def load_arrays(source=EMBEDDED_DATASET, split="train", image_size=None, channels=None,
                limit=None, data_dir=None, download=True):
    """Loads a dataset into memory as uint8 NHWC images and int32 labels.

    Args:
        source: str. `"digits"` (embedded), a local path (IDX folder, CIFAR folder,
            `.npz` or image folder) or a TFDS name such as `"mnist"` or `"lsun/bedroom"`.
        split: str. `"train"` or `"test"`; for a TFDS dataset any split or slice TFDS
            reads (`"validation"`, `"train[:90%]"`, `"train+test"`), and `"test"` is its
            `"validation"` where it has no test split.
        image_size: optional int or `(height, width)`. Resize to this size.
            Digits default to 28.
        channels: optional int, 1 or 3. Convert to this many channels.
        limit: optional int. Keep only the first `limit` examples (an image folder's are
            taken from each class in turn, so every class is kept).
        data_dir: optional str. TFDS data directory for named datasets.
        download: bool. Whether TFDS may download a named dataset.

    Returns:
        `(images, labels)`.

    Example:

    ```python
    images, labels = load_arrays("digits", split="test")  # (360, 28, 28, 1)
    ```
    """
    if not isinstance(source, (str, os.PathLike)) or not str(source):
        raise DataError(
            f"source must be a dataset name or a path. Received: source={source!r}"
        )
    source = os.fspath(source)
    if not isinstance(split, str) or not split:
        raise DataError(f"split must be a split's name, e.g. 'train' or 'test'. Received: "
                        f"split={split!r}")
    if limit is not None and (not is_int(limit) or limit <= 0):
        raise DataError(f"limit must be a positive int or None. Received: limit={limit!r}")
    check_bool("download", download, DataError)  # "no" is truthy: it would have downloaded
    if source == EMBEDDED_DATASET:
        images, labels = load_digits(split)
        image_size = _DIGITS_DEFAULT_SIZE if image_size is None else image_size
    elif looks_like_path(source):
        images, labels = read_local(source, split, image_size=image_size, channels=channels,
                                    limit=limit)
    else:
        images, labels = load_tfds(source, split, data_dir=data_dir, download=download,
                                   image_size=image_size, channels=channels, limit=limit)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return convert_images(images, image_size, channels, source=source), labels


def looks_like_path(source):
    """Whether `load` reads `source` as a local path rather than a dataset name.

    It is one when it exists, ends in `.npz`, or holds a path separator, unless it is a TFDS
    `name/config` (`"lsun/bedroom"`: its first part is a TFDS dataset's name); `"mnist"` is a
    name.

    Args:
        source: str. What `load` and `load_arrays` take as `source`.

    Example:

    ```python
    looks_like_path("../shared/data/mnist"), looks_like_path("mnist")  # True, False
    ```
    """
    return (os.path.exists(source) or source.endswith(".npz")
            or (os.sep in source and not names_tfds_config(source)))


def load(source=EMBEDDED_DATASET, split="train", batch_size=64, image_size=None,
         channels=None, shuffle=True, seed=None, limit=None, drop_remainder=True,
         data_dir=None, download=True):
    """Loads a dataset as a cached, shuffled, prefetched `tf.data.Dataset`.

    Each element is `(images, labels)`: images float32 `(batch, H, W, C)` in
    [-1, 1] (the range of a tanh generator), labels int32 `(batch,)`.

    Args:
        source: str. `"digits"` (scikit-learn's 1,797 bundled digits, the
            offline default), `"mnist"`, `"fashion_mnist"`, `"cifar10"` or any
            TFDS name, with a config or version as TFDS takes them
            (`"lsun/bedroom"`; images without class labels are one class;
            downloaded when online; where TFDS has not prepared them,
            `"mnist"`, `"fashion_mnist"`, `"cifar10"` and `"cifar100"` are read
            from what `keras.datasets` left in Keras' cache, and
            `"fashion_mnist"` from Debian's `dataset-fashion-mnist` package), or
            a local path: a folder of MNIST-format IDX `.gz` files, a CIFAR-10 or
            CIFAR-100 folder as published (`cifar-10-batches-py`), an `.npz` with
            `x_train`/`y_train` (and `x_test`/`y_test`), or a folder with one
            subfolder per class.
        split: str. `"train"` or `"test"`; for a TFDS dataset any split or slice TFDS
            reads (see `load_arrays`).
        batch_size: int. Examples per batch.
        image_size: optional int or `(height, width)`. Resize to this size
            (digits default to 28 so MNIST networks fit them).
        channels: optional int, 1 or 3. Convert to this many channels.
        shuffle: bool. Shuffle the whole dataset, again every epoch.
        seed: optional int. Shuffle seed, for reproducible order.
        limit: optional int. Keep only the first `limit` examples (see `load_arrays`).
        drop_remainder: bool. Drop a last, smaller batch (keeps batch
            statistics and step shapes uniform for GAN training).
        data_dir: optional str. TFDS data directory for named datasets.
        download: bool. Whether TFDS may download a named dataset.

    Returns:
        A `tf.data.Dataset`.

    Example:

    ```python
    dataset = keras_gen.data.load("../shared/data/mnist", batch_size=128, seed=0)
    images, labels = next(iter(dataset))
    ```
    """
    images, labels = load_arrays(source, split, image_size, channels, limit, data_dir, download)
    return from_arrays(images, labels, batch_size, shuffle, seed, drop_remainder,
                       description=f"the {split!r} split of {source!r}")


def _float_images_fix(low, high):
    """How to turn images with values in [low, high] into what `from_arrays` takes."""
    if 0 <= low and high <= 1:
        return "Convert them with (images * 255).round().astype('uint8')."
    if -1 <= low and high <= 1:
        return ("Images already in [-1, 1] need no scaling: build the dataset with "
                "tf.data.Dataset.from_tensor_slices.")
    if 0 <= low and high <= 255:
        return "Convert them with images.round().astype('uint8')."
    return "Scale them to [0, 255] and convert them with .round().astype('uint8')."


def from_arrays(images, labels=None, batch_size=64, shuffle=True, seed=None, drop_remainder=True,
                description="the arrays"):
    """Turns uint8 images and int labels into the pipeline `load()` returns.

    Args:
        images: uint8 array `(N, H, W, C)`, or `(N, H, W)` for greyscale (as
            `keras.datasets.mnist` gives them), which gets its channel axis (any integer array
            in [0, 255]; float images are refused, since scaling them as 0-255 would make them
            black).
        labels: int array `(N,)`, or None (the default) for images of one class (an
            unconditional model's), which are labelled 0.
        batch_size: int. Examples per batch.
        shuffle: bool. Shuffle the whole dataset, again every epoch.
        seed: optional int. Shuffle seed.
        drop_remainder: bool. Drop a last, smaller batch.
        description: str. Named in error messages.

    Returns:
        A cached, shuffled, prefetched `tf.data.Dataset` of
        `(float32 images in [-1, 1], int32 labels)`, with tf.data's autotuning model off
        (`options().autotune.enabled`: it stalled the start of short epochs; turn it back on with
        `with_options` if you add costly maps of your own).

    Example:

    ```python
    images, labels = load_arrays("digits")
    dataset = from_arrays(images[labels < 5], labels[labels < 5], batch_size=32)
    ```
    """
    import tensorflow as tf

    check_positive_int("batch_size", batch_size, DataError)
    if seed is not None and not is_int(seed):  # tf.data failed on "a" with a formatting error
        raise DataError(f"seed must be an int or None. Received: seed={seed!r}")
    check_bool("shuffle", shuffle, DataError)
    check_bool("drop_remainder", drop_remainder, DataError)
    images = np.asarray(images)
    if images.ndim == 3:  # every model refused (N, H, W) batches, asking for another image size
        images = images[..., np.newaxis]
    if images.ndim != 4:
        raise DataError(f"{description} must be images shaped (N, height, width, channels), or "
                        f"(N, height, width) for greyscale; received shape {images.shape}.")
    # Without labels tf.data failed "in user code"; with too few, "Dimensions 8 and 7 are not
    # compatible".
    labels = np.zeros(len(images), np.int32) if labels is None else np.asarray(labels)
    if labels.ndim == 0 or len(labels) != len(images):
        raise DataError(f"{len(images)} images but labels of shape {labels.shape} in "
                        f"{description}; pass one label per image (or labels=None for one "
                        "class).")
    if images.dtype != np.uint8 and (not np.issubdtype(images.dtype, np.integer) or (
            images.size and (images.min() < 0 or images.max() > 255))):
        low, high = (images.min(), images.max()) if images.size else (0, 0)
        raise DataError(
            f"{description} must be integer images in [0, 255], which from_arrays scales to "
            f"[-1, 1]; received {images.dtype} values from {low:.4g} to {high:.4g}. "
            f"{_float_images_fix(low, high)}")
    if drop_remainder and len(images) < batch_size:
        raise DataError(
            f"{description}: {len(images)} images, fewer than batch_size={batch_size}, so "
            "every batch would be dropped. Use a smaller batch_size (--batch-size on the command "
            "line), or drop_remainder=False."
        )
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).cache()
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    dataset = dataset.map(
        lambda x, y: (to_unit_range(x), tf.cast(y, tf.int32)),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset.prefetch(tf.data.AUTOTUNE).with_options(_without_autotune_model())


def _without_autotune_model():
    """`tf.data.Options` that turn off tf.data's autotuning model (benchmarks/data_pipeline.py).

    `fit` starts a new iterator every epoch, and deleting the last one waited for the model's
    optimization thread: up to ~1 s at the start of about half the epochs on the digits (22
    steps, 2 cores), and the steps in between ran slower too (`keras-gen train dcgan` took 2:22
    instead of 1:55). This pipeline has nothing for the model to tune: cached tensors, a shuffle
    and one cast. Without it the map still runs in parallel (one call per core) and the
    prefetch buffer still grows when it runs dry (its own, older autotuner).
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return options
