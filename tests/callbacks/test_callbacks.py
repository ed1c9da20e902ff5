"""ImageGrid and JsonHistory callbacks."""

import json
import os

import keras
import matplotlib.image
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import metrics
from keras_gen.callbacks import ImageGrid, JsonHistory, QualityMonitor
from keras_gen.utils import make_grid
from tests.helpers import read_strict_json, tiny_cgan, tiny_dataset, tiny_gan, tiny_images


def test_image_grid_writes_fixed_seed_pngs_and_a_tensorboard_image(tmp_path):
    gan = tiny_gan()
    grid = ImageGrid(str(tmp_path / "samples"), num_images=4, seed=5, every=2,
                     log_dir=str(tmp_path / "logs"))
    gan.fit(tiny_dataset(), epochs=3, verbose=0, callbacks=[grid])
    # Every 2 epochs, plus the last one.
    assert sorted(os.listdir(tmp_path / "samples")) == ["epoch_0002.png", "epoch_0003.png"]
    np.testing.assert_array_equal(grid.last_grid, make_grid(gan.generate(4, seed=5)))
    png = matplotlib.image.imread(tmp_path / "samples" / "epoch_0003.png")
    # 2x2 tiles of 28 px + 2 px padding, upscaled 4x.
    assert png.shape[:2] == ((2 * 30 + 2) * 4, (2 * 30 + 2) * 4)
    events = [os.path.join(root, name) for root, _, names in os.walk(tmp_path / "logs")
              for name in names]
    tags = {value.tag for path in events for event in tf.compat.v1.train.summary_iterator(path)
            for value in event.summary.value}
    assert "samples" in tags


def test_a_conditional_models_grid_has_a_column_per_class(tmp_path):
    # With the square default (8 columns) and 10 cycling classes, each row began at another one.
    cgan = tiny_cgan()
    grid = ImageGrid(num_images=20, seed=1)
    cgan.fit(tiny_dataset(), verbose=0, callbacks=[grid])
    expected = make_grid(cgan.generate(20, labels=np.arange(20) % 10, seed=1), columns=10)
    np.testing.assert_array_equal(grid.last_grid, expected)
    assert grid.last_grid.shape[:2] == (2 * 30 + 2, 10 * 30 + 2)  # 2 rows of digits 0 to 9
    wide = ImageGrid(num_images=4, columns=4)
    tiny_gan().fit(tiny_dataset(), verbose=0, callbacks=[wide])
    assert wide.last_grid.shape[:2] == (30 + 2, 4 * 30 + 2)
    # By default whole rows: 70 images for 10 classes (7 rows), 64 for an unconditional model.
    whole_rows, square = ImageGrid(), ImageGrid()
    cgan.fit(tiny_dataset(), verbose=0, callbacks=[whole_rows])
    tiny_gan().fit(tiny_dataset(), verbose=0, callbacks=[square])
    np.testing.assert_array_equal(whole_rows.last_grid,
                                  make_grid(cgan.generate(70, seed=0), columns=10))
    assert square.last_grid.shape[:2] == (8 * 30 + 2, 8 * 30 + 2)


def test_json_history_is_strict_json_when_an_epoch_diverges(tmp_path):
    # Python's json wrote the diverged epoch as bare NaN and Infinity, which jq, JavaScript's
    # JSON.parse and other strict readers refuse; null already means "not logged that epoch".
    path = tmp_path / "history.json"
    history = JsonHistory(str(path))
    history.on_train_begin()
    history.on_epoch_end(0, {"g_loss": 1.0, "fid": np.float32(3.5)})
    history.on_epoch_end(1, {"g_loss": float("nan"), "d_loss": np.float32("inf"),
                             "d_real": -np.inf})
    expected = {"epoch": [1, 2], "d_loss": [None, "Infinity"], "d_real": [None, "-Infinity"],
                "fid": [3.5, None], "g_loss": [1.0, "NaN"]}
    assert read_strict_json(path) == expected
    resumed = JsonHistory(str(path))  # kept as written when a resumed run extends the file
    resumed.on_train_begin()
    resumed.on_epoch_end(2, {"g_loss": 0.5})
    expected = {key: values + [0.5 if key == "g_loss" else None]
                for key, values in expected.items()}
    expected["epoch"] = [1, 2, 3]
    assert read_strict_json(path) == expected


def test_json_history_resumes(tmp_path):
    path = tmp_path / "history.json"
    history = JsonHistory(str(path))
    history.on_train_begin()
    history.on_epoch_end(0, {"g_loss": 1.0})
    history.on_epoch_end(1, {"g_loss": 0.5})
    resumed = JsonHistory(str(path), resume=True)
    resumed.on_train_begin()
    resumed.on_epoch_end(1, {"g_loss": 0.4})  # epoch 2 trained again
    resumed.on_epoch_end(2, {"g_loss": 0.3})
    with open(path) as handle:
        assert json.load(handle) == {"epoch": [1, 2, 3], "g_loss": [1.0, 0.4, 0.3]}
    fresh = JsonHistory(str(path), resume=False)
    fresh.on_train_begin()
    fresh.on_epoch_end(0, {"g_loss": 9.0})
    with open(path) as handle:
        assert json.load(handle) == {"epoch": [1], "g_loss": [9.0]}


def test_json_history_refuses_a_file_it_did_not_write(tmp_path):
    # A JSONDecodeError, or "'list' object has no attribute 'get'", as training began.
    for name, text, reason in (("notes.json", "not json", r"Expecting value: line 1 column 1"),
                               ("list.json", "[1, 2]", "another JSON")):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ValueError, match=rf"^{path} holds no history that JsonHistory wrote "
                                             rf"\({reason}.*\)\. Move it away to keep it, or "
                                             r"pass resume=False"):
            JsonHistory(str(path)).on_train_begin()
        assert path.read_text() == text
        fresh = JsonHistory(str(path), resume=False)
        fresh.on_train_begin()
        fresh.on_epoch_end(0, {"g_loss": 1.0})
        assert json.loads(path.read_text()) == {"epoch": [1], "g_loss": [1.0]}
    with pytest.raises(TypeError, match=r"^resume must be True or False\. Received: resume='no'"):
        JsonHistory(str(tmp_path / "h.json"), resume="no")  # a str is truthy: it resumed


def test_json_history_refuses_a_folder_or_none_before_training(tmp_path):
    # A folder failed only after the first epoch had trained; None reached os.stat.
    with pytest.raises(ValueError, match=r"^path is the JSON file the history is written to; "
                                         r".* is a folder\. Pass a file in it, e\.g\. "
                                         r"os\.path\.join\(path, 'history\.json'\)\.$"):
        JsonHistory(tmp_path, resume=False)
    with pytest.raises(TypeError, match=r"^path is the JSON file .*\. Received: path=None$"):
        JsonHistory(None)
    assert os.listdir(tmp_path) == []


def test_sampling_callbacks_refuse_a_model_that_cannot_sample_before_it_trains(tmp_path):
    # "'Sequential' object has no attribute 'generate'", after `every` epochs of training.
    reference = metrics.ReferenceStatistics(tiny_images(16), domain="mnist")
    for callback in (ImageGrid(), QualityMonitor(reference, num_samples=6)):
        name = type(callback).__name__
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(loss="mse", optimizer="sgd")
        with pytest.raises(TypeError, match=rf"^{name} draws samples with model\.generate\("
                                            r"count, seed=\.\.\.\), which a Sequential does not "
                                            r"have\. Use it with a keras_gen model"):
            model.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0, callbacks=[callback])
        assert int(model.optimizer.iterations) == 0


@pytest.mark.parametrize("arguments, match", [
    ({"num_images": 0}, r"num_images must be a positive int\. Received: num_images=0"),
    ({"num_images": 4.0}, r"num_images must be a positive int"),
    ({"seed": 1.5}, r"seed must be an int, or None"),
    ({"every": 0}, r"every must be an int >= 1"),
    ({"columns": 0}, r"columns must be a positive int\. Received: columns=0"),
    # A file name became a folder of grids.
    ({"directory": "grid.png"}, r"^directory is the folder the grids are written into "
                                r"\(epoch_0001\.png, \.\.\.\); 'grid\.png' is a file or a file "
                                r"name\. Give a folder")])
def test_image_grid_refuses_bad_arguments_before_training(arguments, match):
    # They failed when the first grid was due: after `every` epochs of training.
    with pytest.raises(ValueError, match=match):
        ImageGrid(**arguments)


def test_image_grid_refuses_a_file_for_its_folder(tmp_path):
    # "File exists" from makedirs when the first grid was due.
    (tmp_path / "samples").write_text("notes")
    with pytest.raises(ValueError, match=r"'.*samples' is a file or a file name"):
        ImageGrid(str(tmp_path / "samples"))
