"""keras_gen.data.load by name: TFDS, the copies on this machine that stand in for a download
(Debian's package, Keras' cache), and what happens offline."""

import gzip
import os

import numpy as np
import pytest

from keras_gen import DataError, class_labels, data
from keras_gen.data import sources
from keras_gen.data.transforms import convert_images
from tests.helpers import SHARED_DATA, needs_shared


def test_unknown_name_suggests_a_close_one():
    with pytest.raises(DataError, match="Did you mean 'fashion_mnist'"):
        data.load_arrays("fashion_mnis")


def test_named_dataset_offline_names_the_local_alternative(tmp_path):
    # An empty TFDS data_dir and download=False: nothing is fetched.
    with pytest.raises(DataError, match="not prepared.*--data /path/to/mnist"):
        data.load_arrays("mnist", data_dir=str(tmp_path), download=False)


def test_a_tfds_dataset_is_named_as_tfds_records_it(monkeypatch):
    # `train cgan --dataset rock_paper_scissors` named no classes (`sample --label paper` was
    # refused): only the datasets keras_gen lists itself were named. TFDS' record of a dataset
    # is in its code until the data is prepared, so nothing is fetched.
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the test reached for the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    assert class_labels.dataset_class_names("rock_paper_scissors") == ["rock", "paper",
                                                                       "scissors"]
    assert class_labels.dataset_class_names("svhn_cropped") == []  # "0" to "9" tell nothing
    assert class_labels.dataset_class_names("no_such_dataset") == []


@needs_shared("fashion_mnist")
def test_a_tfds_name_is_prepared_by_tfds_and_loaded(tmp_path, monkeypatch, online):
    # What an online user's data.load("fashion_mnist") runs, with TFDS' download step handed
    # ../shared's official files instead of fetching them. It failed when TFDS prepared the
    # data, "No module named 'importlib_resources'" (tensorflow/datasets#11212), and said
    # "is this machine offline?".
    import socket

    import tensorflow_datasets as tfds

    files = {"train_data": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
             "test_data": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}
    extracted = {}
    for key, name in files.items():  # TFDS' download_and_extract returns the gunzipped files
        with gzip.open(os.path.join(SHARED_DATA, "fashion_mnist", name + ".gz")) as packed:
            (tmp_path / name).write_bytes(packed.read())
        extracted[key] = str(tmp_path / name)
    monkeypatch.setattr(tfds.download.DownloadManager, "download_and_extract",
                        lambda self, urls: {key: extracted[key] for key in urls})

    def no_network(*args, **kwargs):
        raise AssertionError("the test reached for the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setitem(sources.SYSTEM_COPIES, "fashion_mnist",  # TFDS' path, Debian's copy or not
                        ("dataset-fashion-mnist", str(tmp_path / "not_installed")))
    images, labels = data.load_arrays("fashion_mnist", split="test",
                                      data_dir=str(tmp_path / "tfds"))
    expected, expected_labels = data.load_arrays(os.path.join(SHARED_DATA, "fashion_mnist"),
                                                 split="test")
    assert images.shape == (10000, 28, 28, 1) and images.dtype == np.uint8
    assert labels.dtype == np.int32
    # TFDS stores the examples in an order of its own: the same (image, label) pairs.

    def pairs(x, y):
        return sorted(image.tobytes() + bytes([label]) for image, label in zip(x, y))

    assert pairs(images, labels) == pairs(expected, expected_labels)
    # Read in batches of 3,000 images (of 784 values) and resized batch by batch: the same.
    from keras_gen.data import tfds_reading

    monkeypatch.setattr(tfds_reading, "_READ_VALUES", 3000 * 32 * 32)
    batched = data.load_arrays("fashion_mnist", split="test", image_size=32,
                               data_dir=str(tmp_path / "tfds"))
    np.testing.assert_array_equal(batched[0], convert_images(images, 32))
    np.testing.assert_array_equal(batched[1], labels)


@needs_shared("fashion_mnist")
def test_debians_fashion_mnist_package_stands_in_for_the_download(tmp_path, monkeypatch):
    # Offline, load("fashion_mnist") failed after TFDS' retries (~3.4 minutes) though Debian's
    # dataset-fashion-mnist had put the official files in /usr/share/datasets/fashion-mnist.
    # ../shared's official files stand in for that folder here.
    import socket

    import tensorflow_datasets as tfds

    installed = os.path.join(SHARED_DATA, "fashion_mnist")
    monkeypatch.setitem(sources.SYSTEM_COPIES, "fashion_mnist",
                        ("dataset-fashion-mnist", installed))

    def no_network(*args, **kwargs):
        raise AssertionError("the test reached for the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    for download in (True, False):
        images, labels = data.load_arrays("fashion_mnist", split="test", limit=500,
                                          data_dir=str(tmp_path / "tfds"), download=download)
        expected, expected_labels = data.load_arrays(installed, split="test", limit=500)
        np.testing.assert_array_equal(images, expected)  # the files' order
        np.testing.assert_array_equal(labels, expected_labels)
        assert images.shape == (500, 28, 28, 1) and labels.dtype == np.int32
    # A copy TFDS has prepared comes first: the package stands in for the download only.
    prepared = (np.zeros((2, 28, 28, 1), np.uint8), np.array([3, 4], np.int32))
    monkeypatch.setattr(tfds.core.DatasetBuilder, "is_prepared", lambda self: True)
    monkeypatch.setattr(sources, "read_prepared", lambda builder, *args, **kwargs: prepared)
    assert data.load_arrays("fashion_mnist", data_dir=str(tmp_path / "tfds"))[1].tolist() == [3, 4]
    # Without the package, the offline error says where it would be read from.
    monkeypatch.setitem(sources.SYSTEM_COPIES, "fashion_mnist",
                        ("dataset-fashion-mnist", str(tmp_path / "not_installed")))
    monkeypatch.setattr(tfds.core.DatasetBuilder, "is_prepared", lambda self: False)
    with pytest.raises(DataError, match=r"download=False\. Use a local copy instead: .* On Debian "
                                        r"or Ubuntu, `apt install dataset-fashion-mnist` puts it "
                                        r"in .*not_installed, where load\('fashion_mnist'\) reads "
                                        r"it\. keras\.datasets\.fashion_mnist\.load_data\(\), "
                                        r"run once online, leaves it in .*keras_home.*/datasets/"
                                        r"fashion-mnist, where load\('fashion_mnist'\) reads it "
                                        r"too\.$"):
        data.load_arrays("fashion_mnist", data_dir=str(tmp_path / "tfds"), download=False)


@needs_shared("mnist")
def test_what_keras_datasets_downloaded_stands_in_for_the_download(
        tmp_path, monkeypatch, empty_keras_cache):
    # keras.datasets.mnist.load_data() leaves mnist.npz in Keras' cache and
    # fashion_mnist.load_data() the four official IDX files; offline, load("mnist") read
    # neither. ../shared's images stand in for what Keras downloaded.
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the test reached for the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setitem(sources.SYSTEM_COPIES, "fashion_mnist",  # Debian's copy or not
                        ("dataset-fashion-mnist", str(tmp_path / "not_installed")))
    mnist = {split: data.load_arrays(os.path.join(SHARED_DATA, "mnist"), split=split, limit=300)
             for split in ("train", "test")}
    empty_keras_cache.mkdir()
    np.savez(empty_keras_cache / "mnist.npz", x_train=mnist["train"][0][..., 0],
             y_train=mnist["train"][1], x_test=mnist["test"][0][..., 0], y_test=mnist["test"][1])
    fashion = empty_keras_cache / "fashion-mnist"
    fashion.mkdir()
    # Keras fetches train-labels, train-images, t10k-labels, t10k-images: cut short after two.
    for name in ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz"):
        os.symlink(os.path.join(SHARED_DATA, "fashion_mnist", name), fashion / name)
    tfds_dir = str(tmp_path / "tfds")
    for split in ("train", "test"):
        images, labels = data.load_arrays("mnist", split=split, data_dir=tfds_dir, download=False)
        np.testing.assert_array_equal(images, mnist[split][0])  # the file's order
        np.testing.assert_array_equal(labels, mnist[split][1])
    images, labels = data.load_arrays("fashion_mnist", limit=300, data_dir=tfds_dir,
                                      download=False)
    expected = data.load_arrays(os.path.join(SHARED_DATA, "fashion_mnist"), limit=300)
    np.testing.assert_array_equal(images, expected[0])
    np.testing.assert_array_equal(labels, expected[1])
    # Its test split is not there: TFDS is left to get it, here not allowed to download.
    with pytest.raises(DataError, match="'fashion_mnist' is not prepared .* download=False"):
        data.load_arrays("fashion_mnist", split="test", data_dir=tfds_dir, download=False)
    # A download cut short leaves a truncated file, which is not read either.
    (empty_keras_cache / "mnist.npz").write_bytes(
        (empty_keras_cache / "mnist.npz").read_bytes()[:1000])
    with pytest.raises(DataError, match="'mnist' is not prepared .* keras\\.datasets\\.mnist\\."
                                        "load_data\\(\\), run once online, leaves it in "):
        data.load_arrays("mnist", data_dir=tfds_dir, download=False)


def test_keras_cache_folder_follows_keras_rule(tmp_path, monkeypatch):
    # keras.utils.get_file: $KERAS_HOME, else ~/.keras; /tmp/.keras where that is not writable.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert sources.keras_cache_folder() == str(tmp_path / "datasets")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "missing"))
    assert sources.keras_cache_folder() == "/tmp/.keras/datasets"
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert sources.keras_cache_folder() == "/tmp/.keras/datasets"  # no ~/.keras yet
    (tmp_path / ".keras").mkdir()
    assert sources.keras_cache_folder() == str(tmp_path / ".keras" / "datasets")


@pytest.fixture
def online(monkeypatch):
    """The hosts a TFDS download comes from answer, as they do for an online machine."""
    monkeypatch.setattr(sources, "unreachable_hosts", lambda urls: None)


def test_tfds_download_urls_are_the_datasets_own_and_the_mirror():
    import tensorflow_datasets as tfds

    assert sources.download_urls(tfds.builder("mnist")) == [
        f"https://storage.googleapis.com/cvdf-datasets/mnist/{name}-ubyte.gz" for name in (
            "t10k-images-idx3", "t10k-labels-idx1", "train-images-idx3", "train-labels-idx1")
    ] + ["https://storage.googleapis.com/tfds-data/"]


def test_a_download_no_host_answers_is_refused_at_once(tmp_path, monkeypatch, refusing_url):
    # Offline, load("mnist") failed only after TFDS' 10 retries with backoff, ~3.4 minutes.
    import tensorflow_datasets as tfds

    attempts = []

    def download(self, *args, **kwargs):
        attempts.append(self.name)
        raise ConnectionError("network unreachable")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", download)
    monkeypatch.setattr(sources, "download_urls", lambda builder: [refusing_url])
    host = refusing_url.split("/")[2]
    with pytest.raises(DataError, match=rf"^Could not download TFDS dataset 'mnist': none of the "
                                        rf"hosts it comes from answers \(is this machine "
                                        rf"offline\?\): {host}: .*Connection refused.*\. Use a "
                                        rf"local copy instead: .*--data /path/to/mnist"):
        data.load_arrays("mnist", data_dir=str(tmp_path))
    # A failed download leaves an empty folder behind: nothing to prepare from, refused again.
    (tmp_path / "downloads" / "mnist" / "cvdf-datasets_mnist_t10k.gz.tmp.c94d").mkdir(parents=True)
    with pytest.raises(DataError, match="none of the hosts it comes from answers"):
        data.load_arrays("mnist", data_dir=str(tmp_path))
    assert attempts == []
    # A finished one (a file with TFDS' .INFO beside it) may prepare it offline: TFDS is let try.
    for name in ("cvdf-datasets_mnist_t10k.gz", "cvdf-datasets_mnist_t10k.gz.INFO"):
        (tmp_path / "downloads" / "mnist" / name).write_bytes(b"")
    with pytest.raises(DataError, match="offline.*ConnectionError: network unreachable"):
        data.load_arrays("mnist", data_dir=str(tmp_path))
    assert attempts == ["mnist"]


def test_a_module_tfds_lacks_is_not_reported_as_offline(tmp_path, monkeypatch, online):
    import tensorflow_datasets as tfds

    def missing(self, *args, **kwargs):
        raise ModuleNotFoundError("No module named 'importlib_resources'",
                                  name="importlib_resources")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", missing)
    with pytest.raises(DataError, match=r"^TFDS could not prepare 'mnist': it needs a module that "
                                        r"is not installed \(No module named "
                                        r"'importlib_resources'\)\. Install it: pip install "
                                        r"importlib_resources\. TFDS declares it for Python < 3\.9 "
                                        r"only \(tensorflow/datasets#11212\)\. Or load a local"):
        data.load_arrays("mnist", data_dir=str(tmp_path))


def test_failed_download_becomes_a_data_error(tmp_path, monkeypatch, online):
    import tensorflow_datasets as tfds

    def refuse(self, *args, **kwargs):
        raise ConnectionError("network unreachable")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", refuse)
    with pytest.raises(DataError, match="offline.*ConnectionError.*--data /path/to/mnist"):
        data.load_arrays("mnist", data_dir=str(tmp_path))
    # A copy in Keras' cache, which the hint names, serves neither a slice nor another split.
    with pytest.raises(DataError, match=r"Such a copy serves 'train' and 'test'; split "
                                        r"'train\[:10%\]' is read from TFDS' own prepared copy "
                                        r"only\.$"):
        data.load_arrays("mnist", split="train[:10%]", data_dir=str(tmp_path))
