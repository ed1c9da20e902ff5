"""TFDS datasets as TFDS users name and shape them: `name/config`, photos of many sizes, and
datasets of images without class labels (CelebA, LSUN).

No TFDS dataset of those shapes can be downloaded here, so the tests define two small builders
that TFDS prepares from examples made in code, as it prepares its own from downloaded files.
"""

import re

import numpy as np
import pytest
import tensorflow_datasets as tfds
from etils import epath

from keras_gen import DataError, class_labels, data
from keras_gen.cli import main
from keras_gen.data.tfds_reading import image_and_label_features
from keras_gen.data.transforms import to_unit_range
from tests.helpers import tiny_gan


def _image(shade, height, width):
    return np.full((height, width, 3), shade, np.uint8)


class KerasGenTestFlowers(tfds.core.GeneratorBasedBuilder):
    """Five labelled photos of two sizes, as `tf_flowers` holds photos of many sizes."""

    VERSION = tfds.core.Version("1.0.0")
    # TFDS looks for a builder's files (checksums, README) in its package; tests/ is none.
    pkg_dir_path = epath.Path(__file__).parent

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 3)),
                "label": tfds.features.ClassLabel(names=["daisy", "tulip"]),
            }),
            supervised_keys=("image", "label"))

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples(5), "test": self._generate_examples(2)}

    def _generate_examples(self, count):
        for index in range(count):  # shade 10 * (index + 1); odd ones taller; label index % 2
            yield index, {"image": _image(10 * (index + 1), 12 + 4 * (index % 2), 12),
                          "label": index % 2}


class KerasGenTestFaces(tfds.core.GeneratorBasedBuilder):
    """Photos without class labels, as in CelebA (attributes beside the image) and LSUN, in two
    configs as `lsun/bedroom` and `lsun/church_outdoor` are, and held out as LSUN's are: a
    "validation" split, no "test"."""

    VERSION = tfds.core.Version("1.0.0")
    pkg_dir_path = epath.Path(__file__).parent
    BUILDER_CONFIGS = [tfds.core.BuilderConfig(name="small"),
                       tfds.core.BuilderConfig(name="large")]

    def _info(self):
        return self.dataset_info_from_configs(features=tfds.features.FeaturesDict({
            "image": tfds.features.Image(shape=(None, None, 3)),
            "attributes": tfds.features.FeaturesDict({"Smiling": np.bool_}),
        }))

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples(4), "validation": self._generate_examples(2)}

    def _generate_examples(self, count):
        side = 8 if self.builder_config.name == "small" else 20
        for index in range(count):
            yield index, {"image": _image(50 * (index + 1), side, side),
                          "attributes": {"Smiling": index % 2 == 0}}


def _shades(images):
    return sorted(int(image[0, 0, 0]) for image in images)


def test_photos_of_many_sizes_are_resized_as_they_are_read(tmp_path):
    # tf_flowers, oxford_flowers102 or cats_vs_dogs were read as one array of the whole split,
    # in which TFDS pads every photo with black to the largest one's size: the smaller photos
    # were resized with black bands. Without image_size the padded photos came back as they were.
    tfds_dir = str(tmp_path / "tfds")
    # Refused before TFDS downloads and prepares it (tf_flowers: 218 MB), not after.
    with pytest.raises(DataError, match=r"^The images of TFDS dataset 'keras_gen_test_flowers' "
                                        r"differ in size \(its image feature is \(None, None, "
                                        r"3\)\): pass image_size=N \(--image-size N\) to resize "
                                        r"them as they are read\. Nothing was downloaded\.$"):
        data.load_arrays("keras_gen_test_flowers", data_dir=tfds_dir)
    assert not tfds.builder("keras_gen_test_flowers", data_dir=tfds_dir).is_prepared()
    images, labels = data.load_arrays("keras_gen_test_flowers", image_size=8, data_dir=tfds_dir)
    assert images.shape == (5, 8, 8, 3) and images.dtype == np.uint8
    # Each photo is flat, one shade, and stays so, whatever TFDS' order.
    assert all(image.min() == image.max() for image in images)
    assert _shades(images) == [10, 20, 30, 40, 50]
    assert sorted((int(image[0, 0, 0]), int(label)) for image, label in zip(images, labels)) == [
        (10, 0), (20, 1), (30, 0), (40, 1), (50, 0)]
    assert data.load_arrays("keras_gen_test_flowers", split="test", image_size=8,
                            data_dir=tfds_dir)[0].shape == (2, 8, 8, 3)
    # limit reads the first N in TFDS' order, the same N as a read of the whole split keeps.
    first, first_labels = data.load_arrays("keras_gen_test_flowers", image_size=8, limit=2,
                                           data_dir=tfds_dir)
    np.testing.assert_array_equal(first, images[:2])
    np.testing.assert_array_equal(first_labels, labels[:2])
    with pytest.raises(DataError, match=r"^The images of TFDS dataset 'keras_gen_test_flowers' "
                                        r"differ in size \((12x12 and 16x12|16x12 and 12x12)\): "
                                        r"pass image_size=N \(--image-size N\) to resize them "
                                        r"as they are read\.$"):
        data.load_arrays("keras_gen_test_flowers", data_dir=tfds_dir)


def test_a_config_is_named_as_tfds_names_it_and_images_without_labels_are_one_class(tmp_path):
    # `--dataset lsun/bedroom` was taken for a missing path, and CelebA (images with attributes,
    # no class) was refused as "has no split 'train'": TFDS gives it no (image, label) pair.
    tfds_dir = str(tmp_path / "tfds")
    assert not data.looks_like_path("keras_gen_test_faces/large")
    images, labels = data.load_arrays("keras_gen_test_faces/large", image_size=20,
                                      data_dir=tfds_dir)
    assert images.shape == (4, 20, 20, 3) and _shades(images) == [50, 100, 150, 200]
    assert labels.tolist() == [0, 0, 0, 0] and labels.dtype == np.int32
    # Once prepared, images TFDS declares of any size but that share one need no image_size.
    np.testing.assert_array_equal(
        data.load_arrays("keras_gen_test_faces/large", data_dir=tfds_dir)[0], images)
    # What a dataset holds out as "validation" (LSUN, ImageNet) is its test split: `keras-gen
    # evaluate` and --monitor-every score against it. It was refused as "no split 'test'".
    small = data.load_arrays("keras_gen_test_faces/small:1.0.0", split="test", image_size=8,
                             data_dir=tfds_dir)
    assert small[0].shape == (2, 8, 8, 3) and _shades(small[0]) == [50, 100]
    with pytest.raises(DataError, match=r"^TFDS dataset 'keras_gen_test_faces' has no "
                                        r"'keras_gen_test_faces/medium': .*BuilderConfig medium "
                                        r"not found.* Its configs: small, large\. \(If "
                                        r"'keras_gen_test_faces/medium' is a local path: it "
                                        r"does not exist\.\)$"):
        data.load_arrays("keras_gen_test_faces/medium", data_dir=tfds_dir)
    with pytest.raises(DataError, match=r"^TFDS dataset 'keras_gen_test_faces' has no "
                                        r"'keras_gen_test_faces:2\.0\.0': .*only: 1\.0\.0"):
        data.load_arrays("keras_gen_test_faces:2.0.0", data_dir=tfds_dir)
    # A missing folder is still one, when the part before the slash names no TFDS dataset.
    assert data.looks_like_path("my_photos/bedroom")
    with pytest.raises(DataError, match=r"^No dataset at 'my_photos/bedroom': the path does "
                                        r"not exist"):
        data.load_arrays("my_photos/bedroom")


def test_a_tfds_config_trains_from_the_command_line(tmp_path, monkeypatch, capsys):
    # `keras-gen train dcgan --dataset lsun/bedroom --image-size 64` as an online user runs it,
    # with TFDS' data folder (TFDS_DATA_DIR) in tmp_path.
    monkeypatch.setattr(tfds.core.constants, "DATA_DIR", str(tmp_path / "tfds"))
    assert main(["train", "dcgan", "--dataset", "keras_gen_test_faces/large", "--image-size",
                 "28", "--epochs", "1", "--batch-size", "2", "--width", "4", "--latent-dim", "8",
                 "--out", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run" / "model.keras").is_file()
    # A conditional model needs classes; what it was told named only image folders.
    capsys.readouterr()
    assert main(["train", "cgan", "--dataset", "keras_gen_test_faces/large", "--image-size",
                 "28", "--out", str(tmp_path / "cgan")]) == 2
    assert capsys.readouterr().err == (
        "keras-gen train: error: cgan is class-conditional and needs at least 2 classes; "
        "'keras_gen_test_faces/large' has one: its images have no class labels (a TFDS dataset "
        "without them, as celeb_a, or a folder of images without class subfolders). Train dcgan "
        "or vae on it, or a dataset with labels (an image folder: one subfolder per class).\n")
    assert class_labels.dataset_class_names("keras_gen_test_flowers") == ["daisy", "tulip"]
    assert class_labels.dataset_class_names("keras_gen_test_faces/large") == []


def test_any_split_tfds_has_is_read_by_its_name_or_a_slice(tmp_path):
    # load took "train" and "test" only ("split must be one of ('train', 'test')"): a TFDS user
    # could not ask for "validation", nor hold images out of tf_flowers, whose one split is
    # "train", as TFDS users do ("train[:90%]").
    tfds_dir = str(tmp_path / "tfds")

    def read(split):
        return data.load_arrays("keras_gen_test_faces/small", split, image_size=8,
                                data_dir=tfds_dir)[0]

    train = read("train")  # shades 50, 100, 150, 200: four photos
    assert _shades(read("validation")) == [50, 100]
    np.testing.assert_array_equal(read("train[:50%]"), train[:2])  # in TFDS' order
    np.testing.assert_array_equal(read("train[-1:]"), train[3:])
    assert _shades(read("train[1:3]+validation")) == sorted(
        _shades(train[1:3]) + [50, 100])
    batches = data.load("keras_gen_test_faces/small", split="train[50%:]", batch_size=1,
                        image_size=8, shuffle=False, data_dir=tfds_dir)
    np.testing.assert_array_equal(
        np.concatenate([images for images, _ in batches.as_numpy_iterator()]),
        to_unit_range(train[2:]).numpy())
    with pytest.raises(DataError, match=r"^TFDS dataset 'keras_gen_test_faces/small' has no "
                                        r"split 'tset': .*'train', 'validation'"):
        read("tset")
    # Local data keeps its two splits; the message says whose names the others are.
    for source in ("digits", str(tmp_path / "tfds")):
        with pytest.raises(DataError, match=r"^split must be 'train' or 'test' for "
                                            rf"{re.escape(repr(source))}; received "
                                            r"'train\[:50%\]'\. Other splits and slices "
                                            r"\('validation', 'train\[:90%\]'\) are TFDS' "
                                            r"names, for a TFDS dataset\.$"):
            data.load_arrays(source, split="train[:50%]")


def test_split_option_trains_and_finetunes_on_a_tfds_slice(tmp_path, monkeypatch, capsys):
    # `keras-gen train --dataset tf_flowers` read the whole of its one split: nothing was left
    # to score against. Now `--split 'train[:90%]'` trains and `'train[90%:]'` is held out.
    monkeypatch.setattr(tfds.core.constants, "DATA_DIR", str(tmp_path / "tfds"))
    trained_on = []
    from_arrays = data.from_arrays
    monkeypatch.setattr(data, "from_arrays", lambda images, *args, **kwargs: (
        trained_on.append(_shades(images)) or from_arrays(images, *args, **kwargs)))
    assert main(["train", "dcgan", "--dataset", "keras_gen_test_faces/large", "--split",
                 "train[:50%]", "--image-size", "28", "--epochs", "1", "--batch-size", "2",
                 "--width", "4", "--latent-dim", "8", "--out", str(tmp_path / "run")]) == 0
    train = data.load_arrays("keras_gen_test_faces/large", image_size=28)[0]
    assert trained_on == [_shades(train[:2])]
    assert main(["finetune", "dcgan_mnist", "--dataset", "keras_gen_test_faces/large",
                 "--split", "train[50%:]", "--epochs", "1", "--batch-size", "2", "--out",
                 str(tmp_path / "finetuned")]) == 0
    assert ("Fine-tuning dcgan_mnist on 2 images of keras_gen_test_faces/large"
            in capsys.readouterr().out)
    assert len(trained_on) == 2 and trained_on[1] == _shades(
        data.load_arrays("keras_gen_test_faces/large", image_size=28, channels=1)[0][2:])
    assert main(["train", "dcgan", "--dataset", "digits", "--split", "train[:50%]"]) == 2
    assert "split must be 'train' or 'test' for 'digits'" in capsys.readouterr().err


def test_evaluate_reads_photos_of_many_sizes_at_the_image_size_given(tmp_path, monkeypatch,
                                                                     capsys):
    # evaluate read its reference as stored, and had no --image-size: tf_flowers was refused.
    monkeypatch.setattr(tfds.core.constants, "DATA_DIR", str(tmp_path / "tfds"))
    tiny_gan().save(tmp_path / "gan.keras")
    command = ["evaluate", str(tmp_path / "gan.keras"), "--dataset", "keras_gen_test_flowers",
               "--split", "train+test", "--domain", "mnist"]
    assert main(command) == 2
    assert "differ in size (its image feature is (None, None, 3)): pass image_size=N " \
           "(--image-size N)" in capsys.readouterr().err
    # Read and resized: the 7 colour photos reach the classifier, which takes grey ones.
    assert main(command + ["--image-size", "28"]) == 2
    assert ("The mnist classifier takes images of shape (28, 28, 1) in [-1, 1] (greyscale ones "
            "of other sizes are resized); received (28, 28, 3)") in capsys.readouterr().err


class KerasGenTestPairs(tfds.core.GeneratorBasedBuilder):
    """Two images an example and no supervised pair: which one to read is not keras_gen's call."""

    VERSION = tfds.core.Version("1.0.0")
    pkg_dir_path = epath.Path(__file__).parent

    def _info(self):
        return self.dataset_info_from_configs(features=tfds.features.FeaturesDict({
            "before": tfds.features.Image(shape=(8, 8, 3)),
            "after": tfds.features.Image(shape=(8, 8, 3))}))

    def _split_generators(self, dl_manager):
        return {"train": []}

    def _generate_examples(self):
        yield from ()


def test_what_is_read_is_the_supervised_pair_or_the_only_image(tmp_path):
    # TFDS' records, from its code: nothing is downloaded.
    assert image_and_label_features(tfds.builder("tf_flowers")) == ("image", "label")
    # CelebA's attributes and landmarks are no class: its images are one.
    assert image_and_label_features(tfds.builder("celeb_a")) == ("image", None)
    with pytest.raises(DataError, match=r"^TFDS dataset 'keras_gen_test_pairs/1\.0\.0' has 2 "
                                        r"image features \(before, after\), and keras_gen reads "
                                        r"one\. Load the images yourself \(tfds\.load\)"):
        image_and_label_features(tfds.builder("keras_gen_test_pairs", data_dir=str(tmp_path)))
