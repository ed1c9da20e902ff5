"""TFDS datasets as TFDS users name them (`lsun/bedroom`, `emnist/letters:3.1.0`) and as their
images come: of many sizes (`tf_flowers`), or without class labels (`celeb_a`, `lsun`).

`sources.load_tfds` finds or prepares a dataset; this module resolves its name to a builder and
reads a prepared split into memory, resizing each image as it is read.
"""

import re

import numpy as np

from keras_gen.data.transforms import convert_images
from keras_gen.errors import DataError
from keras_gen.utils.arguments import is_int

# TFDS' `name[/config][:version]` (tfds.builder's own syntax): "lsun/bedroom", "mnist:3.*.*".
_TFDS_NAME = re.compile(r"^(?P<base>[a-z0-9_]+)(/[\w.\-]+)?(:[\w.*]+)?$")
# Images whose size is fixed are read and converted this many pixel values at a time, read or
# resized (32 MB as uint8, 128 MB as the float32 a resize works in): MNIST's train split in two
# batches, CelebA's 218x178 photos 288 at a time. TFDS' own whole-split read (batch_size=-1)
# held all of a split at full size, and a resize of all of it ran in float32
# (`benchmarks/tfds_reading.py`).
_READ_VALUES = 1 << 25


def tfds_base_name(name):
    """The dataset part of a TFDS name (`"lsun"` for `"lsun/bedroom:3.1.0"`), or None when
    `name` does not have TFDS' `name[/config][:version]` form.

    Args:
        name: str. A dataset name, e.g. `"lsun/bedroom"`.

    Example:

    ```python
    tfds_base_name("emnist/letters")  # "emnist"
    ```
    """
    match = _TFDS_NAME.match(name)
    return match.group("base") if match else None


def names_tfds_config(source):
    """Whether `source`, which has a slash in it, is a TFDS `name/config` rather than a path:
    its first part names a dataset TFDS knows (`lsun/bedroom`, not `my_photos/bedroom`).

    Args:
        source: str. What `keras_gen.data.load` takes as `source`.

    Example:

    ```python
    names_tfds_config("emnist/letters"), names_tfds_config("data/mnist")  # True, False
    ```
    """
    import tensorflow_datasets as tfds

    base = tfds_base_name(source)
    return base is not None and "/" in source and base in tfds.list_builders()


def tfds_builder(name, data_dir=None):
    """TFDS' builder of `name` (`name[/config][:version]`), whose dataset TFDS knows.

    Args:
        name: str. A TFDS name, e.g. `"lsun/bedroom"`.
        data_dir: optional str. TFDS data directory (defaults to TFDS' own).

    Raises:
        DataError: the dataset has no such config or version; names those it has.

    Example:

    ```python
    builder = tfds_builder("lsun/bedroom")
    ```
    """
    import tensorflow_datasets as tfds

    try:
        return tfds.builder(name, data_dir=data_dir)
    except (ValueError, AssertionError) as error:  # an unknown config; an unknown version
        base = tfds_base_name(name)
        configs = [config.name for config in tfds.builder_cls(base).BUILDER_CONFIGS or ()]
        listed = f" Its configs: {', '.join(configs)}." if configs else ""
        reason = re.sub(r"\s+", " ", str(error)).split(" Here are ")[0].strip()
        # "cifar10/train" may be a folder the user meant, named like a config.
        path = (f" (If {name!r} is a local path: it does not exist.)" if "/" in name else "")
        message = f"TFDS dataset {base!r} has no {name!r}: {reason}{listed}{path}"
        raise DataError(message) from None


def image_and_label_features(builder):
    """The names of the image feature a split is read from and of its class label (None when
    the dataset has none: its images are one class, as CelebA's and LSUN's are).

    A dataset's supervised pair `(image, label)` where TFDS gives one, else its only image.

    Args:
        builder: a `tfds.core.DatasetBuilder`.

    Example:

    ```python
    image_and_label_features(tfds.builder("celeb_a"))  # ("image", None)
    ```
    """
    import tensorflow_datasets as tfds

    features = builder.info.features
    keys = builder.info.supervised_keys
    if (isinstance(keys, tuple) and len(keys) == 2 and all(isinstance(key, str) for key in keys)
            and isinstance(features[keys[0]], tfds.features.Image)):
        label = keys[1] if isinstance(features[keys[1]], tfds.features.ClassLabel) else None
        return keys[0], label
    images = [key for key, feature in features.items()
              if isinstance(feature, tfds.features.Image)]
    if len(images) != 1:
        raise DataError(
            f"TFDS dataset {builder.info.full_name!r} has {len(images) or 'no'} image features "
            f"({', '.join(images) or ', '.join(features)}), and keras_gen reads one. Load the "
            "images yourself (tfds.load) and pass them to keras_gen.data.from_arrays.")
    return images[0], None


def check_readable(builder, name, image_size):
    """Refuses, before TFDS downloads and prepares a dataset, what `read_prepared` would refuse
    after: no image feature to read, or images of many sizes without `image_size`.

    Args:
        builder: a `tfds.core.DatasetBuilder`, prepared or not.
        name: str. The dataset's name, for messages.
        image_size: optional int or `(height, width)`: what the images are resized to.

    Example:

    ```python
    check_readable(tfds.builder("tf_flowers"), "tf_flowers", None)  # raises: photos of many sizes
    ```
    """
    shape = builder.info.features[image_and_label_features(builder)[0]].shape
    if None in shape and image_size is None:
        raise DataError(f"The images of TFDS dataset {name!r} differ in size (its image feature "
                        f"is {shape}): pass image_size=N (--image-size N) to resize them as "
                        "they are read. Nothing was downloaded.")


def read_prepared(builder, name, split, image_size=None, channels=None, limit=None):
    """Reads split `split` of a prepared TFDS dataset as uint8 NHWC images and int32 labels.

    Each image is converted as it is read (`convert_images`), and only the first `limit` are
    read: TFDS' own whole-split read (`batch_size=-1`) pads photos of many sizes with black to
    the largest one's, and holds the whole split at full size.

    Args:
        builder: a prepared `tfds.core.DatasetBuilder`.
        name: str. The dataset's name, for messages.
        split: str. Any split or slice TFDS reads (`"validation"`, `"train[:90%]"`);
            `"test"` is a dataset's `"validation"` split where it has no `"test"`, as LSUN and
            ImageNet have none.
        image_size: optional int or `(height, width)`; needed when the images differ in size.
        channels: optional int, 1 or 3.
        limit: optional int. Read only the first `limit` examples, in TFDS' order.

    Returns:
        `(images, labels)`; labels are all 0 for a dataset without class labels.

    Example:

    ```python
    images, labels = read_prepared(tfds.builder("tf_flowers"), "tf_flowers", "train", 64)
    ```
    """
    import tensorflow_datasets as tfds

    image_key, label_key = image_and_label_features(builder)
    splits = builder.info.splits
    if split == "test" and "test" not in splits and "validation" in splits:
        # LSUN and ImageNet hold their held-out images out as "validation": what keras_gen's
        # "test" means (`keras-gen evaluate` and --monitor-every score against it).
        split = "validation"
    try:
        dataset = builder.as_dataset(split=split, shuffle_files=False)
    except (ValueError, KeyError) as error:
        raise DataError(f"TFDS dataset {name!r} has no split {split!r}: {error}") from error
    if limit is not None:
        dataset = dataset.take(limit)
    shape = builder.info.features[image_key].shape
    dataset = dataset.batch(_images_per_read(shape, image_size))
    images, labels = [], []
    for examples in tfds.as_numpy(dataset):
        if examples[image_key].dtype != np.uint8:
            raise DataError(f"The images of TFDS dataset {name!r} are "
                            f"{examples[image_key].dtype}; keras_gen reads uint8 images. Load "
                            "them yourself (tfds.load), scale them to uint8 and pass them to "
                            "keras_gen.data.from_arrays.")
        images.append(convert_images(examples[image_key], image_size, channels, source=name))
        if images[-1].shape[1:3] != images[0].shape[1:3]:  # refused at the first that differs
            sizes = " and ".join("x".join(map(str, batch.shape[1:3]))
                                 for batch in (images[0], images[-1]))
            raise DataError(f"The images of TFDS dataset {name!r} differ in size ({sizes}): "
                            "pass image_size=N (--image-size N) to resize them as they are "
                            "read.")
        labels.append(examples[label_key] if label_key else np.zeros(len(images[-1])))
    if not images:
        raise DataError(f"TFDS dataset {name!r} holds no examples in its {split!r} split.")
    return np.concatenate(images), np.concatenate(labels).astype(np.int32)


def _images_per_read(shape, image_size):
    """How many images `read_prepared` converts at once: photos of many sizes one by one (as an
    image folder's are), else as many as `_READ_VALUES` pixel values hold, read or resized."""
    if None in shape:
        return 1
    if image_size is None:
        image_size = shape[:2]
    height, width = (image_size, image_size) if is_int(image_size) else image_size
    return max(1, _READ_VALUES // max(int(np.prod(shape)), height * width * shape[-1]))
