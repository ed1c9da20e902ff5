"""keras_gen.data.load on every source kind, with the errors a user can cause."""

import gzip
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from keras_gen import DataError, data
from keras_gen.data.transforms import to_unit_range
from tests.helpers import SHARED_DATA, needs_shared


def _write_idx(folder, prefix, images, labels, gz=True):
    os.makedirs(folder, exist_ok=True)
    opener = gzip.open if gz else open
    suffix = ".gz" if gz else ""
    header = (0x803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in images.shape)
    with opener(os.path.join(folder, f"{prefix}-images-idx3-ubyte{suffix}"), "wb") as f:
        f.write(header + images.astype(np.uint8).tobytes())
    with opener(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{suffix}"), "wb") as f:
        f.write((0x801).to_bytes(4, "big") + len(labels).to_bytes(4, "big") +
                labels.astype(np.uint8).tobytes())


def test_digits_is_embedded_and_resized_to_28():
    train_x, train_y = data.load_arrays("digits")
    test_x, test_y = data.load_arrays("digits", split="test")
    assert train_x.shape == (1437, 28, 28, 1) and test_x.shape == (360, 28, 28, 1)
    assert train_x.dtype == np.uint8 and set(np.unique(train_y)) == set(range(10))
    assert train_x.max() == 255 and train_x.min() == 0


def test_dataset_elements_are_scaled_batched_and_typed():
    dataset = data.load("digits", batch_size=32, seed=1)
    images, labels = next(iter(dataset))
    assert images.shape == (32, 28, 28, 1) and images.dtype == tf.float32
    assert labels.dtype == tf.int32
    assert -1.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1.0
    # drop_remainder: 1437 // 32 full batches.
    assert int(dataset.cardinality()) == 1437 // 32


def test_value_mapping_is_exact(tmp_path):
    images = np.array([[[0, 255], [127, 51]]], np.uint8).reshape(1, 2, 2)
    np.savez(tmp_path / "d.npz", x_train=np.repeat(images, 4, 0)[:, :, :],
             y_train=np.arange(4))
    batch, _ = next(iter(data.load(str(tmp_path / "d.npz"), batch_size=4, shuffle=False,
                                   image_size=None)))
    # 0 -> -1, 255 -> 1, 127 -> 127/127.5 - 1, 51 -> 51/127.5 - 1.
    np.testing.assert_allclose(batch[0, :, :, 0], [[-1.0, 1.0], [127 / 127.5 - 1, 51 / 127.5 - 1]],
                               rtol=1e-6)


def test_seeded_shuffle_is_reproducible():
    first = [l.numpy() for _, l in data.load("digits", batch_size=64, seed=3).take(2)]
    again = [l.numpy() for _, l in data.load("digits", batch_size=64, seed=3).take(2)]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(again))


def test_the_pipeline_runs_without_tf_data_autotuning_and_gives_the_same_epochs():
    # Its optimization thread stalled about half the epoch starts by up to ~1 s
    # (benchmarks/data_pipeline.py measures that); turning it off must change nothing a model
    # trains on.
    dataset = data.load("digits", batch_size=64, seed=5)
    assert dataset.options().autotune.enabled is False
    options = tf.data.Options()
    options.autotune.enabled = True
    tuned = data.load("digits", batch_size=64, seed=5).with_options(options)
    for _ in range(3):  # reshuffled each epoch, alike
        batches = 0
        for (images, labels), (tuned_images, tuned_labels) in zip(dataset, tuned):
            np.testing.assert_array_equal(labels, tuned_labels)
            np.testing.assert_array_equal(images, tuned_images)
            batches += 1
        assert batches == 1437 // 64


def test_idx_folder_reads_both_splits(tmp_path):
    rng = np.random.default_rng(0)
    _write_idx(tmp_path, "train", rng.integers(0, 256, (5, 28, 28)), np.arange(5))
    _write_idx(tmp_path, "t10k", rng.integers(0, 256, (3, 28, 28)), np.array([7, 8, 9]), gz=False)
    x, y = data.load_arrays(str(tmp_path))
    assert x.shape == (5, 28, 28, 1) and list(y) == [0, 1, 2, 3, 4]
    x, y = data.load_arrays(str(tmp_path), split="test")
    assert x.shape == (3, 28, 28, 1) and list(y) == [7, 8, 9]


@needs_shared("mnist")
def test_real_mnist_from_shared_data():
    x, y = data.load_arrays(os.path.join(SHARED_DATA, "mnist"), split="test")
    assert x.shape == (10000, 28, 28, 1)
    # Test-split class counts published in ../shared/data/README.md.
    assert list(np.bincount(y)) == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_idx_errors_are_clear(tmp_path):
    _write_idx(tmp_path, "train", np.zeros((4, 28, 28)), np.arange(3))
    with pytest.raises(DataError, match="4 images but .* 3 labels"):
        data.load_arrays(str(tmp_path))
    with pytest.raises(DataError, match="No IDX images file for split 'test'"):
        data.load_arrays(str(tmp_path), split="test")
    with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write((0x803).to_bytes(4, "big") + (10).to_bytes(4, "big") * 3 + b"\0" * 10)
    with pytest.raises(DataError, match="truncated"):
        data.load_arrays(str(tmp_path))


def test_npz_splits_and_errors(tmp_path):
    x = np.random.default_rng(0).uniform(0, 1, (6, 8, 8, 3)).astype(np.float32)
    np.savez(tmp_path / "ok.npz", x_train=x, y_train=np.arange(6), x_test=x[:2], y_test=[1, 2])
    images, labels = data.load_arrays(str(tmp_path / "ok.npz"), split="test")
    assert images.shape == (2, 8, 8, 3) and images.dtype == np.uint8 and list(labels) == [1, 2]
    np.savez(tmp_path / "no_test.npz", x_train=x, y_train=np.arange(6))
    with pytest.raises(DataError, match=r"no 'x_test' array \(it holds \['x_train', 'y_train'\]\)"):
        data.load_arrays(str(tmp_path / "no_test.npz"), split="test")
    # Images without labels are one class, as a folder without class subfolders is.
    np.savez(tmp_path / "unlabelled.npz", x_train=x)
    images, labels = data.load_arrays(str(tmp_path / "unlabelled.npz"))
    assert images.shape == (6, 8, 8, 3) and labels.tolist() == [0] * 6
    np.savez(tmp_path / "range.npz", x_train=x * 255, y_train=np.arange(6))
    with pytest.raises(DataError, match=r"expected \[0, 1\]\. They look like pixel values in "
                                        r"\[0, 255\]: divide them by 255, or store them as uint8"):
        data.load_arrays(str(tmp_path / "range.npz"))
    # np.load took it for a pickle: "If you trust the file you can load it unsafely".
    (tmp_path / "text.npz").write_text("x_train,y_train")
    with pytest.raises(DataError, match=r"^Cannot read '.*text\.npz' as an \.npz archive: it is "
                                        r"not one \(an \.npz is a zip of \.npy arrays"):
        data.load_arrays(str(tmp_path / "text.npz"))
    np.savez(tmp_path / "channels.npz", x_train=np.zeros((2, 8, 8, 2), np.uint8), y_train=[0, 1])
    with pytest.raises(DataError, match="C = 1 .* or 3"):
        data.load_arrays(str(tmp_path / "channels.npz"))


def test_read_local_takes_a_pathlib_path_and_refuses_what_is_no_path(tmp_path):
    # read_local(Path(...)) of an .npz: "'PosixPath' object has no attribute 'endswith'".
    x = np.arange(2 * 8 * 8, dtype=np.uint8).reshape(2, 8, 8)
    np.savez(tmp_path / "ok.npz", x_train=x, y_train=[3, 4])
    images, labels = data.read_local(tmp_path / "ok.npz")
    np.testing.assert_array_equal(images[..., 0], x)
    assert labels.tolist() == [3, 4]
    _write_idx(str(tmp_path / "idx"), "train", x, np.array([5, 6]))
    assert data.read_local(tmp_path / "idx")[1].tolist() == [5, 6]
    with pytest.raises(TypeError, match=r"^path is a dataset's path\. Received: path=None$"):
        data.read_local(None)  # os.stat's "path should be string, bytes, os.PathLike or integer"


def test_npz_labels_must_be_class_ids_and_images_in_minus_one_to_one_are_told_apart(tmp_path):
    # String labels failed with numpy's "invalid literal for int()", 0.5 became class 0 without a
    # word, and an object array (a None among the labels) with np.load's own ValueError.
    x = np.zeros((4, 8, 8, 1), np.uint8)
    for name, labels in (("names", np.array(["cat", "dog", "cat", "dog"])),
                         ("halves", np.array([0.5, 1.0, 0.0, 1.0]))):
        np.savez(tmp_path / f"{name}.npz", x_train=x, y_train=labels)
        with pytest.raises(DataError, match=r"must be whole-number class ids; .*np\.unique\("
                                            r"labels, return_inverse=True\)\[1\]"):
            data.load_arrays(str(tmp_path / f"{name}.npz"))
    np.savez(tmp_path / "objects.npz", x_train=x, y_train=np.array([0, 1, None, 1], object))
    with pytest.raises(DataError, match=r"Cannot read \('x_train', 'y_train'\) .* Save numeric "
                                        r"arrays"):
        data.load_arrays(str(tmp_path / "objects.npz"))
    np.savez(tmp_path / "whole.npz", x_train=x, y_train=np.array([0.0, 1.0, 2.0, 1.0]))
    assert data.load_arrays(str(tmp_path / "whole.npz"))[1].tolist() == [0, 1, 2, 1]
    # Images already scaled for the model are named as such, not told to be divided by 255.
    np.savez(tmp_path / "model_range.npz", x_train=np.full((4, 8, 8, 1), -0.5, np.float32),
             y_train=np.arange(4))
    with pytest.raises(DataError, match=r"They look scaled to \[-1, 1\] already: store "
                                        r"\(images \+ 1\) / 2, or store them as uint8\.$"):
        data.load_arrays(str(tmp_path / "model_range.npz"))


def test_from_arrays_refuses_float_images_it_would_darken():
    # It scaled float [0, 1] images as 0-255 ones, to [-1, -0.992]: every image black, silently.
    unit = np.linspace(0, 1, 8 * 4, dtype=np.float32).reshape(8, 2, 2, 1)
    with pytest.raises(DataError, match=r"^the arrays must be integer images in \[0, 255\], which "
                                        r"from_arrays scales to \[-1, 1\]; received float32 values "
                                        r"from 0 to 1\. Convert them with \(images \* 255\)"
                                        r"\.round\(\)\.astype\('uint8'\)\.$"):
        data.from_arrays(unit, np.zeros(8, np.int32), batch_size=4)
    # The fix fits the values: 0-255 floats (x_train.astype("float32")) were told how to convert
    # [0, 1] ones, and [-1, 1] ones need no from_arrays at all.
    for images, fix in [(unit * 255, r"Convert them with images\.round\(\)\.astype\('uint8'\)"),
                        (unit * 2 - 1, r"Images already in \[-1, 1\] need no scaling: build the "
                                       r"dataset with tf\.data\.Dataset\.from_tensor_slices")]:
        with pytest.raises(DataError, match=rf"received float32 values from .*\. {fix}"):
            data.from_arrays(images, batch_size=4)
    with pytest.raises(DataError, match=r"received int64 values from -1 to 256\."):
        data.from_arrays(np.array([-1, 256] * 16).reshape(8, 2, 2, 1), np.zeros(8), batch_size=4)
    with pytest.raises(DataError, match=r"^to_unit_range maps 0-255 integer images to \[-1, 1\]; "
                                        r"received float32 images\."):
        to_unit_range(unit)
    # Any integer type in [0, 255] is scaled as uint8 is: 0 -> -1, 255 -> 1.
    wide = np.array([0, 255] * 16, np.int64).reshape(8, 2, 2, 1)
    batch, _ = next(iter(data.from_arrays(wide, np.zeros(8), batch_size=8, shuffle=False)))
    np.testing.assert_array_equal(batch.numpy().reshape(-1)[:2], [-1.0, 1.0])


def test_from_arrays_takes_one_label_per_image_or_none_and_an_int_seed():
    # Labels=None failed "in user code", 7 labels for 8 images with "Dimensions 8 and 7 are not
    # compatible", and seed="a" with "not all arguments converted during string formatting".
    images = np.arange(8, dtype=np.uint8).reshape(8, 1, 1, 1)
    _, labels = next(iter(data.from_arrays(images, None, batch_size=8, shuffle=False)))
    assert labels.numpy().tolist() == [0] * 8
    # None is the default: from_arrays(x_train) for an unconditional model was a TypeError
    # ("missing 1 required positional argument: 'labels'").
    _, labels = next(iter(data.from_arrays(images, batch_size=8, shuffle=False)))
    assert labels.numpy().tolist() == [0] * 8
    for labels, shape in ((np.zeros(7), r"\(7,\)"), (3, r"\(\)")):
        with pytest.raises(DataError, match=rf"^8 images but labels of shape {shape} in the "
                                            r"arrays; pass one label per image \(or labels=None "
                                            r"for one class\)\.$"):
            data.from_arrays(images, labels, batch_size=4)
    with pytest.raises(DataError, match=r"^seed must be an int or None\. Received: seed='a'$"):
        data.from_arrays(images, None, batch_size=4, seed="a")


def test_from_arrays_takes_greyscale_images_without_their_channel_axis():
    # keras.datasets.mnist gives (N, 28, 28): from_arrays made batches of (4, 28, 28), which
    # every model then refused, telling the user to load the data at its image size.
    images = np.arange(8 * 2 * 3, dtype=np.uint8).reshape(8, 2, 3)
    batch, _ = next(iter(data.from_arrays(images, None, batch_size=4, shuffle=False)))
    assert batch.shape == (4, 2, 3, 1)
    np.testing.assert_allclose(batch.numpy()[..., 0], images[:4] / 127.5 - 1, atol=1e-6)
    for shape in ((8, 6), (8, 1, 2, 3, 1)):  # flattened, or one axis too many
        with pytest.raises(DataError, match=rf"^the arrays must be images shaped \(N, height, "
                                            rf"width, channels\), or \(N, height, width\) for "
                                            rf"greyscale; received shape "
                                            rf"{re.escape(str(shape))}\.$"):
            data.from_arrays(np.zeros(shape, np.uint8), None, batch_size=4)


def test_fewer_images_than_one_batch_are_refused_with_the_fix():
    # With drop_remainder every batch would be dropped and fit would train on nothing.
    images = np.zeros((3, 2, 2, 1), np.uint8)
    with pytest.raises(DataError, match=r"^dataset 'mine': 3 images, fewer than batch_size=4, "
                                        r"so every batch would be dropped\. Use a smaller "
                                        r"batch_size \(--batch-size on the command line\)"):
        data.from_arrays(images, np.zeros(3), batch_size=4, description="dataset 'mine'")
    with pytest.raises(DataError, match=r"^the arrays: 3 images, fewer than"):  # not "has"
        data.from_arrays(images, batch_size=4)
    batches = data.from_arrays(images, np.zeros(3), batch_size=4, drop_remainder=False)
    assert [len(x) for x, _ in batches] == [3]


def test_empty_folder_and_missing_path(tmp_path):
    with pytest.raises(DataError, match="no images"):
        data.load_arrays(str(tmp_path))
    with pytest.raises(DataError, match="does not exist"):
        data.load_arrays(str(tmp_path / "missing"))
    # The two checks a command makes before it infers a feature extractor from the path.
    with pytest.raises(DataError, match="missing': the path does not exist"):
        data.check_dataset_exists(tmp_path / "missing")
    data.check_dataset_exists(tmp_path)
    assert [data.looks_like_path(source) for source in (
        "mnist", "fashion_mnist", f"{tmp_path}/missing", "missing.npz", "digits")] == [
        False, False, True, True, False]


@pytest.mark.parametrize("kwargs, match", [({"split": "validation"},
                                            "split must be 'train' or 'test' for 'digits'"),
                                           ({"batch_size": 0}, "batch_size must be"),
                                           ({"batch_size": 5000}, "fewer than batch_size"),
                                           ({"image_size": (28,)}, "image_size must be"),
                                           # 0 was read as "the default" (28) for digits
                                           # and the message quotes what was passed
                                           ({"image_size": 0}, r"Received: image_size=0$"),
                                           ({"channels": 2}, "channels must be 1 or 3")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(DataError, match=match):
        data.load("digits", **kwargs)


def test_channels_and_limit():
    images, labels = data.load_arrays("digits", channels=3, image_size=32, limit=10)
    assert images.shape == (10, 32, 32, 3) and len(labels) == 10
    assert np.array_equal(images[..., 0], images[..., 2])  # gray repeated
