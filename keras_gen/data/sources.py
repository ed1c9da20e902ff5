"""Named datasets: the embedded scikit-learn digits, and anything TFDS can download (or another
tool has already put on this machine: an operating system package, Keras' download cache)."""

import difflib
import os

import numpy as np

from keras_gen.data.reachability import unreachable_hosts
from keras_gen.data.readers import (LOCAL_LAYOUTS, SPLITS, check_local_split, holds_split,
                                    local_class_names, read_local)
from keras_gen.data.tfds_reading import (check_readable, image_and_label_features,
                                         read_prepared, tfds_base_name, tfds_builder)
from keras_gen.errors import DataError
from keras_gen.utils.files import keras_home

# Every 5th digit is held out as the test split: scikit-learn ships one array
# with no official split, and a fixed rule keeps the split reproducible.
_DIGITS_TEST_EVERY = 5

# The named datasets' classes in label order (Fashion-MNIST's and CIFAR-10's as their publishers
# name them), so a conditional model trained on one can be asked for "Sneaker" (`class_names`).
CLASS_NAMES = {
    "digits": tuple(str(digit) for digit in range(10)),
    "mnist": tuple(str(digit) for digit in range(10)),
    "fashion_mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                "truck"),
}


# Where an operating system package installs a named dataset as its official IDX files: Debian's
# and Ubuntu's `dataset-fashion-mnist` (the same images as TFDS' fashion_mnist, byte for byte once
# gunzipped). It stands in for TFDS' download: offline, `load("fashion_mnist")` read nothing and
# failed after TFDS' retries (~3.4 minutes); a copy TFDS has prepared still comes first.
# Name: (the package, the folder it installs).
SYSTEM_COPIES = {"fashion_mnist": ("dataset-fashion-mnist", "/usr/share/datasets/fashion-mnist")}

# Where `keras.datasets`' loaders, run once online, leave the named datasets in Keras' cache
# (`keras_cache_folder`): MNIST as the Keras-style .npz, Fashion-MNIST as its official IDX files,
# CIFAR-10 and CIFAR-100 as their official Python batches (in the folders Keras 3 unpacks to).
# They stand in for TFDS' download too, after the package: most Keras users have them already.
# Name: (the loader that downloads it, its file or folder in the cache).
KERAS_CACHE_COPIES = {
    "mnist": ("keras.datasets.mnist.load_data()", "mnist.npz"),
    "fashion_mnist": ("keras.datasets.fashion_mnist.load_data()", "fashion-mnist"),
    "cifar10": ("keras.datasets.cifar10.load_data()",
                os.path.join("cifar-10-batches-py-target", "cifar-10-batches-py")),
    "cifar100": ("keras.datasets.cifar100.load_data()",
                 os.path.join("cifar-100-python-target", "cifar-100-python")),
}
# Where Keras 2 (`tf.keras`, still many TensorFlow users' Keras) unpacked CIFAR: straight into the
# same cache folder. Read after Keras 3's, and not named in errors: one way to get a copy will
# do.
KERAS_2_CACHE_COPIES = {"cifar10": "cifar-10-batches-py", "cifar100": "cifar-100-python"}


def keras_cache_folder():
    """The folder `keras.datasets` downloads into: `datasets` in Keras' home (`keras_home`).

    Example:

    ```python
    keras_cache_folder()  # "/home/me/.keras/datasets"
    ```
    """
    return os.path.join(keras_home(), "datasets")


def local_copies(name):
    """Where copies of dataset `name` that other tools install would be, whether they are or not.

    Args:
        name: str. A dataset name, e.g. `"fashion_mnist"`.

    Returns:
        list of `(path, how)`: the folder or `.npz` file, and how it gets there (a sentence,
        None for `KERAS_2_CACHE_COPIES`), in the order `load_tfds` reads them: `SYSTEM_COPIES`,
        `KERAS_CACHE_COPIES`, then `KERAS_2_CACHE_COPIES`.

    Example:

    ```python
    local_copies("mnist")
    # [("/home/me/.keras/datasets/mnist.npz", "keras.datasets.mnist.load_data(), run once ...")]
    ```
    """
    copies = []
    if name in SYSTEM_COPIES:
        package, folder = SYSTEM_COPIES[name]
        copies.append((folder, f"On Debian or Ubuntu, `apt install {package}` puts it in {folder}"))
    if name in KERAS_CACHE_COPIES:
        loader, entry = KERAS_CACHE_COPIES[name]
        path = os.path.join(keras_cache_folder(), entry)
        copies.append((path, f"{loader}, run once online, leaves it in {path}"))
    if name in KERAS_2_CACHE_COPIES:
        copies.append((os.path.join(keras_cache_folder(), KERAS_2_CACHE_COPIES[name]), None))
    return copies


def local_copy(name, split):
    """The first of `local_copies(name)` that holds `split` whole, or None.

    Args:
        name: str. A dataset name, e.g. `"fashion_mnist"`.
        split: str. `"train"` or `"test"` (a copy holds no other split: None).

    Example:

    ```python
    local_copy("fashion_mnist", "test")  # "/usr/share/datasets/fashion-mnist" once apt installed it
    ```
    """
    return next((path for path, _ in local_copies(name) if holds_split(path, split)), None)


def named_class_names(name):
    """The names of a named dataset's labels, label by label, as its publisher gives them.

    `CLASS_NAMES` for the datasets keras_gen lists; else TFDS' record of the dataset (what
    preparing it read, or its code's until then: `"rock_paper_scissors"`'s "paper"), except
    that data TFDS has not prepared is named by the copy `load_tfds` reads instead (a CIFAR-100
    in Keras' cache names its classes; TFDS' code numbers them until it prepares its own).
    Nothing is downloaded.

    Args:
        name: str. A dataset name, e.g. `"cifar100"`.

    Returns:
        list of str; empty for a name TFDS does not know or a dataset without class labels.
        Names that are only the labels' numbers (MNIST's) are returned as they are.

    Example:

    ```python
    named_class_names("fashion_mnist")[7]  # "Sneaker"
    ```
    """
    if name in CLASS_NAMES:  # without importing TFDS
        return list(CLASS_NAMES[name])
    import tensorflow_datasets as tfds

    if tfds_base_name(name) not in tfds.list_builders():
        return []
    builder = tfds_builder(name)
    copy = None if builder.is_prepared() else local_copy(name, "train")
    if copy is not None:
        return local_class_names(copy)
    label = image_and_label_features(builder)[1]  # the label load_tfds reads
    return list(builder.info.features[label].names) if label else []


# TFDS first looks for a prepared copy in its own bucket (`DownloadConfig.try_download_gcs`), so
# a dataset's files may come from there when their own host is down.
TFDS_MIRROR = "https://storage.googleapis.com/tfds-data/"


def download_urls(builder):
    """The URLs TFDS may fetch to prepare `builder`'s dataset: its files' and TFDS' mirror.

    Args:
        builder: a `tfds.core.DatasetBuilder`.

    Returns:
        list of str; empty when TFDS records no URLs for the dataset (one it cannot download,
        or one without checksums), so that nothing is known about where it comes from.

    Example:

    ```python
    download_urls(tfds.builder("mnist"))[0]
    # "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz"
    ```
    """
    urls = list(builder.url_infos or {})
    return urls + [TFDS_MIRROR] if urls else []


def _check_download_hosts(builder, name, offline_hint):
    """Refuses at once a download none of whose hosts answers, before TFDS' minutes of retries."""
    if _has_cached_downloads(os.path.join(builder.data_dir_root, "downloads")):
        return  # an earlier download's files may prepare it without the network
    reasons = unreachable_hosts(download_urls(builder))
    if reasons:
        tried = "; ".join(f"{host}: {reason}" for host, reason in reasons.items())
        raise DataError(
            f"Could not download TFDS dataset {name!r}: none of the hosts it comes from answers "
            f"(is this machine offline?): {tried}. {offline_hint}"
        )


def _has_cached_downloads(folder):
    """Whether TFDS' download folder holds a finished download: a file with its `.INFO` beside it.

    TFDS counts a file without one as not downloaded; a failed download leaves only an empty
    `*.tmp.*` folder, which must not spare the next offline attempt the check.
    """
    return any(name.endswith(".INFO") for _, _, names in os.walk(folder) for name in names)


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

    check_local_split("digits", split)  # any other split was read as "train"
    bunch = sklearn_digits()
    images = np.round(bunch.images / 16.0 * 255.0).astype(np.uint8)[..., None]
    labels = bunch.target.astype(np.int32)
    is_test = np.arange(len(images)) % _DIGITS_TEST_EVERY == 0
    keep = is_test if split == "test" else ~is_test
    return images[keep], labels[keep]


def load_tfds(name, split="train", data_dir=None, download=True, image_size=None,
              channels=None, limit=None):
    """Loads a TFDS dataset into memory as uint8 images and int32 labels.

    Data TFDS has not prepared is read from a copy another tool put on this machine
    (`local_copy`: Debian's `dataset-fashion-mnist`, or what `keras.datasets` downloaded into
    Keras' cache), in its files' order, else downloaded. When none of the hosts the download
    would use answers (`download_urls`), it is refused at once rather than after TFDS' retries.
    A prepared split is read a batch at a time (`tfds_reading.read_prepared`): photos of many
    sizes are resized as they are read, and a dataset without class labels (CelebA, LSUN) is one
    class.

    Args:
        name: str. A TFDS name such as `"mnist"`, `"cifar10"`, `"lsun/bedroom"` (a config) or
            `"emnist/letters:3.1.0"` (a version).
        split: str. Any split or slice TFDS reads (`"validation"`, `"train[:90%]"`);
            `"test"` is `"validation"` for a dataset without a test split, as LSUN's. Local
            copies serve `"train"` and `"test"`.
        data_dir: optional str. TFDS data directory (defaults to TFDS' own).
        download: bool. Whether TFDS may download the data when it is not
            prepared in `data_dir` yet (nor copied to this machine by another tool).
        image_size: optional int or `(height, width)`. Resize to this size; needed for a
            dataset whose images differ in size (`tf_flowers`).
        channels: optional int, 1 or 3. Convert to this many channels.
        limit: optional int. Read only the first `limit` examples.

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
        f"`keras-gen train ... --data /path/to/{name}` with {LOCAL_LAYOUTS}."
    )
    ways = [how for _, how in local_copies(name) if how]
    for number, how in enumerate(ways):
        offline_hint += f" {how}, where load({name!r}) reads it{' too' if number else ''}."
    if ways and split not in SPLITS:
        offline_hint += (f" Such a copy serves 'train' and 'test'; split {split!r} is read from "
                         "TFDS' own prepared copy only.")
    known = tfds.list_builders()
    if tfds_base_name(name) not in known:
        close = difflib.get_close_matches(name, known, n=3)
        suggestion = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise DataError(
            f"Unknown dataset {name!r}: it is not 'digits', an existing local path, or a "
            f"TFDS dataset name.{suggestion} {offline_hint}"
        )
    builder = tfds_builder(name, data_dir=data_dir)
    if not builder.is_prepared():
        copy = local_copy(name, split)
        if copy is not None:
            return read_local(copy, split, image_size=image_size, channels=channels, limit=limit)
        if not download:
            raise DataError(
                f"TFDS dataset {name!r} is not prepared in {builder.data_dir!r} and "
                f"download=False. {offline_hint}"
            )
        check_readable(builder, name, image_size)  # before minutes of download
        _check_download_hosts(builder, name, offline_hint)
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
    return read_prepared(builder, name, split, image_size=image_size, channels=channels,
                         limit=limit)
