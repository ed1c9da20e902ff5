"""Presets: save/load round trip, sha256 checks, clear errors, the command line and the preset
tools (the shipped presets' quality: test_shipped_quality.py)."""

import os
import pathlib
import re
import shutil

import matplotlib.image
import numpy as np
import pytest

from keras_gen import presets
from keras_gen.cli import main
from keras_gen.models import GAN, VAE
from keras_gen.presets import PresetError
from keras_gen.saving import load_model
from keras_gen.utils import make_grid
from tests.helpers import tiny_gan


def test_round_trip_keeps_weights_compile_settings_and_metadata(tiny_preset):
    gan, folder = tiny_preset
    assert sorted(os.listdir(folder)) == ["config.json", "metadata.json", "model.weights.h5"]
    loaded = GAN.from_preset(folder)
    np.testing.assert_array_equal(loaded.generate(3, seed=2), gan.generate(3, seed=2))
    for mine, theirs in zip(gan.discriminator.weights, loaded.discriminator.weights):
        np.testing.assert_array_equal(np.array(mine), np.array(theirs))
    assert loaded.loss_name == "hinge" and loaded.preset_metadata["dataset"] == "random"
    fresh = GAN.from_preset(folder, load_weights=False)
    assert not np.allclose(fresh.generate(3, seed=2), gan.generate(3, seed=2))


def test_from_preset_computes_in_the_dtype_policy_asked_for(tiny_preset):
    # A preset names float32 on every layer, so loading it inside a mixed policy stayed float32.
    gan, folder = tiny_preset
    fast = GAN.from_preset(folder, dtype="mixed_bfloat16")
    assert fast.dtype_policy.name == "mixed_bfloat16" and fast.loss_name == "hinge"
    assert fast.preset_metadata["dataset"] == "random"
    dense = fast.generator.get_layer("stem").get_layer("stem_dense")
    assert (dense.compute_dtype, dense.kernel.dtype) == ("bfloat16", "float32")
    assert fast.discriminator.get_layer("logits").compute_dtype == "float32"
    for mine, theirs in zip(gan.weights, fast.weights):  # the same float32 variables
        np.testing.assert_array_equal(np.array(mine), np.array(theirs))
    images, rounded = gan.generate(3, seed=2), fast.generate(3, seed=2)
    assert rounded.dtype == np.float32 and not np.array_equal(images, rounded)
    np.testing.assert_allclose(rounded, images, atol=0.05)  # bfloat16 keeps 8 bits
    with pytest.raises(ValueError, match=r"^dtype must be None \(the preset's own\) or one of "
                                         r"\('float32', 'mixed_bfloat16', 'mixed_float16'\)\. "
                                         r"Received: dtype='bfloat16'$"):
        GAN.from_preset(folder, dtype="bfloat16")


def test_a_failed_save_over_a_preset_leaves_the_old_one_loadable(tiny_preset, monkeypatch):
    # The weights were replaced in place and metadata.json, with their sha256, after them: a
    # save that failed in between left a preset refused as "corrupted or was replaced".
    gan, folder = tiny_preset
    before = GAN.from_preset(folder).generate(2, seed=0)
    retrained = tiny_gan(loss="hinge", seed=1)
    real_write = presets.io.write_json_atomic

    def fail_on_metadata(path, payload):
        if path.endswith("metadata.json"):
            raise OSError("disk full")
        real_write(path, payload)

    monkeypatch.setattr(presets.io, "write_json_atomic", fail_on_metadata)
    with pytest.raises(OSError, match="disk full"):
        retrained.save_to_preset(folder)
    monkeypatch.undo()
    np.testing.assert_array_equal(GAN.from_preset(folder).generate(2, seed=0), before)
    parent = os.path.dirname(folder)
    assert os.listdir(parent) == ["tiny_preset"]  # no temporary folder left behind
    # A successful save replaces the preset as a whole; beside other files, file by file.
    retrained.save_to_preset(folder)
    after = GAN.from_preset(folder).generate(2, seed=0)
    np.testing.assert_array_equal(after, retrained.generate(2, seed=0))
    assert not np.array_equal(after, before) and os.listdir(parent) == ["tiny_preset"]
    with open(os.path.join(parent, "notes.txt"), "w") as handle:
        handle.write("mine")
    gan.save_to_preset(parent, {"dataset": "random"})
    assert sorted(os.listdir(parent)) == ["config.json", "metadata.json", "model.weights.h5",
                                          "notes.txt", "tiny_preset"]
    np.testing.assert_array_equal(GAN.from_preset(parent).generate(2, seed=0), before)
    with pytest.raises(FileExistsError, match="notes.txt is a file, not a folder"):
        gan.save_to_preset(os.path.join(parent, "notes.txt"))


def test_hidden_folders_beside_the_shipped_presets_are_not_presets(tiny_preset, monkeypatch):
    # A preset being written, or the one it replaces, lies in a hidden sibling meanwhile.
    _, folder = tiny_preset
    parent = os.path.dirname(folder)
    shutil.copytree(folder, os.path.join(parent, ".old-1234abcd-tiny_preset"))
    monkeypatch.setattr(presets.io, "PRESETS_DIR", parent)
    assert list(presets.builtin_presets()) == ["tiny_preset"]


def test_corrupted_weights_and_unknown_names_are_refused(tiny_preset):
    _, folder = tiny_preset
    with open(os.path.join(folder, "model.weights.h5"), "r+b") as handle:
        handle.seek(4000)
        handle.write(b"\xff\xfe")
    with pytest.raises(PresetError, match="corrupted or was replaced"):
        GAN.from_preset(folder)
    with pytest.raises(PresetError, match="Unknown preset 'no_such_preset'. Shipped presets: \\["):
        GAN.from_preset("no_such_preset")
    # A name a letter or two off is suggested; a path that does not exist is named as a path
    # (both were "Unknown preset ...", the path's with a list of names it was never meant as).
    with pytest.raises(PresetError, match=r"^Unknown preset 'dcgan_mnsit'\. Did you mean "
                                          r"'dcgan_mnist'\? Shipped presets: \["):
        GAN.from_preset("dcgan_mnsit")
    missing = os.path.join(os.path.dirname(folder), "my_presets", "dcgan_mnist")
    with pytest.raises(PresetError, match=rf"^No preset folder at {re.escape(repr(missing))}: "
                                          r"it does not exist\.$"):
        GAN.from_preset(missing)
    with pytest.raises(PresetError, match=r"is a file, not a preset folder.*load_model"):
        GAN.from_preset(os.path.join(folder, "metadata.json"))
    with pytest.raises(TypeError, match=r"^name_or_dir is a name from keras_gen\.presets\."
                                        r"list\(\) or a preset folder's path\. Received: "
                                        r"name_or_dir=None$"):
        GAN.from_preset(None)  # "stat: path should be string, bytes, os.PathLike or integer"
    with pytest.raises(TypeError, match=r"load_weights must be True or False\. Received: "
                                        r"load_weights='False'"):
        GAN.from_preset(folder, load_weights="False")  # loaded the weights: a str is truthy
    with pytest.raises(PresetError, match="holds a GAN, not a VAE"):
        os.remove(os.path.join(folder, "model.weights.h5"))
        VAE.from_preset(folder, load_weights=False)


def test_damaged_preset_files_and_metadata_that_cannot_be_saved_are_named(tiny_preset, tmp_path):
    gan, folder = tiny_preset
    # json's JSONDecodeError, and "'list' object has no attribute 'get'", from a damaged file.
    for name, text, reason in (("config.json", "{broken", r"not valid JSON \(Expecting property"),
                               ("metadata.json", "[]", "not an object")):
        original = open(os.path.join(folder, name)).read()
        with open(os.path.join(folder, name), "w") as handle:
            handle.write(text)
        with pytest.raises(PresetError, match=rf"^{folder}/{name} is {reason}.*\. Reinstall "
                                              r"keras_gen .*; a preset of your own, save again"):
            GAN.from_preset(folder)
        with open(os.path.join(folder, name), "w") as handle:
            handle.write(original)
    GAN.from_preset(folder)  # whole again
    # A list failed in dict(); an object or a loop in json.dump, after the weights were written.
    circular = {}
    circular["itself"] = circular
    for metadata, message in (([1, 2], r"^metadata must be a dict .* Received a list\.$"),
                              ({"at": object()}, r"^metadata must hold JSON values .*: Object of "
                                                 r"type object is not JSON serializable\.$"),
                              (circular, r"^metadata must hold JSON values .*: Circular "
                                         r"reference detected\.$")):
        with pytest.raises(TypeError, match=message):
            gan.save_to_preset(str(tmp_path / "new"), metadata)
    # json wrote these as bare NaN and Infinity, which jq and JavaScript refuse to read.
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError, match=r"^metadata holds NaN or infinity, which JSON has no "
                                             r"number for\. Record a score .* as None\.$"):
            gan.save_to_preset(str(tmp_path / "new"), {"metrics": {"fid": [1.5, bad]}})
    assert not os.path.exists(tmp_path / "new")


def test_the_presets_footnote_follows_the_metadata():
    from keras_gen.commands.viewing import _scores_footnote

    assert _scores_footnote({"mine": {"dataset": "pets"}}) == ""  # no scores: nothing to explain
    footnote = _scores_footnote({
        "a": {"dataset": "pets", "metrics": {"domain": "inception", "num_samples": 5000}},
        "b": {"dataset": "mnist", "metrics": {"domain": "mnist", "num_samples": 10000}}})
    assert footnote.startswith("Scores: keras_gen.metrics.evaluate of 5000 or 10000 samples "
                               "against the dataset's test split, in the features each "
                               "preset's metrics.domain names (--json). To score one again: "
                               "keras-gen evaluate a --dataset pets")


def test_cli_exports_a_preset_and_the_whole_zoo(tmp_path, capsys, monkeypatch, tiny_preset):
    gan, folder = tiny_preset
    out = tmp_path / "saved_models"
    assert main(["export", folder, "--out", str(out)]) == 0  # name defaults to the folder's
    assert (out / "tiny_preset" / "1" / "saved_model.pb").exists()
    # --all-presets: every preset of the (here: temporary, one-preset) zoo, as its next version.
    monkeypatch.setattr(presets.io, "PRESETS_DIR", str(tmp_path))
    assert main(["export", "--all-presets", "--out", str(out)]) == 0
    assert sorted(os.listdir(out / "tiny_preset")) == ["1", "2"]
    config = (out / "models.config").read_text()
    assert config.count("name: \"tiny_preset\"") == 1
    assert main(["export", folder, "--all-presets", "--out", str(out)]) == 2
    assert "not both or neither" in capsys.readouterr().err


def test_preset_trainer_overrides_epochs_on_a_copy_and_keeps_the_shipped_folder(
        monkeypatch, tmp_path, capsys):
    from keras_gen.presets import train

    assert train.preset_spec("dcgan_mnist", epochs=20) == {
        "recipe": "dcgan", "dataset": "mnist", "epochs": 20}
    assert train.PRESET_RECIPES["dcgan_mnist"]["epochs"] == 5
    assert train.preset_spec("wgan_gp_mnist")["epochs"] == 4

    calls = []

    def record(name, data_root, out_dir, epochs):
        calls.append((name, data_root, out_dir, epochs))
        return None, {"metrics": {}}

    monkeypatch.setattr(train, "train_preset", record)
    out, data_root = str(tmp_path / "longer"), str(tmp_path)  # a folder: --data is checked
    assert train.main(["--data", data_root, "--presets", "dcgan_mnist", "--epochs", "20",
                       "--out", out]) == 0
    assert calls == [("dcgan_mnist", data_root, out, 20)]
    # A changed recipe must not overwrite the shipped presets, whose metadata says 5 epochs.
    with pytest.raises(SystemExit):
        train.main(["--data", data_root, "--presets", "dcgan_mnist", "--epochs", "20"])
    assert "pass --out DIR" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train.main(["--data", data_root, "--epochs", "0", "--out", out])
    assert "must be a positive integer, got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train.main(["--data", data_root, "--presets", "dcgan_mnst"])
    assert "invalid choice: 'dcgan_mnst'" in capsys.readouterr().err
    assert len(calls) == 1


def test_the_cli_samples_a_preset_by_folder_or_shipped_name(tiny_preset, tmp_path, capsys):
    # `keras-gen sample` took only .keras files: "No model file at 'dcgan_mnist'".
    gan, folder = tiny_preset
    assert main(["sample", folder, "-n", "4", "--seed", "1", "--out",
                 str(tmp_path / "tiny.png")]) == 0
    expected = make_grid(gan.generate(4, seed=1))
    written = matplotlib.image.imread(tmp_path / "tiny.png")
    np.testing.assert_allclose(written[::4, ::4, 0], expected[..., 0] / 255.0, atol=1 / 255)
    assert main(["sample", "vae_mnist", "-n", "2", "--out", str(tmp_path / "vae.png")]) == 0
    expected = make_grid(presets.load_preset("vae_mnist").generate(2, seed=0))
    written = matplotlib.image.imread(tmp_path / "vae.png")
    np.testing.assert_allclose(written[::4, ::4, 0], expected[..., 0] / 255.0, atol=1 / 255)
    assert main(["sample", "no_such_preset"]) == 2
    assert ("No .keras file, preset folder or shipped preset named 'no_such_preset'. Pass a "
            ".keras file" in capsys.readouterr().err)
    assert main(["sample", "dcgan_mnsit"]) == 2
    assert ("shipped preset named 'dcgan_mnsit'. Did you mean 'dcgan_mnist'? Pass a .keras file"
            in capsys.readouterr().err)


def test_the_conditional_presets_name_their_classes(tmp_path, monkeypatch):
    # `sample cgan_fashion_mnist --label Sneaker` was refused: a preset's classes were numbers.
    from keras_gen.presets import train

    cgan = presets.load_preset("cgan_fashion_mnist")
    assert cgan.class_names == ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                "Shirt", "Sneaker", "Bag", "Ankle boot")
    assert presets.load_preset("cgan_mnist").class_names == tuple("0123456789")
    for label in ("Sneaker", "7"):
        assert main(["sample", "cgan_fashion_mnist", "--label", label, "-n", "2",
                     "--out", str(tmp_path / f"{label}.png")]) == 0
    np.testing.assert_array_equal(matplotlib.image.imread(tmp_path / "Sneaker.png"),
                                  matplotlib.image.imread(tmp_path / "7.png"))
    # The preset trainer gives its models the same names, so a retrained preset keeps them.
    built = train._build("cgan", "fashion_mnist")
    assert built.get_config()["class_names"] == list(cgan.class_names)
    assert train._build("dcgan", "fashion_mnist").get_config().get("class_names") is None


def test_models_and_presets_load_from_pathlib_paths(tiny_preset, tmp_path):
    # load_model_or_preset(Path(...)): "'PosixPath' object has no attribute 'endswith'".
    from keras_gen.saving import load_model_or_preset

    gan, folder = tiny_preset
    keras_file = tmp_path / "gan.keras"
    gan.save(keras_file)
    expected = gan.generate(2, seed=0)
    for loaded in (load_model(keras_file), load_model_or_preset(keras_file),
                   load_model_or_preset(pathlib.Path(folder))):
        np.testing.assert_array_equal(loaded.generate(2, seed=0), expected)
    # None reached os.stat: "stat: path should be string, bytes, os.PathLike or integer".
    with pytest.raises(TypeError, match=r"^path is a \.keras file\. Received: path=None$"):
        load_model(None)
    with pytest.raises(TypeError, match=r"^path is a \.keras file, a preset folder or a shipped "
                                        r"preset's name\. Received: path=None$"):
        load_model_or_preset(None)


def test_the_resave_tool_reads_its_command_line(monkeypatch, capsys):
    # `--help` was read as a preset name: a FileNotFoundError traceback from a tool that rewrites
    # the shipped presets in place.
    from keras_gen.presets import resave

    resaved = []
    monkeypatch.setattr(resave, "resave", lambda name: resaved.append(name) or {
        "weights_bytes": 1})
    with pytest.raises(SystemExit) as exit_info:
        resave.main(["--help"])
    assert exit_info.value.code == 0 and "Rewrite shipped preset folders" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        resave.main(["no_such_preset"])
    assert "unknown presets ['no_such_preset']; the shipped ones are" in capsys.readouterr().err
    assert resaved == []
    resave.main(["dcgan_mnist"])
    resave.main([])
    assert resaved == ["dcgan_mnist", *sorted(presets.list())]


def test_the_training_tools_refuse_a_data_folder_that_is_not_there(tmp_path, capsys):
    # A DataError traceback came once the first preset or classifier started.
    from keras_gen.metrics import train_classifiers
    from keras_gen.presets import train

    for tool in (train, train_classifiers):
        with pytest.raises(SystemExit) as exit_info:
            tool.main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
        assert exit_info.value.code == 2
        assert re.search(r"error: --data '.*nowhere' is not a folder; pass the one that holds "
                         r"mnist/ and fashion_mnist/", capsys.readouterr().err)
    assert not (tmp_path / "out").exists()
