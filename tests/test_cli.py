"""The keras-gen command line: train, sample, help and errors."""

import importlib.metadata
import json
import os
import re
import subprocess
import sys

import keras
import matplotlib.image
import numpy as np
import pytest

from keras_gen import class_labels, training
from keras_gen.cli import main
from keras_gen.data import sources
from keras_gen.utils import make_grid
from tests.helpers import SHARED_DATA, TINY_TRAIN, needs_shared, tiny_gan


def test_console_script_is_installed_and_helps(capsys):
    scripts = {e.name: e.value for e in importlib.metadata.entry_points(group="console_scripts")}
    assert scripts.get("keras-gen") == "keras_gen.cli:main"
    # One fresh process shows the module runs as a program; the subcommands' help is the same
    # parser's, so it is asked for here (each extra process would import TensorFlow again).
    result = subprocess.run([sys.executable, "-m", "keras_gen.cli", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "usage: keras-gen" in result.stdout
    for command in ("train", "sample"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        assert f"usage: keras-gen {command}" in capsys.readouterr().out


def test_train_writes_everything_and_sample_reproduces(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "dcgan", "--epochs", "2", "--out", str(out), *TINY_TRAIN]) == 0
    for name in ("model.keras", "history.json", "checkpoints/last.keras",
                 "samples/epoch_0001.png", "samples/epoch_0002.png"):
        assert (out / name).exists(), name
    assert not (out / "backup").exists()  # removed after a finished run
    with open(out / "history.json") as handle:
        history = json.load(handle)
    assert history["epoch"] == [1, 2] and len(history["g_loss"]) == 2

    model = keras.models.load_model(out / "model.keras")
    for name in ("a.png", "b.png"):
        assert main(["sample", str(out / "model.keras"), "-n", "9", "--seed", "4",
                     "--out", str(tmp_path / name)]) == 0
    first = matplotlib.image.imread(tmp_path / "a.png")
    np.testing.assert_array_equal(first, matplotlib.image.imread(tmp_path / "b.png"))
    expected = make_grid(model.generate(9, seed=4))
    np.testing.assert_allclose(first[::4, ::4, 0], expected[..., 0] / 255.0, atol=1 / 255)
    assert "Wrote 9 samples" in capsys.readouterr().out


def test_train_in_mixed_bfloat16_and_continue_in_it(tmp_path):
    # --precision: the model computes in bfloat16 (variables float32), saves that in
    # model.keras, and the process, a notebook or this test session, stays in float32.
    out = str(tmp_path / "run")
    command = ["train", "dcgan", "--precision", "mixed_bfloat16", "--out", out, *TINY_TRAIN]
    assert main([*command, "--epochs", "1"]) == 0
    assert keras.config.dtype_policy().name == "float32"
    model = keras.models.load_model(os.path.join(out, "model.keras"))
    dense = model.generator.get_layer("stem").get_layer("stem_dense")
    assert (dense.compute_dtype, dense.kernel.dtype) == ("bfloat16", "float32")
    assert model.generate(2, seed=0).dtype == np.float32
    assert main([*command, "--epochs", "2", "--continue"]) == 0  # in the run's own policy
    model = keras.models.load_model(os.path.join(out, "model.keras"))
    assert int(model.g_optimizer.iterations) == 4  # 64 images in batches of 32, 2 epochs
    assert model.generator.get_layer("stem").get_layer("stem_dense").compute_dtype == "bfloat16"
    with open(os.path.join(out, "history.json")) as handle:
        history = json.load(handle)
    assert history["epoch"] == [1, 2] and all(np.isfinite(history["g_loss"]))


def test_train_takes_a_learning_rate(tmp_path, monkeypatch):
    # A diverged run was told to lower the learning rate, which only `finetune` could.
    trained = {}
    monkeypatch.setattr(training, "train", lambda model, *args, **kwargs: trained.update(
        {type(model).__name__: model}))

    def rates(model):
        names = ("g_optimizer", "d_optimizer", "e_optimizer", "optimizer")
        # float32 variables: 1e-3 is stored as 0.0010000000474974513.
        return {name: round(float(getattr(model, name).learning_rate), 8) for name in names
                if getattr(model, name, None) is not None}

    for recipe in ("dcgan", "vae", "vaegan"):
        assert main(["train", recipe, "--learning-rate", "1e-3", "--out",
                     str(tmp_path / recipe), *TINY_TRAIN]) == 0
    assert {name: rates(model) for name, model in trained.items()} == {
        "GAN": {"g_optimizer": 1e-3, "d_optimizer": 1e-3},
        "VAE": {"optimizer": 1e-3},
        "VAEGAN": {"g_optimizer": 1e-3, "d_optimizer": 1e-3, "e_optimizer": 1e-3}}
    assert main(["train", "wgan_gp", "--out", str(tmp_path / "default"), *TINY_TRAIN]) == 0
    assert rates(trained["GAN"]) == {"g_optimizer": 1e-4, "d_optimizer": 1e-4}


def test_a_dataset_that_repeats_trains_with_steps_per_epoch(tmp_path):
    # train() on dataset.repeat() ran one epoch that never ended: no checkpoint, grid or model.
    from tests.helpers import tiny_dataset

    out = str(tmp_path / "run")
    gan = tiny_gan()
    with pytest.raises(ValueError, match=r"^The dataset repeats without end, .* Pass "
                                         r"steps_per_epoch=N, or drop the \.repeat\(\)\.$"):
        training.train(gan, tiny_dataset().repeat(), out, epochs=2, verbose=0)
    assert int(gan.g_optimizer.iterations) == 0 and not os.path.exists(out)
    history = training.train(gan, tiny_dataset().repeat(), out, epochs=2, verbose=0,
                             steps_per_epoch=3, checkpoint_every=2)
    assert len(history.history["g_loss"]) == 2 and int(gan.g_optimizer.iterations) == 6
    # Checkpoints every 2 epochs of 3 steps: after step 6, the last one.
    assert os.path.isfile(os.path.join(out, "checkpoints", "last.keras"))
    assert os.path.isfile(os.path.join(out, "model.keras"))


def test_train_takes_a_dataset_and_says_how_to_make_one_from_arrays(tmp_path):
    # Arrays failed with "'numpy.ndarray' object has no attribute 'cardinality'".
    from tests.helpers import tiny_images

    out = str(tmp_path / "run")
    with pytest.raises(TypeError, match=r"^train takes a tf\.data\.Dataset of batches, .*; "
                                        r"received ndarray\. From uint8 arrays, keras_gen\.data\."
                                        r"from_arrays\(images, labels, batch_size=64\)"):
        training.train(tiny_gan(), tiny_images(8), out, epochs=1)
    assert not os.path.exists(out)


def test_train_refuses_no_model_or_folder_before_writing_and_names_its_own_arguments(
        tmp_path, monkeypatch):
    from tests.helpers import tiny_dataset

    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match=r"^train takes a compiled keras_gen model \(e\.g\. "
                                        r"recipes\.build_gan\('dcgan'\)\); received None\.$"):
        training.train(None, tiny_dataset(), "run", epochs=1)  # "no attribute 'trainable_..."
    folder = (r"^out_dir is the folder the run writes into, e\.g\. 'runs/dcgan' \('\.' for the "
              r"current folder\)\. Received: out_dir=")
    with pytest.raises(TypeError, match=folder + "None$"):
        training.train(tiny_gan(), tiny_dataset(), None, epochs=1)  # os.stat's TypeError
    # "" trained into the current folder: model.keras, history.json, samples/ among its files.
    with pytest.raises(ValueError, match=folder + "''$"):
        training.train(tiny_gan(), tiny_dataset(), "", epochs=1)
    for continuation in (lambda: training.load_run(None),
                         lambda: training.continue_training(tiny_gan(), tiny_dataset(), "", 2)):
        with pytest.raises((TypeError, ValueError), match=r"^out_dir is"):
            continuation()
    # ImageGrid's own name for it: "every must be an int >= 1. Received: every=0".
    with pytest.raises(ValueError, match=r"^grid_every must be a positive int\. Received: "
                                         r"grid_every=0$"):
        training.train(tiny_gan(), tiny_dataset(), "run", epochs=1, grid_every=0)
    assert os.listdir(tmp_path) == []


def test_train_takes_one_callback_or_none_and_refuses_what_is_not_one(tmp_path):
    # One callback or None failed with "Value after * must be an iterable"; a string inside
    # Keras with "'str' object has no attribute 'set_model'"; a file for out_dir with "Not a
    # directory: '<out_dir>/checkpoints'".
    from tests.helpers import tiny_dataset

    records = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    seen = []
    training.train(tiny_gan(), tiny_dataset(), str(tmp_path / "one"), epochs=2, verbose=0,
                   callbacks=records)
    assert seen == [0, 1]
    training.train(tiny_gan(), tiny_dataset(), str(tmp_path / "none"), epochs=1, verbose=0,
                   callbacks=None)
    assert os.path.isfile(tmp_path / "none" / "model.keras")
    with pytest.raises(TypeError, match=r"^callbacks must be Keras callbacks "
                                        r"\(keras\.callbacks\.Callback\); received \['x'\]\.$"):
        training.train(tiny_gan(), tiny_dataset(), str(tmp_path / "bad"), epochs=1,
                       callbacks=[records, "x"])
    (tmp_path / "file").write_text("notes")
    with pytest.raises(NotADirectoryError, match=r"^out_dir '.*file' is a file; give the folder"):
        training.train(tiny_gan(), tiny_dataset(), str(tmp_path / "file"), epochs=1)
    assert sorted(os.listdir(tmp_path)) == ["file", "none", "one"]


def test_conditional_recipes_need_two_classes(tmp_path, capsys):
    # A folder of images without class subfolders is one class; cgan and cvae failed on it with
    # "num_classes must be an int >= 2. Received: num_classes=1", from inside the networks.
    import tensorflow as tf

    for i in range(2):
        tf.io.write_file(str(tmp_path / "mine" / f"{i}.png"),
                         tf.io.encode_png(np.zeros((28, 28, 1), np.uint8)))
    for recipe in ("cgan", "acgan", "cvae"):
        assert main(["train", recipe, "--dataset", str(tmp_path / "mine"), "--out",
                     str(tmp_path / recipe)]) == 2
        assert re.search(rf"^keras-gen train: error: {recipe} is class-conditional and needs at "
                         rf"least 2 classes; '.*mine' has one: its images have no class labels "
                         r"\(a TFDS dataset without them, as celeb_a, or a folder of images "
                         r"without class subfolders\)\. Train dcgan or vae on it",
                         capsys.readouterr().err)


@needs_shared("fashion_mnist")
def test_a_conditional_run_on_a_named_dataset_takes_its_published_class_names(
        tmp_path, monkeypatch, capsys):
    # `train cgan --dataset fashion_mnist` named no classes (the cgan_fashion_mnist preset did):
    # `sample --label Sneaker` was refused. The name is read here from what keras.datasets
    # leaves in Keras' cache: ../shared's official files.
    cache = tmp_path / "keras_home" / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    for name in os.listdir(os.path.join(SHARED_DATA, "fashion_mnist")):
        os.symlink(os.path.join(SHARED_DATA, "fashion_mnist", name), cache / name)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(sources, "SYSTEM_COPIES", {})
    out = tmp_path / "run"
    assert main(["train", "cgan", "--dataset", "fashion_mnist", "--epochs", "1",
                 "--out", str(out), *TINY_TRAIN]) == 0
    assert "Classes (sample one with --label N): 0 T-shirt/top, 1 Trouser, " in (
        capsys.readouterr().out)
    model = keras.models.load_model(out / "model.keras")
    assert model.class_names == sources.CLASS_NAMES["fashion_mnist"]
    assert main(["sample", str(out / "model.keras"), "--label", "Sneaker", "-n", "2",
                 "--out", str(tmp_path / "sneakers.png")]) == 0
    # Names that are only the labels' numbers tell nothing: MNIST's are not recorded.
    assert class_labels.dataset_class_names("mnist") == []
    assert class_labels.dataset_class_names("cifar10")[3] == "cat"


def test_a_conditional_run_on_an_image_folder_says_which_label_is_which(tmp_path, capsys):
    # Nothing told a user that `--label 1` draws "dogs": the label order was only in a docstring.
    # Then the names were only in classes.json beside model.keras: a moved model lost them.
    import tensorflow as tf

    for name, value in (("dogs", 200), ("cats", 50), (".ipynb_checkpoints", 0)):
        for i in range(16):
            tf.io.write_file(str(tmp_path / "pets" / name / f"{i}.png"),
                             tf.io.encode_png(np.full((28, 28, 1), value, np.uint8)))
    out = tmp_path / "run"
    assert main(["train", "cgan", "--dataset", str(tmp_path / "pets"), "--epochs", "1",
                 "--out", str(out), *TINY_TRAIN]) == 0
    with open(out / "classes.json") as handle:
        assert json.load(handle) == {"class_names": ["cats", "dogs"]}
    assert "Classes (sample one with --label N): 0 cats, 1 dogs; in " in capsys.readouterr().out
    # ... and sample takes the class by name from there.
    model = keras.models.load_model(out / "model.keras")
    for label in ("dogs", "1"):
        assert main(["sample", str(out / "model.keras"), "--label", label, "-n", "4",
                     "--out", str(tmp_path / f"{label}.png")]) == 0
    np.testing.assert_array_equal(matplotlib.image.imread(tmp_path / "dogs.png"),
                                  matplotlib.image.imread(tmp_path / "1.png"))
    np.testing.assert_allclose(matplotlib.image.imread(tmp_path / "dogs.png")[::4, ::4, 0],
                               make_grid(model.generate(4, labels=1, seed=0))[..., 0] / 255.0,
                               atol=1 / 255)
    assert main(["sample", str(out / "model.keras"), "--label", "birds"]) == 2
    assert ("--label 'birds' is not one of the classes in the model's class names: "
            "['cats', 'dogs'].\n") in capsys.readouterr().err
    assert main(["sample", str(out / "model.keras"), "--label", "Dogs"]) == 2
    assert ("--label 'Dogs' is not one of the classes in the model's class names: "
            "['cats', 'dogs']. Did you mean 'dogs'?") in capsys.readouterr().err
    # The model keeps the names: moved away from classes.json, --label dogs still works.
    assert model.class_names == ("cats", "dogs")
    assert model.generate(2, labels="dogs", seed=0).tolist() == model.generate(
        2, labels=1, seed=0).tolist()
    moved = tmp_path / "elsewhere" / "model.keras"
    moved.parent.mkdir()
    (out / "model.keras").rename(moved)
    assert main(["sample", str(moved), "--label", "dogs", "-n", "4",
                 "--out", str(tmp_path / "moved.png")]) == 0
    np.testing.assert_array_equal(matplotlib.image.imread(tmp_path / "moved.png"),
                                  matplotlib.image.imread(tmp_path / "1.png"))
    # A model saved without names (before keras_gen kept them) reads the classes.json beside
    # it; a class named like a number is found by its name: folder "10" sorts between "1" and "2".
    model.class_names = None
    model.save(out / "model.keras")
    (out / "classes.json").write_text(json.dumps({"class_names": ["1", "10"]}))
    assert main(["sample", str(out / "model.keras"), "--label", "10", "-n", "4",
                 "--out", str(tmp_path / "10.png")]) == 0
    np.testing.assert_array_equal(matplotlib.image.imread(tmp_path / "10.png"),
                                  matplotlib.image.imread(tmp_path / "1.png"))
    # An unconditional model ignores labels: no classes.json.
    assert main(["train", "dcgan", "--dataset", str(tmp_path / "pets"), "--epochs", "1",
                 "--out", str(tmp_path / "plain"), *TINY_TRAIN]) == 0
    assert not (tmp_path / "plain" / "classes.json").exists()


def test_a_label_number_out_of_range_is_refused_with_the_model_s_classes(tmp_path, capsys):
    # It said "labels must lie in [0, 10). Received values from 12 to 12.": a message about
    # `labels`, not --label, that named neither the model nor its classes.
    for label in ("10", "-1"):
        assert main(["sample", "cgan_mnist", "--label", label,
                     "--out", str(tmp_path / "bad.png")]) == 2
        assert (f"--label {label} is not a class of cgan_mnist: its 10 classes are numbered 0 "
                "to 9.\n") in capsys.readouterr().err
    assert main(["sample", "cgan_fashion_mnist", "--label", "12"]) == 2
    assert ("--label 12 is not a class of cgan_fashion_mnist: its 10 classes are numbered 0 to "
            "9, or named: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, "
            "Bag, Ankle boot.\n") in capsys.readouterr().err
    assert not (tmp_path / "bad.png").exists()


def test_errors_exit_2_with_a_message(tmp_path, capsys):
    assert main(["train", "dcgan", "--dataset", str(tmp_path / "nowhere"), "--out",
                 str(tmp_path / "run")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "missing.keras")]) == 2
    assert "No model file" in capsys.readouterr().err
    (tmp_path / "junk.keras").write_text("not a zip")
    assert main(["sample", str(tmp_path / "junk.keras")]) == 2
    assert "not a .keras archive" in capsys.readouterr().err
    # A plain Keras model failed with a traceback: "'Sequential' object has no attribute ...".
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]).save(tmp_path / "plain.keras")
    for command in (["sample"], ["evaluate", "--dataset", "digits"]):
        assert main([command[0], str(tmp_path / "plain.keras"), *command[1:]]) == 2
        assert re.search(r"plain\.keras' holds a Sequential, not a keras_gen model: pass a GAN, "
                         r"ConditionalGAN, VAE or VAEGAN", capsys.readouterr().err)
    # It said "Cannot tell the feature extractor for 'digits': pass --domain", to one who had.
    assert main(["evaluate", "dcgan_mnist", "--dataset", "digits", "--domain", "cifar"]) == 2
    assert ("--domain 'cifar' is not a feature extractor: pass digits, fashion_mnist, mnist or "
            "inception.") in capsys.readouterr().err
    # A mistyped path was answered "Cannot tell the feature extractor for ...: pass --domain",
    # and the path's absence came out only once --domain was given.
    for command in (["evaluate", "dcgan_mnist", "--dataset"],
                    ["finetune", "dcgan_mnist", "--monitor-every", "1", "--dataset", "digits",
                     "--reference"]):
        assert main([*command, str(tmp_path / "mnst"), "--out", str(tmp_path / "tuned")]) == 2
        error = capsys.readouterr().err
        assert f"No dataset at '{tmp_path / 'mnst'}': the path does not exist" in error
    assert not (tmp_path / "tuned").exists()
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "dcgan", "--epochs", "0"])
    assert exit_info.value.code == 2
    # A grid to a .jpg was refused only after the model loaded, naming save_image_grid.
    for command in (["sample", "dcgan_mnist"], ["reconstruct", "vae_mnist"]):
        with pytest.raises(SystemExit) as exit_info:
            main([*command, "--out", str(tmp_path / "grid.jpg")])
        assert exit_info.value.code == 2
        assert re.search(r"error: argument --out: must end in \.png \(grids are written as "
                         r"PNG\), got .*grid\.jpg$", capsys.readouterr().err.strip())
    # --seed -1 was numpy's "Seed must be between 0 and 2**32 - 1" for train and "expected
    # non-negative integer" for reconstruct, naming no flag; sample, finetune and evaluate took it.
    for command in ("train dcgan", "sample dcgan_mnist", "reconstruct vae_mnist",
                    "finetune dcgan_mnist", "evaluate dcgan_mnist"):
        for seed in ("-1", str(2**32)):
            with pytest.raises(SystemExit) as exit_info:
                main([*command.split(), "--seed", seed, "--out", str(tmp_path / "seeded")])
            assert exit_info.value.code == 2
            assert capsys.readouterr().err.strip().endswith(
                f"error: argument --seed: must be an integer from 0 to 4294967295, got {seed}")
    assert not (tmp_path / "seeded").exists()


def test_images_the_networks_cannot_make_are_refused_with_the_flag_that_fixes_it(tmp_path, capsys):
    # The networks' own error spoke of image_shape=(80, 60, 1), which a command-line user never
    # passed; the folder's size and --image-size are what they can change.
    import tensorflow as tf

    for i in range(4):
        tf.io.write_file(str(tmp_path / "photos" / f"{i}.png"),
                         tf.io.encode_png(np.full((80, 60, 1), 9 * i, np.uint8)))
    photos = ["train", "dcgan", "--dataset", str(tmp_path / "photos"), "--batch-size", "2",
              "--out", str(tmp_path / "run")]
    assert main(photos) == 2
    assert ("'" + str(tmp_path / "photos") + "' gives 80x60 images, which the dcgan networks "
            "cannot make: they make square images whose side halves at least once to 4 or more "
            "(28, 32, 64, ...); pass --image-size to resize them (e.g. --image-size 32).\n"
            ) in capsys.readouterr().err
    assert main([*photos, "--image-size", "9"]) == 2  # 9 does not halve
    error = capsys.readouterr().err
    assert "gives 9x9 images" in error
    assert "; --image-size 9 is not such a size: pass e.g. --image-size 32.\n" in error
    assert not (tmp_path / "run").exists()
