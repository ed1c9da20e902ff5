"""keras_gen.data.load on image folders: classes from subfolders, sizes, formats, limits."""

import os

import numpy as np
import pytest
import tensorflow as tf

from keras_gen import DataError, data


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
