"""Image helpers and atomic writes."""

import argparse
import os
import re
import warnings

import numpy as np
import pytest

from keras_gen.errors import DataError
from keras_gen.utils import (atomic_path, make_grid, save_image_grid, to_uint8,
                             write_json_atomic)
from keras_gen.utils.arguments import (check_bool, check_non_negative, check_positive_int,
                                       file_path, is_int, png_path)


def test_to_uint8_maps_the_tanh_range():
    np.testing.assert_array_equal(to_uint8([-1.0, 0.0, 1.0, 2.0, -3.0]), [0, 128, 255, 255, 0])
    # Not numbers: None was a 0-d black image, and a None among numbers a black pixel.
    for images, dtype in ((None, "object"), ([[0.5, None]], "object"), ("abc", "<U3")):
        with pytest.raises(ValueError, match=rf"^images must be numbers \(float images in "
                                             rf"\[-1, 1\]\); received .* of dtype {dtype}"):
            to_uint8(images)


def test_make_grid_places_images_row_by_row():
    images = np.stack([np.full((2, 2, 1), v, np.float32) for v in (-1.0, 1.0, 1.0)])
    grid = make_grid(images, columns=2, padding=1)
    assert grid.shape == (7, 7, 1)  # 2 rows x (2 + 1) + 1
    assert grid[1, 1, 0] == 0 and grid[1, 4, 0] == 255 and grid[4, 1, 0] == 255
    assert grid[4, 4, 0] == 0  # the empty fourth cell stays black
    # 0 gave a square grid as if not given, -1 numpy's "negative dimensions are not allowed".
    for columns in (0, -1, 2.0):
        with pytest.raises(ValueError, match=rf"columns must be a positive int.*{columns}"):
            make_grid(images, columns=columns)


def test_make_grid_shows_uint8_pixels_as_they_are_and_refuses_other_ranges():
    # uint8 pixels were read as [-1, 1] values (0 became grey 128, everything above 1 white), and
    # 0-255 floats came out all white; an empty batch was a ZeroDivisionError.
    pixels = np.array([0, 64, 255], np.uint8).reshape(3, 1, 1, 1)
    assert list(make_grid(pixels, columns=3, padding=0).reshape(-1)) == [0, 64, 255]
    with pytest.raises(DataError, match=r"^make_grid takes float images in \[-1, 1\], or uint8 "
                                        r"pixels; received values from 0 to 255\. Scale 0-255"):
        make_grid(pixels.astype(np.float32))
    with pytest.raises(DataError, match=r"received int64 values\. Pass 0-255 images as uint8"):
        make_grid(pixels.astype(np.int64))
    with pytest.raises(ValueError, match=r"with N >= 1\. Received shape \(0, 1, 1, 1\)\.$"):
        make_grid(pixels[:0])
    # Greyscale images without their channel axis (keras.datasets.mnist's (N, 28, 28)) and one
    # image (H, W, 3) are told the fix for each.
    for shape, fix in (((2, 4, 4), r"For greyscale images without their channel axis pass "
                                   r"images\[\.\.\., None\]\."),
                       ((4, 4, 3), r"For one image pass images\[None\]\.")):
        with pytest.raises(ValueError, match=rf"Received shape \({shape[0]}, 4, \d\)\. {fix}$"):
            make_grid(np.zeros(shape, np.uint8))
    # NaN (a diverged model's samples) still makes a grid: ImageGrid must not stop a run.
    # One warning says why; numpy's cast of NaN had warned "invalid value" too.
    images = np.zeros((3, 1, 1, 1), np.float32)
    images[0], images[2] = np.nan, np.inf
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grid = make_grid(images, columns=3, padding=0)
    assert [str(warning.message) for warning in caught] == [
        "make_grid: 2 of 3 images hold NaN or infinite values; the model that made them has "
        "likely diverged (see the losses)."]
    assert list(grid.reshape(-1)) == [0, 128, 255]  # NaN black, infinity clipped white


def test_grid_settings_that_cannot_draw_are_named(tmp_path):
    images = np.zeros((2, 4, 4, 1), np.float32)
    # numpy's "could not broadcast input array" and "'float' object cannot be interpreted".
    for padding in (-1, 1.5):
        with pytest.raises(ValueError, match=rf"^padding must be an int >= 0\. Received: "
                                             rf"padding={padding}$"):
            make_grid(images, padding=padding)
    # Two channels made a grid that the PNG writer then refused ("Third dimension must be 3 or 4").
    with pytest.raises(ValueError, match=r"^images must have 1 \(grey\), 3 \(RGB\) or 4 \(RGBA\) "
                                         r"channels\. Received shape \(2, 4, 4, 2\)$"):
        save_image_grid(np.zeros((2, 4, 4, 2), np.float32), str(tmp_path / "two.png"))
    # "cannot write empty image" and "negative dimensions are not allowed".
    for scale in (0, -1, 2.5):
        with pytest.raises(ValueError, match=rf"^scale must be a positive int\. Received: "
                                             rf"scale={scale}$"):
            save_image_grid(images, str(tmp_path / "grid.png"), scale=scale)
    assert os.listdir(tmp_path) == []
    assert make_grid(np.zeros((1, 2, 2, 4), np.uint8), padding=0).shape == (2, 2, 4)  # RGBA


def test_save_image_grid_writes_png_under_a_png_name(tmp_path):
    images = np.zeros((4, 2, 2, 1), np.float32)
    save_image_grid(images, str(tmp_path / "grid.PNG"), scale=1)
    assert (tmp_path / "grid.PNG").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # It wrote PNG bytes into samples.jpg.
    with pytest.raises(ValueError, match=r"writes PNG files; give the path a \.png ending\. "
                                         r"Received: '.*samples\.jpg'"):
        save_image_grid(images, str(tmp_path / "samples.jpg"))
    assert os.listdir(tmp_path) == ["grid.PNG"]


def test_atomic_path_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "out.json"
    write_json_atomic(str(target), {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(str(target)) as temporary:
            with open(temporary, "w") as handle:
                handle.write("half")
            raise RuntimeError("crash while writing")
    assert target.read_text().strip().startswith("{") and '"a": 1' in target.read_text()
    assert os.listdir(tmp_path) == ["out.json"]


def test_check_positive_int_names_the_argument():
    assert check_positive_int("epochs", 3) == 3
    for value in (0, -2, 1.0, True, "3", None):
        with pytest.raises(ValueError, match=rf"^epochs must be a positive int\. Received: "
                                             rf"epochs={re.escape(repr(value))}$"):
            check_positive_int("epochs", value)
    with pytest.raises(DataError, match="batch_size must be"):
        check_positive_int("batch_size", 0, DataError)
    # A numpy integer (np.sum, np.arange) is an int too, given back as Python's for JSON configs.
    checked = check_positive_int("epochs", np.int64(3))
    assert checked == 3 and type(checked) is int
    with pytest.raises(ValueError, match=r"Received: epochs=np\.True_$"):
        check_positive_int("epochs", np.True_)
    # The one test of integer-ness behind every count and seed check (k, every, num_blocks, ...).
    assert [is_int(value) for value in (3, np.int64(3), np.uint8(3), True, np.True_, 3.0, "3")] \
        == [True, True, True, False, False, False, False]


def test_flags_given_as_strings_are_refused_before_they_act(tmp_path):
    """A string is truthy: "False" or "no" meant True, and some of these act on files."""
    from keras_gen import data, export, training
    from keras_gen.models import GAN
    from tests.helpers import tiny_gan

    assert check_bool("shuffle", np.False_) is False
    gan = tiny_gan()
    finished = tmp_path / "run"
    finished.mkdir()
    (finished / "model.keras").write_bytes(b"a finished run")
    images = np.zeros((4, 28, 28, 1), np.uint8)
    calls = {
        # It started over, discarding the finished run's model.keras.
        "overwrite": lambda: training.train(gan, data.from_arrays(images, None, batch_size=2),
                                            str(finished), 1, overwrite="False"),
        "tensorboard": lambda: training.train(gan, data.from_arrays(images, None, batch_size=2),
                                              str(tmp_path / "new"), 1, tensorboard="no"),
        "shuffle": lambda: data.from_arrays(images, None, shuffle="False"),
        "drop_remainder": lambda: data.from_arrays(images, None, drop_remainder="no"),
        "download": lambda: data.load_arrays("mnist", download="no"),  # TFDS would download
        "ema_warmup": lambda: GAN(gan.generator, gan.discriminator, ema_warmup="no"),
        "verify": lambda: export.export_saved_model(gan, str(tmp_path / "served"), verify="no"),
    }
    for name, call in calls.items():
        with pytest.raises((TypeError, DataError), match=rf"^{name} must be True or False\. "
                                                         rf"Received: {name}='[^']+'$"):
            call()
    assert (finished / "model.keras").read_bytes() == b"a finished run"
    assert sorted(os.listdir(tmp_path)) == ["run"]


def test_check_non_negative_takes_finite_numbers_from_zero_and_names_the_rest():
    assert check_non_negative("beta", 0) == 0.0
    assert check_non_negative("beta", np.float32(2.5)) == 2.5
    for bad in (-1e-9, float("nan"), float("inf"), True, "1", None):
        with pytest.raises(ValueError, match=rf"^poll_seconds must be a number of seconds >= 0\. "
                                             rf"Received: poll_seconds={re.escape(repr(bad))}$"):
            check_non_negative("poll_seconds", bad, "a number of seconds")


def test_file_path_refuses_a_folder_as_a_usage_error(tmp_path):
    assert file_path(str(tmp_path / "scores.json")) == str(tmp_path / "scores.json")
    with pytest.raises(argparse.ArgumentTypeError, match=rf"^{re.escape(str(tmp_path))} is a "
                                                         r"folder; give the path of a file in it"):
        file_path(str(tmp_path))
    (tmp_path / "grid.png").mkdir()  # a folder named as a grid: refused before sampling
    with pytest.raises(argparse.ArgumentTypeError, match=r"grid\.png is a folder; give the "
                                                         r"path of a file in it, e\.g\. "
                                                         r".*grid\.png/grid\.png$"):
        png_path(str(tmp_path / "grid.png"))


def test_dtype_policy_holds_inside_the_block_only():
    import keras

    from keras_gen.utils import dtype_policy

    with pytest.raises(RuntimeError, match="inside"):
        with dtype_policy("mixed_bfloat16"):
            layer = keras.layers.Dense(2)
            assert keras.config.dtype_policy().name == "mixed_bfloat16"
            raise RuntimeError("inside")
    assert keras.config.dtype_policy().name == "float32"  # restored on the way out, too
    assert (layer.compute_dtype, layer.variable_dtype) == ("bfloat16", "float32")
    with pytest.raises(ValueError, match=r"precision must be one of \('float32', "
                                         r"'mixed_bfloat16', 'mixed_float16'\)\. Received: "
                                         r"'bfloat16'"):
        with dtype_policy("bfloat16"):  # all-bfloat16 variables: not a training policy here
            pass
    assert keras.config.dtype_policy().name == "float32"


def _layer_policies(model):
    """`(class, dtype policy)` of every layer inside `model`, in a fixed order."""
    return [(type(layer).__name__, layer.dtype_policy.name)
            for layer in model._flatten_layers(include_self=True)]


def sequential_gan():
    """A GAN of two `keras.Sequential` networks whose output layers are float32, as in Keras'
    mixed-precision guide."""
    import keras

    from keras_gen.models import GAN

    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16 * 16),
                                  keras.layers.Reshape((16, 16, 1)),
                                  keras.layers.Activation("tanh", dtype="float32")])
    discriminator = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Flatten(),
                                      keras.layers.Dense(1, dtype="float32")])
    gan = GAN(generator, discriminator)
    gan.compile()
    return gan


@pytest.mark.parametrize("build", ["tiny_gan", "tiny_cgan", "tiny_vaegan", "sequential_gan"])
def test_deserialize_in_policy_builds_what_the_policy_would_have(build):
    # A saved model names float32 on every layer, so a preset loaded inside dtype_policy stayed
    # float32. Rewritten, it must match the same networks built inside the policy: outputs
    # (logits, images, z_mean) float32, spectral norm's power iteration float32, the rest mixed.
    import keras

    from keras_gen.utils import deserialize_in_policy, dtype_policy
    from tests import helpers
    from tests.models import test_vae

    build = (getattr(helpers, build, None) or getattr(test_vae, build, None)
             or globals()[build])
    in_float32 = build()
    for policy in ("mixed_bfloat16", "mixed_float16"):
        with dtype_policy(policy):
            built = build()
        rebuilt = deserialize_in_policy(keras.saving.serialize_keras_object(in_float32), policy)
        expected = _layer_policies(built)
        assert _layer_policies(rebuilt) == expected
        assert {"float32", policy} == {name for _, name in expected}  # both kinds are checked
        assert keras.config.dtype_policy().name == "float32"
        back = deserialize_in_policy(keras.saving.serialize_keras_object(built), "float32")
        assert _layer_policies(back) == _layer_policies(in_float32)
    assert [name for _, name in _layer_policies(in_float32)] == ["float32"] * len(expected)
    with pytest.raises(ValueError, match=r"precision must be one of .* Received: 'bfloat16'"):
        deserialize_in_policy(keras.saving.serialize_keras_object(in_float32), "bfloat16")
