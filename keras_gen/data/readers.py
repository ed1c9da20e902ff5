"""Readers for datasets stored on local disk.

Each reader returns `(images, labels)`: images uint8 NHWC, labels int32. They
accept the layouts a user is likely to have: the MNIST IDX files as
published, CIFAR-10 or CIFAR-100 as published for Python (`cifar`), a
Keras-style `.npz`, or a folder of images with one subfolder per class (or
without subfolders, for one class: `image_folder`).
"""

import gzip
import os
import zipfile

import numpy as np

from keras_gen.data.cifar import (cifar_class_names, cifar_layout, holds_cifar_split,
                                  read_cifar_folder)
from keras_gen.data.image_folder import image_folder_class_names, read_image_folder
from keras_gen.errors import DataError
from keras_gen.utils.arguments import CLASS_IDS_FIX, check_path, holds_class_ids

SPLITS = ("train", "test")
# IDX magic numbers: 0x0803 = uint8 with 3 dims (images), 0x0801 = uint8 1 dim.
_IDX_IMAGES_MAGIC = 0x00000803
_IDX_LABELS_MAGIC = 0x00000801
_IDX_PREFIX = {"train": "train", "test": "t10k"}
# The local layouts `read_local` reads, as the errors that point a user at one name them.
LOCAL_LAYOUTS = ("a folder of MNIST-format IDX files, a CIFAR folder as published "
                 "(cifar-10-batches-py), an .npz with x_train/y_train, or a folder of class "
                 "subfolders")


def read_local(path, split="train", image_size=None, channels=None, limit=None):
    """Reads a local dataset, choosing the reader from what `path` is.

    Args:
        path: str or `pathlib.Path`. A folder of IDX files, a CIFAR-10 or CIFAR-100 folder
            (`cifar-10-batches-py`), an `.npz` file, or a folder of class subfolders holding
            images (or of images, one class).
        split: str. `"train"` or `"test"` (image folders have one split only and
            accept `"train"`).
        image_size: optional int. Image folders resize every image to this size
            as it is read, so folders of mixed sizes load.
        channels: optional int, 1 or 3. Image folders convert every image to this
            many channels as it is read.
        limit: optional int. Image folders decode only their first `limit` images (the
            caller keeps the first `limit` of other sources).

    Returns:
        `(images, labels)`: uint8 array `(N, H, W, C)` and int32 array `(N,)`.

    Example:

    ```python
    images, labels = read_local("../shared/data/mnist", split="test")
    ```
    """
    path = check_path("path", path, "a dataset's path")  # a pathlib.Path had no endswith
    check_local_split(path, split)
    check_dataset_exists(path)
    if os.path.isfile(path):
        if path.endswith(".npz"):
            return read_npz(path, split)
        raise DataError(
            f"Cannot read {path!r}: a dataset file must be an .npz with x_train/y_train "
            "(and x_test/y_test). For other files, point at their folder instead."
        )
    if cifar_layout(path):
        return read_cifar_folder(path, split)
    if is_image_folder(path):
        return read_image_folder(path, split, image_size=image_size, channels=channels,
                                 limit=limit)
    return read_idx_folder(path, split)


def check_local_split(source, split):
    """Refuses a split that local data and the embedded digits do not have: they hold `"train"`
    and `"test"`; TFDS' other names and slices (`"validation"`, `"train[:90%]"`) are for TFDS
    datasets.

    Args:
        source: str. The dataset, for the message.
        split: what was passed as the split.

    Example:

    ```python
    check_local_split("../shared/data/mnist", "test")  # passes
    ```
    """
    if split not in SPLITS:
        raise DataError(f"split must be 'train' or 'test' for {source!r}; received {split!r}. "
                        "Other splits and slices ('validation', 'train[:90%]') are TFDS' names, "
                        "for a TFDS dataset.")


def local_class_names(path):
    """The names a local dataset gives its labels, label by label: a CIFAR folder's metadata, an
    image folder's class subfolders; [] for IDX files and `.npz` arrays, which name none.

    Args:
        path: str. A local dataset, as `read_local` takes it.

    Example:

    ```python
    local_class_names("pets/")  # ['cats', 'dogs']: label 0 is cats, 1 dogs
    ```
    """
    if cifar_layout(path):
        return cifar_class_names(path)
    return image_folder_class_names(path) if is_image_folder(path) else []


def check_dataset_exists(path):
    """Raises a `DataError` that says what a local dataset is when `path` does not exist.

    Args:
        path: str or `pathlib.Path`. A local dataset's path.

    Example:

    ```python
    check_dataset_exists("../shared/data/mnist")  # passes; "../shared/data/mnst" raises
    ```
    """
    if not os.path.exists(path):
        raise DataError(
            f"No dataset at {os.fspath(path)!r}: the path does not exist. Pass "
            f"{LOCAL_LAYOUTS} (a folder of images alone is one class)."
        )


def is_image_folder(path):
    """Whether `read_local` reads `path` as a folder of class subfolders (one split only).

    Args:
        path: str. Any path.

    Returns:
        bool. True for a folder without MNIST-format IDX files or CIFAR batches.

    Example:

    ```python
    split = "train" if is_image_folder(path) else "test"
    ```
    """
    return (os.path.isdir(path) and not any(_find_idx_file(path, s, "images") for s in SPLITS)
            and not cifar_layout(path))


def read_idx_folder(folder, split="train"):
    """Reads MNIST-format IDX files (`train-images-idx3-ubyte[.gz]` ...) from a folder.

    Args:
        folder: str. Folder with `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`.
        split: str. `"train"` or `"test"` (the `t10k` files).

    Returns:
        `(images, labels)` as uint8 `(N, 28, 28, 1)` and int32 `(N,)`.

    Example:

    ```python
    images, labels = read_idx_folder("../shared/data/fashion_mnist")
    ```
    """
    images_file = _find_idx_file(folder, split, "images")
    labels_file = _find_idx_file(folder, split, "labels")
    for kind, found in (("images", images_file), ("labels", labels_file)):
        if found is None:
            raise DataError(
                f"No IDX {kind} file for split {split!r} in {folder!r}. Expected "
                f"{_IDX_PREFIX[split]}-{kind}-idx{3 if kind == 'images' else 1}-ubyte.gz "
                "(as published for MNIST and Fashion-MNIST)."
            )
    images = _read_idx(images_file, _IDX_IMAGES_MAGIC)
    labels = _read_idx(labels_file, _IDX_LABELS_MAGIC)
    if len(images) != len(labels):
        raise DataError(
            f"{images_file!r} holds {len(images)} images but {labels_file!r} holds "
            f"{len(labels)} labels; they must come from the same split."
        )
    return images[..., None], labels.astype(np.int32)


def holds_split(path, split):
    """Whether `path`, a Keras-style `.npz` file, a folder of IDX files or a CIFAR folder, holds
    `split` whole.

    A download cut short leaves a truncated `.npz` (no zip directory), only some IDX files or
    only some CIFAR batches.

    Args:
        path: str. An `.npz` file or a folder.
        split: str. `"train"` or `"test"`.

    Example:

    ```python
    holds_split(os.path.expanduser("~/.keras/datasets/mnist.npz"), "test")
    ```
    """
    if str(path).endswith(".npz"):
        if not zipfile.is_zipfile(path):
            return False
        with zipfile.ZipFile(path) as archive:
            return f"x_{split}.npy" in archive.namelist()
    if cifar_layout(path):
        return holds_cifar_split(path, split)
    return os.path.isdir(path) and all(
        _find_idx_file(path, split, kind) for kind in ("images", "labels"))


def _find_idx_file(folder, split, kind):
    dims = 3 if kind == "images" else 1
    stem = f"{_IDX_PREFIX[split]}-{kind}-idx{dims}-ubyte"
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def _read_idx(path, expected_magic):
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise DataError(f"Cannot read IDX file {path!r}: {error}. Is it truncated?") from error
    if len(raw) < 8:
        raise DataError(f"{path!r} is too short to be an IDX file ({len(raw)} bytes).")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        raise DataError(
            f"{path!r} has IDX magic number {magic:#010x}, expected {expected_magic:#010x}. "
            "Is this the right file (images vs labels)?"
        )
    ndim = magic & 0xFF
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    data = np.frombuffer(raw, dtype=np.uint8, offset=offset)
    if data.size != int(np.prod(shape)):
        raise DataError(
            f"{path!r} declares shape {shape} but holds {data.size} values. The file is "
            "truncated or corrupted; compare its checksum with the published one."
        )
    return data.reshape(shape)


def read_npz(path, split="train"):
    """Reads `x_<split>`/`y_<split>` from a Keras-style `.npz` file.

    Args:
        path: str. An `.npz` holding `x_train`, `y_train` (and `x_test`, `y_test`).
            Images are uint8 in [0, 255] or floats in [0, 1], shaped `(N, H, W)`
            or `(N, H, W, C)`. Without `y_<split>` the images are one class (0), as
            images in a folder without class subfolders are.
        split: str. `"train"` or `"test"`.

    Returns:
        `(images, labels)` as uint8 NHWC and int32.

    Example:

    ```python
    images, labels = read_npz("my_data.npz", split="test")
    ```
    """
    if not zipfile.is_zipfile(path):
        # np.load takes any other file for a pickle: "This file contains pickled (object)
        # data. If you trust the file you can load it unsafely", of a file that is no pickle.
        raise DataError(f"Cannot read {path!r} as an .npz archive: it is not one (an .npz is "
                        "a zip of .npy arrays, as np.savez writes). Save the arrays with "
                        "np.savez(path, x_train=..., y_train=...).")
    try:
        archive = np.load(path)
    except (OSError, ValueError) as error:
        raise DataError(f"Cannot read {path!r} as an .npz archive: {error}") from error
    with archive:
        keys = (f"x_{split}", f"y_{split}")
        if keys[0] not in archive.files:
            raise DataError(
                f"{path!r} has no {keys[0]!r} array (it holds {sorted(archive.files)}). "
                "Save it with np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...) "
                "(the labels are optional: without them the images are one class)."
            )
        try:
            images = archive[keys[0]]
            # Unconditional models need no labels, and were refused without them.
            labels = (archive[keys[1]] if keys[1] in archive.files
                      else np.zeros(images.shape[:1], np.int32))
        except ValueError as error:  # object arrays, which np.load refuses without pickle
            raise DataError(
                f"Cannot read {keys} from {path!r}: {error}. Save numeric arrays (an array "
                "with a None or a string among numbers is saved as Python objects).") from None
    return _standardize_arrays(images, labels, source=path)


def _standardize_arrays(images, labels, source):
    images = np.asarray(images)
    labels = np.asarray(labels).reshape(-1)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise DataError(
            f"Images from {source!r} have shape {images.shape}; expected (N, H, W) or "
            "(N, H, W, C) with C = 1 (grayscale) or 3 (RGB)."
        )
    if len(images) != len(labels):
        raise DataError(
            f"{source!r} holds {len(images)} images but {len(labels)} labels; "
            "there must be one label per image."
        )
    # A cast to int would fail on strings and round 0.5 down silently.
    if not holds_class_ids(labels):
        raise DataError(
            f"Labels from {source!r} must be whole-number class ids; they are "
            f"{labels.dtype} {labels[:3].tolist()}... {CLASS_IDS_FIX}")
    if images.dtype != np.uint8:
        if not np.issubdtype(images.dtype, np.floating):
            raise DataError(
                f"Images from {source!r} have dtype {images.dtype}; expected uint8 in "
                "[0, 255] or floats in [0, 1]."
            )
        low, high = float(images.min()), float(images.max())
        if low < 0.0 or high > 1.0:
            if -1.0 <= low and high <= 1.0:
                fix = "They look scaled to [-1, 1] already: store (images + 1) / 2"
            elif 0.0 <= low and high <= 255.0:  # was told "scaled to [-1, 1]" too
                fix = "They look like pixel values in [0, 255]: divide them by 255"
            else:
                fix = "Rescale them to [0, 1]"
            raise DataError(
                f"Float images from {source!r} range over [{low}, {high}]; expected [0, 1]. "
                f"{fix}, or store them as uint8."
            )
        images = np.round(images * 255.0).astype(np.uint8)
    return images, labels.astype(np.int32)
