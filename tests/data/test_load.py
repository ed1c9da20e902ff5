"""keras_gen.data.load on every source kind, with the errors a user can cause."""

import gzip
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from keras_gen import DataError, class_labels, data
from keras_gen.data import sources
from keras_gen.data.transforms import convert_images, to_unit_range
from tests.helpers import SHARED_DATA


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


@pytest.mark.skipif(not os.path.isdir(os.path.join(SHARED_DATA, "mnist")),
                    reason="../shared/data is not beside this checkout")
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


def _write_png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tf.io.write_file(str(path), tf.io.encode_png(array))


def test_image_folder_labels_follow_sorted_class_names(tmp_path):
    _write_png(tmp_path / "cat" / "a.png", np.full((8, 8, 3), 10, np.uint8))
    _write_png(tmp_path / "ant" / "b.png", np.full((8, 8, 3), 200, np.uint8))
    _write_png(tmp_path / "ant" / "c.png", np.full((8, 8, 3), 100, np.uint8))
    images, labels = data.load_arrays(str(tmp_path))
    assert images.shape == (3, 8, 8, 3) and list(labels) == [0, 1, 0]  # ant=0, cat=1, in turn
    assert list(images[:, 0, 0, 0]) == [200, 10, 100]  # ant/b, cat/a, ant/c
    # Hidden entries are not classes or images (as in Keras' image_dataset_from_directory):
    # Jupyter's checkpoints folder sorted first, became class 0 and made ant 1 and cat 2.
    _write_png(tmp_path / ".ipynb_checkpoints" / "d.png", np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "cat" / "._a.png").write_bytes(b"macOS AppleDouble metadata, not a PNG")
    images, labels = data.load_arrays(str(tmp_path))
    assert images.shape == (3, 8, 8, 3) and list(labels) == [0, 1, 0]


def test_images_in_a_class_folders_subfolders_belong_to_that_class(tmp_path):
    # As Keras' image_dataset_from_directory reads them; they were dropped without a word.
    _write_png(tmp_path / "dogs" / "a.png", np.full((4, 4, 1), 10, np.uint8))
    _write_png(tmp_path / "dogs" / "2019" / "b.png", np.full((4, 4, 1), 20, np.uint8))
    _write_png(tmp_path / "dogs" / "2019" / "june" / "c.png", np.full((4, 4, 1), 30, np.uint8))
    _write_png(tmp_path / "dogs" / ".thumbnails" / "d.png", np.full((4, 4, 1), 99, np.uint8))
    _write_png(tmp_path / "cats" / "old" / "e.png", np.full((4, 4, 1), 50, np.uint8))
    images, labels = data.load_arrays(str(tmp_path))
    assert list(labels) == [0, 1, 1, 1]  # cats, then dogs' own image before its subfolders'
    assert list(images[:, 0, 0, 0]) == [50, 10, 20, 30]  # hidden .thumbnails skipped
    assert data.image_folder_class_names(str(tmp_path)) == ["cats", "dogs"]


def test_an_image_folder_has_one_split_and_says_how_to_hold_images_out(tmp_path):
    _write_png(tmp_path / "a" / "0.png", np.zeros((4, 4, 1), np.uint8))
    with pytest.raises(DataError, match=r"^An image folder has a single split, 'train'\. Received: "
                                        r"split='test'\. Put test images in a separate folder "
                                        r"and load that one with split='train'"):
        data.load_arrays(str(tmp_path), split="test")


def test_a_limit_on_an_image_folder_keeps_every_class(tmp_path):
    # Read class after class, the first N images were the first classes': `keras-gen finetune
    # --limit 1000` (its default) on three classes of 500 images dropped the third silently.
    for name, count in (("a", 3), ("b", 3), ("c", 1)):
        for i in range(count):
            _write_png(tmp_path / name / f"{i}.png", np.full((4, 4, 1), 10 * i, np.uint8))
    _, labels = data.load_arrays(str(tmp_path), limit=4)
    assert list(labels) == [0, 1, 2, 0]
    images, labels = data.load_arrays(str(tmp_path))
    assert list(labels) == [0, 1, 2, 0, 1, 0, 1]  # c runs out; a and b go on in turn
    assert list(images[:, 0, 0, 0]) == [0, 0, 0, 10, 10, 20, 20]
    # Only the first N files are decoded (all were, then cut): b's third file is the 7th.
    (tmp_path / "b" / "2.png").write_bytes(b"not a png")
    _, labels = data.load_arrays(str(tmp_path), limit=6)
    assert list(labels) == [0, 1, 2, 0, 1, 0]
    # The reason without TensorFlow's "{{function_node __wrapped__DecodeImage...}}" around it.
    with pytest.raises(DataError, match=r"^Cannot decode image '.*2\.png': Unknown image file "
                                        r"format\. One of .* required\. Replace or remove the "
                                        r"file\.$"):
        data.load_arrays(str(tmp_path), limit=7)


def test_a_class_folder_without_images_is_warned_of(tmp_path):
    # Its label stays its own, as in Keras: a conditional model would draw a class it never saw.
    for name in ("a", "c"):
        _write_png(tmp_path / name / "0.png", np.zeros((4, 4, 1), np.uint8))
    (tmp_path / "b").mkdir()
    with pytest.warns(UserWarning, match=r"^Class folders \['b'\] of '.*' gave no images; a "
                                         r"conditional model will not learn those classes\."):
        _, labels = data.load_arrays(str(tmp_path))
    assert list(labels) == [0, 2]
    with pytest.warns(UserWarning, match=r"Class folders \['b', 'c'\] .* within limit=1;"):
        data.load_arrays(str(tmp_path), limit=1)


def test_a_folder_of_images_without_subfolders_is_one_class(tmp_path):
    # It was "Found no dataset ... Expected folder/<class_name>/<image files>": the usual way
    # to hold "a few hundred of my own images" for an unconditional GAN did not load.
    _write_png(tmp_path / "mine" / "b.png", np.full((8, 8, 1), 200, np.uint8))
    _write_png(tmp_path / "mine" / "a.png", np.full((8, 8, 1), 10, np.uint8))
    (tmp_path / "mine" / "notes.txt").write_text("not an image")
    images, labels = data.load_arrays(str(tmp_path / "mine"))
    assert images.shape == (2, 8, 8, 1) and list(labels) == [0, 0]
    assert list(images[:, 0, 0, 0]) == [10, 200]  # sorted by name
    # Beside class subfolders, loose images would have no class: refused, not dropped.
    _write_png(tmp_path / "mine" / "cats" / "c.png", np.full((8, 8, 1), 50, np.uint8))
    with pytest.raises(DataError, match=r"has images both in class subfolders and beside them "
                                        r"\(e\.g\. '.*a\.png'\), so those would have no class\."):
        data.load_arrays(str(tmp_path / "mine"))


def test_png_alpha_channels_are_dropped_grey_and_colour(tmp_path):
    # A grey PNG with alpha (2 channels) was "have 2 channels; expected 1 or 3".
    grey_alpha = np.stack([np.full((8, 8), 70, np.uint8), np.full((8, 8), 255, np.uint8)], -1)
    _write_png(tmp_path / "la" / "x" / "a.png", grey_alpha)
    colour_alpha = np.concatenate([np.full((8, 8, 3), 30, np.uint8),
                                   np.zeros((8, 8, 1), np.uint8)], -1)
    _write_png(tmp_path / "rgba" / "x" / "a.png", colour_alpha)
    grey, _ = data.load_arrays(str(tmp_path / "la"))
    colour, _ = data.load_arrays(str(tmp_path / "rgba"))
    np.testing.assert_array_equal(grey, np.full((1, 8, 8, 1), 70, np.uint8))
    np.testing.assert_array_equal(colour, np.full((1, 8, 8, 3), 30, np.uint8))


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


def test_image_folder_mixed_sizes_need_image_size(tmp_path):
    _write_png(tmp_path / "a" / "small.png", np.zeros((8, 8, 1), np.uint8))
    _write_png(tmp_path / "a" / "large.png", np.zeros((16, 16, 3), np.uint8))
    with pytest.raises(DataError, match=r"differ in shape.* pass image_size=\.\.\. to "
                                        r"keras_gen\.data\.load \(--image-size on the command"):
        data.load_arrays(str(tmp_path))
    images, _ = data.load_arrays(str(tmp_path), image_size=12, channels=3)
    assert images.shape == (2, 12, 12, 3)


def test_webp_images_are_read(tmp_path):
    # They were skipped without a word: a folder of WebP images was "Found no dataset".
    from PIL import Image

    os.makedirs(tmp_path / "a")
    Image.fromarray(np.full((8, 8, 3), [10, 200, 30], np.uint8)).save(
        tmp_path / "a" / "0.webp", lossless=True)
    _write_png(tmp_path / "b" / "0.png", np.full((8, 8, 3), 70, np.uint8))
    images, labels = data.load_arrays(str(tmp_path))
    assert list(labels) == [0, 1]
    np.testing.assert_array_equal(images[0], np.full((8, 8, 3), [10, 200, 30], np.uint8))


def test_grey_images_among_colour_ones_are_made_rgb(tmp_path):
    # "differ in shape: ... (8, 8, 3) but ... (8, 8, 1)", with a fix (channels=3) that the
    # command line does not offer; Keras' image_dataset_from_directory reads them as RGB.
    _write_png(tmp_path / "a" / "0.png", np.full((8, 8, 3), [10, 20, 30], np.uint8))
    _write_png(tmp_path / "b" / "0.png", np.full((8, 8, 1), 70, np.uint8))
    images, labels = data.load_arrays(str(tmp_path))
    assert images.shape == (2, 8, 8, 3) and list(labels) == [0, 1]
    np.testing.assert_array_equal(images[1], np.full((8, 8, 3), 70, np.uint8))
    grey, _ = data.load_arrays(str(tmp_path), channels=1)  # asked for: as asked
    assert grey.shape == (2, 8, 8, 1)


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


@pytest.mark.skipif(not os.path.isdir(os.path.join(SHARED_DATA, "fashion_mnist")),
                    reason="../shared/data/fashion_mnist is not beside this checkout")
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


@pytest.mark.skipif(not os.path.isdir(os.path.join(SHARED_DATA, "fashion_mnist")),
                    reason="../shared/data/fashion_mnist is not beside this checkout")
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


@pytest.mark.skipif(not os.path.isdir(os.path.join(SHARED_DATA, "mnist")),
                    reason="../shared/data is not beside this checkout")
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
