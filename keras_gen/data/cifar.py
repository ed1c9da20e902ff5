"""CIFAR-10 and CIFAR-100 as their authors publish them for Python: a folder of pickled batches.

`cifar-10-python.tar.gz` unpacks to `cifar-10-batches-py/` (`data_batch_1` ... `data_batch_5`,
`test_batch`, `batches.meta`) and `cifar-100-python.tar.gz` to `cifar-100-python/` (`train`,
`test`, `meta`); `keras.datasets.cifar10.load_data()` and `cifar100.load_data()` leave the same
folders in Keras' cache. Each batch is a pickled dict of 3,072 bytes per image (the red plane,
then green, then blue, row by row) and its labels. Unpickling is limited to numpy's arrays, so a
tampered file cannot run code (a pickle can name any function to call).
"""

import os
import pickle

import numpy as np

from keras_gen.errors import DataError
from keras_gen.utils.arguments import holds_class_ids

# Layout name -> the files of each split, the labels' key, the metadata file and its names' key.
# CIFAR-100's labels are its 100 fine classes, as keras.datasets.cifar100's default.
LAYOUTS = {
    "CIFAR-10": {"train": tuple(f"data_batch_{number}" for number in range(1, 6)),
                 "test": ("test_batch",), "labels": b"labels", "meta": "batches.meta",
                 "names": b"label_names"},
    "CIFAR-100": {"train": ("train",), "test": ("test",), "labels": b"fine_labels",
                  "meta": "meta", "names": b"fine_label_names"},
}
# What unpickling a numpy array needs (numpy 1 wrote numpy.core, numpy 2 writes numpy._core).
_NUMPY_GLOBALS = {("numpy", "ndarray"), ("numpy", "dtype"),
                  ("numpy.core.multiarray", "_reconstruct"),
                  ("numpy._core.multiarray", "_reconstruct")}
_SIDE = 32


def cifar_layout(path):
    """Which published layout the folder `path` is: `"CIFAR-10"`, `"CIFAR-100"` or None.

    Known by its metadata file beside at least one of its batches.

    Example:

    ```python
    cifar_layout(os.path.expanduser("~/data/cifar-10-batches-py"))  # "CIFAR-10"
    ```
    """
    if not os.path.isdir(path):
        return None
    for name, layout in LAYOUTS.items():
        batches = layout["train"] + layout["test"]
        if os.path.isfile(os.path.join(path, layout["meta"])) and any(
                os.path.isfile(os.path.join(path, batch)) for batch in batches):
            return name
    return None


def holds_cifar_split(path, split):
    """Whether `path` is a CIFAR folder holding every batch of `split` (`"train"`, `"test"`)."""
    layout = cifar_layout(path)
    return layout is not None and not _missing_batches(path, LAYOUTS[layout], split)


def read_cifar_folder(folder, split="train"):
    """Reads a split of a CIFAR-10 or CIFAR-100 folder, in its batches' order.

    Args:
        folder: str. `cifar-10-batches-py/` or `cifar-100-python/`, unpacked as published.
        split: str. `"train"` (50,000 images) or `"test"` (10,000).

    Returns:
        `(images, labels)`: uint8 `(N, 32, 32, 3)` and int32 `(N,)` (CIFAR-100: fine labels).

    Example:

    ```python
    images, labels = read_cifar_folder("cifar-10-batches-py", split="test")
    ```
    """
    name = cifar_layout(folder)
    if name is None:
        raise DataError(f"{folder!r} is not a CIFAR folder: expected batches.meta with "
                        "data_batch_1 ... test_batch (CIFAR-10), or meta with train and test "
                        "(CIFAR-100), as cifar-10-python.tar.gz and cifar-100-python.tar.gz "
                        "unpack.")
    layout = LAYOUTS[name]
    missing = _missing_batches(folder, layout, split)
    if missing:
        raise DataError(f"{folder!r} lacks {missing} of {name}'s {split} split: unpack the "
                        "archive again (a download or unpacking cut short leaves some out).")
    images, labels = zip(*(_read_batch(os.path.join(folder, batch), layout["labels"])
                           for batch in layout[split]))
    return np.concatenate(images), np.concatenate(labels)


def cifar_class_names(folder):
    """The class names in a CIFAR folder's metadata (`["airplane", ...]`), label by label.

    Example:

    ```python
    cifar_class_names("cifar-10-batches-py")[3]  # "cat"
    ```
    """
    layout = LAYOUTS[cifar_layout(folder)]
    meta = _unpickle(os.path.join(folder, layout["meta"]))
    names = meta.get(layout["names"])
    if not isinstance(names, list) or not all(isinstance(item, bytes) for item in names):
        raise DataError(f"{os.path.join(folder, layout['meta'])!r} names no classes "
                        f"({layout['names'].decode()}); unpack the archive again.")
    return [item.decode("utf-8") for item in names]


def _missing_batches(folder, layout, split):
    return [batch for batch in layout[split] if not os.path.isfile(os.path.join(folder, batch))]


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, bytes and numpy arrays, and refuses every other global."""

    def find_class(self, module, name):
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"it asks to call {module}.{name}, which a CIFAR batch "
                                     "never does")


def _unpickle(path):
    """The dict pickled in `path` (its keys bytes, as Python 2 wrote the published files)."""
    with open(path, "rb") as handle:
        try:
            loaded = _NumpyOnlyUnpickler(handle, encoding="bytes").load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as error:
            raise DataError(f"Cannot read {path!r} as a CIFAR batch ({error}); unpack the "
                            "archive again.") from None
    if not isinstance(loaded, dict):
        raise DataError(f"{path!r} holds a {type(loaded).__name__}, not a CIFAR batch's dict; "
                        "unpack the archive again.")
    return loaded


def _read_batch(path, labels_key):
    """`(images NHWC, labels)` of one pickled batch."""
    batch = _unpickle(path)
    pixels, labels = batch.get(b"data"), batch.get(labels_key)
    size = 3 * _SIDE * _SIDE
    labels = np.asarray(labels if labels is not None else [])
    if (not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8 or pixels.ndim != 2
            or pixels.shape[1] != size or len(labels) != len(pixels)
            or not holds_class_ids(labels)):
        raise DataError(f"{path!r} is not a CIFAR batch: expected 'data', uint8 rows of {size} "
                        f"bytes, and a class id in '{labels_key.decode()}' per row; unpack the "
                        "archive again.")
    images = pixels.reshape(-1, 3, _SIDE, _SIDE).transpose(0, 2, 3, 1)  # planes -> NHWC
    return images, labels.astype(np.int32)
