"""Named datasets: the embedded scikit-learn digits, and anything TFDS can download."""

import difflib
import numpy as np

from keras_gen.errors import DataError

# Every 5th digit is held out as the test split: scikit-learn ships one array
# with no official split, and a fixed rule keeps the split reproducible.
_DIGITS_TEST_EVERY = 5

# The named datasets' classes in label order (Fashion-MNIST's as its publishers name them), so a
# conditional model trained on one can be asked for "Sneaker" (`class_names`).
CLASS_NAMES = {
    "digits": tuple(str(digit) for digit in range(10)),
    "mnist": tuple(str(digit) for digit in range(10)),
    "fashion_mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"),
}


def load_digits(split="train"):
    """Returns scikit-learn's bundled handwritten digits (1,797 real 8x8 scans).

    Pixel values 0..16 (ink counts) are scaled to uint8 0..255 with 0 as
    background, the MNIST convention. Every fifth image (index % 5 == 0) is the
    test split (360 images), the rest the train split (1,437 images).

    Args:
        split: str. `"train"` or `"test"`.

    Returns:
        `(images, labels)`: uint8 `(N, 8, 8, 1)` and int32 `(N,)`.

    Example:

    ```python
    images, labels = load_digits("test")
    ```
    """
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = np.round(bunch.images / 16.0 * 255.0).astype(np.uint8)[..., None]
    labels = bunch.target.astype(np.int32)
    is_test = np.arange(len(images)) % _DIGITS_TEST_EVERY == 0
    keep = is_test if split == "test" else ~is_test
    return images[keep], labels[keep]


def load_tfds(name, split="train", data_dir=None, download=True):
    """Loads a TFDS dataset into memory as uint8 images and int32 labels.

    Args:
        name: str. A TFDS name such as `"mnist"`, `"fashion_mnist"`, `"cifar10"`.
        split: str. A TFDS split such as `"train"` or `"test"`.
        data_dir: optional str. TFDS data directory (defaults to TFDS' own).
        download: bool. Whether TFDS may download the data when it is not
            prepared in `data_dir` yet.

    Returns:
        `(images, labels)` as uint8 NHWC and int32.

    Example:

    ```python
    images, labels = load_tfds("fashion_mnist", split="test")
    ```
    """
    import tensorflow_datasets as tfds

    offline_hint = (
        f"Use a local copy instead: keras_gen.data.load('/path/to/{name}') or "
        f"`keras-gen train ... --data /path/to/{name}` with a folder of MNIST-format IDX "
        "files, an .npz with x_train/y_train, or a folder of class subfolders."
    )
    known = tfds.list_builders()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3)
        suggestion = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise DataError(
            f"Unknown dataset {name!r}: it is not 'digits', an existing local path, or a "
            f"TFDS dataset name.{suggestion} {offline_hint}"
        )
    builder = tfds.builder(name, data_dir=data_dir)
    if not builder.is_prepared():
        if not download:
            raise DataError(
                f"TFDS dataset {name!r} is not prepared in {builder.data_dir!r} and "
                f"download=False. {offline_hint}"
            )
        try:
            builder.download_and_prepare()
        except ImportError as error:  # not the network: TFDS' own install is incomplete
            missing = error.name or "the missing module"
            known = (" TFDS declares it for Python < 3.9 only (tensorflow/datasets#11212)."
                     if missing == "importlib_resources" else "")
            raise DataError(
                f"TFDS could not prepare {name!r}: it needs a module that is not installed "
                f"({error}). Install it: pip install {missing}.{known} Or load a local copy: "
                f"keras_gen.data.load('/path/to/{name}')."
            ) from error
        except Exception as error:  # Network failures surface as many types.
            raise DataError(
                f"Could not download TFDS dataset {name!r} (is this machine offline?): "
                f"{type(error).__name__}: {error}. {offline_hint}"
            ) from error
    try:
        arrays = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1, as_supervised=True))
    except (ValueError, KeyError) as error:
        raise DataError(f"TFDS dataset {name!r} has no split {split!r}: {error}") from error
    images, labels = arrays
    return np.asarray(images, dtype=np.uint8), np.asarray(labels, dtype=np.int32)
