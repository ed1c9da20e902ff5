"""CIFAR-10 and CIFAR-100 folders as published for Python, and as keras.datasets leaves them.

The published archives cannot be downloaded here, so each test writes batches in their format:
a pickled dict with bytes keys (Python 2 wrote its str as bytes are pickled here; both read back
as bytes with encoding="bytes"), `data` as uint8 rows of 3,072 bytes (the red plane, then green,
then blue), and a list of labels. Python 3's protocol 2 would pickle bytes as calls to
`_codecs.encode`, which the published files never make, so the batches use protocol 3.
"""

import os
import pickle

import numpy as np
import pytest

from keras_gen import DataError, class_labels, data
from keras_gen.data import sources

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                 "truck"]


def _batch(first_label, count, labels_key=b"labels", extra=None):
    """`count` images whose planes are filled with 10 * (image + 1) (red), + 1 (green) and + 2
    (blue), labels counting up from `first_label`; image 0's red pixel at row 0, column 1 is 99."""
    planes = np.zeros((count, 3, 32, 32), np.uint8)
    for image in range(count):
        for channel in range(3):
            planes[image, channel] = 10 * (image + 1) + channel
    planes[0, 0, 0, 1] = 99
    labels = [(first_label + image) % 10 for image in range(count)]
    return {b"data": planes.reshape(count, 3072), labels_key: labels, **(extra or {})}


def _dump(path, payload):
    with open(path, "wb") as handle:
        pickle.dump(payload, handle, protocol=3)


def write_cifar10(folder, per_batch=2):
    """A CIFAR-10 folder: five training batches of `per_batch`, a test batch of 3."""
    os.makedirs(folder, exist_ok=True)
    for number in range(1, 6):
        _dump(os.path.join(folder, f"data_batch_{number}"), _batch(number, per_batch))
    _dump(os.path.join(folder, "test_batch"), _batch(7, 3))
    _dump(os.path.join(folder, "batches.meta"),
          {b"label_names": [name.encode() for name in CIFAR10_NAMES], b"num_vis": 3072})
    return folder


def test_cifar10_folder_reads_as_published(tmp_path):
    folder = write_cifar10(str(tmp_path / "cifar-10-batches-py"))
    images, labels = data.load_arrays(folder)
    assert images.shape == (10, 32, 32, 3) and images.dtype == np.uint8
    # The batches in order (labels 1, 2 | 2, 3 | ... | 5, 6), each image's planes made pixels.
    assert labels.tolist() == [1, 2, 2, 3, 3, 4, 4, 5, 5, 6] and labels.dtype == np.int32
    assert images[0, 0, 0].tolist() == [10, 11, 12] and images[0, 0, 1].tolist() == [99, 11, 12]
    assert images[1, 31, 31].tolist() == [20, 21, 22]
    test_images, test_labels = data.load_arrays(folder, split="test")
    assert test_images.shape == (3, 32, 32, 3) and test_labels.tolist() == [7, 8, 9]
    # It is no image folder: a conditional run names its classes from batches.meta.
    assert not data.is_image_folder(folder)
    assert class_labels.class_names_of(folder, 10) == CIFAR10_NAMES


def write_cifar100(folder):
    """A CIFAR-100 folder: 4 training images, 2 test images, fine classes named "fine0", ..."""
    os.makedirs(folder, exist_ok=True)
    coarse = {b"coarse_labels": [0, 0, 0, 0]}
    _dump(os.path.join(folder, "train"), _batch(40, 4, b"fine_labels", coarse))
    _dump(os.path.join(folder, "test"), _batch(95, 2, b"fine_labels", {b"coarse_labels": [1, 1]}))
    _dump(os.path.join(folder, "meta"),
          {b"fine_label_names": [f"fine{i}".encode() for i in range(100)],
           b"coarse_label_names": [b"coarse"] * 20})
    return folder


def test_cifar100_folder_gives_its_fine_labels(tmp_path):
    folder = write_cifar100(tmp_path / "cifar-100-python")
    images, labels = data.load_arrays(str(folder))
    # _batch's labels wrap at 10; keras.datasets.cifar100's default is the fine labels too.
    assert images.shape == (4, 32, 32, 3) and labels.tolist() == [0, 1, 2, 3]
    assert data.load_arrays(str(folder), split="test")[1].tolist() == [5, 6]
    assert class_labels.class_names_of(str(folder), 100)[41] == "fine41"


def test_cifar_folder_cut_short_or_damaged_is_refused(tmp_path):
    folder = write_cifar10(str(tmp_path / "cifar-10-batches-py"))
    os.remove(os.path.join(folder, "data_batch_3"))
    with pytest.raises(DataError, match=r"lacks \['data_batch_3'\] of CIFAR-10's train split: "
                                        r"unpack the archive again"):
        data.load_arrays(folder)
    assert data.load_arrays(folder, split="test")[0].shape == (3, 32, 32, 3)
    with open(os.path.join(folder, "data_batch_3"), "wb") as handle:  # a truncated batch
        handle.write(pickle.dumps(_batch(3, 2), protocol=3)[:500])
    with pytest.raises(DataError, match=r"Cannot read .*data_batch_3' as a CIFAR batch "
                                        r"\(.*\); unpack the archive again\."):
        data.load_arrays(folder)
    _dump(os.path.join(folder, "data_batch_3"), {b"data": np.zeros((2, 1024), np.uint8),
                                                 b"labels": [0, 1]})  # grey rows
    with pytest.raises(DataError, match=r"data_batch_3' is not a CIFAR batch: expected 'data', "
                                        r"uint8 rows of 3072 bytes, and a class id in 'labels'"):
        data.load_arrays(folder)


class _RunsCode:
    """A pickle that calls a function as it loads: what a tampered download could hold."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


def test_a_batch_that_would_run_code_is_refused_unrun(tmp_path):
    folder = write_cifar10(str(tmp_path / "cifar-10-batches-py"))
    marker = str(tmp_path / "ran")
    _dump(os.path.join(folder, "test_batch"), {b"data": _RunsCode(marker), b"labels": [0]})
    with pytest.raises(DataError, match=r"test_batch' as a CIFAR batch \(it asks to call "
                                        r"os\.makedirs, which a CIFAR batch never does\)"):
        data.load_arrays(folder, split="test")
    assert not os.path.exists(marker)


def test_what_keras_datasets_cifar10_downloaded_stands_in_for_the_download(
        tmp_path, monkeypatch, empty_keras_cache):
    # keras.datasets.cifar10.load_data() leaves the published batches in Keras' cache; offline,
    # load("cifar10") did not read them (TFDS prepares CIFAR-10 from another archive).
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the test reached for the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    tfds_dir = str(tmp_path / "tfds")
    # Keras 2 (tf.keras) unpacked the batches straight into the cache; Keras 3 one folder deeper.
    write_cifar10(str(empty_keras_cache / "cifar-10-batches-py"), per_batch=1)
    assert data.load_arrays("cifar10", data_dir=tfds_dir, download=False)[0].shape[0] == 5
    write_cifar10(str(empty_keras_cache / "cifar-10-batches-py-target" / "cifar-10-batches-py"))
    images, labels = data.load_arrays("cifar10", data_dir=tfds_dir, download=False)
    assert images.shape == (10, 32, 32, 3) and labels.tolist()[:3] == [1, 2, 2]
    assert [path for path, _ in sources.local_copies("cifar100")] == [
        str(empty_keras_cache / "cifar-100-python-target" / "cifar-100-python"),
        str(empty_keras_cache / "cifar-100-python")]
    # The offline error names one way to get a copy: Keras 3's.
    with pytest.raises(DataError, match=r"folder of class subfolders\. keras\.datasets\.cifar100"
                                        r"\.load_data\(\), run once online, leaves it in "
                                        r".*cifar-100-python-target/cifar-100-python, where "
                                        r"load\('cifar100'\) reads it\.$"):
        data.load_arrays("cifar100", data_dir=tfds_dir, download=False)


def test_cifar100_by_name_is_named_by_the_copy_it_is_read_from(tmp_path, empty_keras_cache):
    # `train cgan --dataset cifar100` read the batches keras.datasets had left in Keras' cache
    # but named no classes: keras_gen listed none for it, and TFDS' record of a CIFAR-100 it
    # has not prepared numbers them "0" to "99".
    write_cifar100(empty_keras_cache / "cifar-100-python-target" / "cifar-100-python")
    names = class_labels.dataset_class_names("cifar100")
    assert len(names) == 100 and names[41] == "fine41"
