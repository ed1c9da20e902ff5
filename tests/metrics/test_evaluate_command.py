"""`keras-gen evaluate`: one model or several against one reference, on real MNIST."""

import json
import os

import keras
import numpy as np
import pytest

from keras_gen import metrics
from keras_gen.cli import main
from tests.helpers import MNIST, needs_mnist, tiny_cgan, tiny_gan, write_png_folder


@needs_mnist
def test_cli_evaluate_prints_and_writes_json(tmp_path, capsys):
    gan = tiny_gan()
    gan.save(tmp_path / "gan.keras")
    assert main(["evaluate", str(tmp_path / "gan.keras"), "--dataset", MNIST,
                 "--num-samples", "300"]) == 0
    out = capsys.readouterr().out
    assert "fid" in out and "coverage" in out and "FID from" not in out
    with open(tmp_path / "gan.metrics.json") as handle:
        scores = json.load(handle)
    assert scores["num_samples"] == 300 and scores["num_reference"] == 10000
    # A preset folder scores the same samples (same weights, seed 0); the JSON goes beside it.
    gan.save_to_preset(str(tmp_path / "my_preset"))
    assert main(["evaluate", str(tmp_path / "my_preset") + os.sep, "--dataset", MNIST,
                 "--num-samples", "300"]) == 0
    with open(tmp_path / "my_preset.metrics.json") as handle:
        assert json.load(handle)["fid"] == pytest.approx(scores["fid"], rel=1e-5)
    assert main(["evaluate", str(tmp_path / "gan.keras"), "--dataset", str(tmp_path)]) == 2
    assert "pass --domain" in capsys.readouterr().err
    # A conditional model is scored on its classes too, as its preset was measured.
    cgan = tiny_cgan()
    cgan.save(tmp_path / "cgan.keras")
    assert main(["evaluate", str(tmp_path / "cgan.keras"), "--dataset", MNIST,
                 "--num-samples", "300"]) == 0
    with open(tmp_path / "cgan.metrics.json") as handle:
        accuracy = json.load(handle)["conditional_accuracy"]
    requested = np.arange(300) * 10 // 300  # 30 samples per class, in class order
    _, logits = metrics.DomainFeatures("mnist")(cgan.generate(300, labels=requested, seed=0))
    assert accuracy == pytest.approx(np.mean(logits.argmax(1) == requested))
    # A model trained at another size (`keras-gen train --image-size 32`) scores too.
    tiny_gan(shape=(32, 32, 1)).save(tmp_path / "gan32.keras")
    assert main(["evaluate", str(tmp_path / "gan32.keras"), "--dataset", MNIST,
                 "--num-samples", "300"]) == 0
    with open(tmp_path / "gan32.metrics.json") as handle:
        assert json.load(handle)["num_samples"] == 300
    # Against a folder of the user's own images (one split, refused as "test" before): all 20.
    write_png_folder(tmp_path / "mine", ["a", "b"], per_class=10)
    assert main(["evaluate", str(tmp_path / "gan.keras"), "--dataset", str(tmp_path / "mine"),
                 "--domain", "mnist", "--num-samples", "300",
                 "--out", str(tmp_path / "mine.json")]) == 0
    with open(tmp_path / "mine.json") as handle:
        assert json.load(handle)["num_reference"] == 20
    # A FID from fewer images than features (a singular covariance) was printed without a word.
    assert ("FID from 20 reference images, fewer than the 128 feature dimensions, is biased "
            "upward, the more the fewer there are: compare FIDs at equal counts only (KID is "
            "unbiased)." in " ".join(capsys.readouterr().out.split()))
    assert main(["evaluate", str(tmp_path / "gan.keras"), "--dataset", MNIST,
                 "--num-samples", "100", "--out", str(tmp_path / "few.json")]) == 0
    assert ("FID from 100 samples, fewer than the 128 feature dimensions" in
            " ".join(capsys.readouterr().out.split()))


def test_cli_evaluate_scores_against_the_split_given(tmp_path, capsys):
    # The test split was the only reference a named dataset gave (digits: 360 images).
    tiny_gan().save(tmp_path / "gan.keras")
    for split, count, against in ((None, 360, "digits"),
                                  ("train", 1437, "the 'train' split of digits")):
        chosen = ["--split", split] if split else []
        assert main(["evaluate", str(tmp_path / "gan.keras"), "--dataset", "digits",
                     "--num-samples", "60", *chosen, "--out", str(tmp_path / "s.json")]) == 0
        scores = json.loads((tmp_path / "s.json").read_text())
        assert (scores["num_reference"], scores["split"]) == (count, split or "test")
        assert capsys.readouterr().out.startswith(
            f"Against {against} ({count} images, digits features): 60 samples, seed 0\n")


def test_cli_evaluate_scores_several_models_against_one_reference(tmp_path, capsys, monkeypatch):
    # Runs and presets were compared one process per model, each computing the reference's
    # features afresh (about 4 of the 10.6 s of a 2,000-sample evaluate of a preset).
    write_png_folder(tmp_path / "mine", ["a", "b"], per_class=10)
    models = [tmp_path / "a" / "model.keras", tmp_path / "b" / "model.keras",
              tmp_path / "cgan.keras"]
    for path, seed in zip(models[:2], (0, 1)):
        path.parent.mkdir()
        tiny_gan(seed=seed).save(path)
    tiny_cgan().save(models[2])
    built = []
    statistics = metrics.ReferenceStatistics
    monkeypatch.setattr(metrics, "ReferenceStatistics",
                        lambda *args, **kwargs: built.append(args) or statistics(*args, **kwargs))
    common = ["--dataset", str(tmp_path / "mine"), "--domain", "mnist", "--num-samples", "60"]
    assert main(["evaluate", *map(str, models), *common]) == 0
    assert len(built) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"Against {tmp_path / 'mine'} (20 images, mnist features): 60 samples "
                        "of each model, seed 0")
    # Each column is named by the fewest trailing parts of its path that tell it apart.
    assert lines[1].split() == ["metric", "a/model.keras", "b/model.keras", "cgan.keras"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:-1]}
    scores = [json.loads(path.with_suffix(".metrics.json").read_text()) for path in models]
    assert rows["fid"] == [f"{each['fid']:.4f}" for each in scores]
    assert rows["conditional_accuracy"] == ["-", "-", f"{scores[2]['conditional_accuracy']:.4f}"]
    assert scores[1]["model_file"] == str(models[1]) and scores[1]["seed"] == 0
    assert str(models[2].with_suffix(".metrics.json")) in lines[-1]
    # Scored alone, a model gets the same numbers: the same reference and samples (seed 0).
    assert main(["evaluate", str(models[1]), *common, "--out", str(tmp_path / "b.json")]) == 0
    alone = json.loads((tmp_path / "b.json").read_text())
    assert {key: alone[key] for key in ("fid", "kid", "coverage")} == {
        key: scores[1][key] for key in ("fid", "kid", "coverage")}


def test_cli_evaluate_of_several_models_refuses_before_the_reference(
        tmp_path, capsys, monkeypatch):
    def computed(*args, **kwargs):
        raise AssertionError("the reference was computed before the refusal")

    monkeypatch.setattr(metrics, "ReferenceStatistics", computed)
    gan = str(tmp_path / "gan.keras")
    tiny_gan().save(gan)
    tiny_gan().save_to_preset(str(tmp_path / "gan"))
    # The second of several, mistyped, was found after the reference of the first.
    assert main(["evaluate", gan, str(tmp_path / "gam.keras"), "--dataset", "digits"]) == 2
    assert f"No model file at {str(tmp_path / 'gam.keras')!r}" in capsys.readouterr().err
    assert main(["evaluate", gan, "dcgan_mnsit", "--dataset", "digits"]) == 2
    assert "shipped preset named 'dcgan_mnsit'" in capsys.readouterr().err
    # A .keras file of a plain Keras model was found out only when it was loaded, to be scored.
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save(tmp_path / "plain.keras")
    assert main(["evaluate", gan, str(tmp_path / "plain.keras"), "--dataset", "digits"]) == 2
    assert "holds a Sequential, not a keras_gen model" in capsys.readouterr().err
    assert main(["evaluate", gan, "dcgan_mnist", "--dataset", "digits", "--out",
                 str(tmp_path / "scores.json")]) == 2
    assert ("--out names the JSON file of one MODEL; without it each MODEL's scores go beside "
            "it (gan.metrics.json for gan.keras)") in capsys.readouterr().err
    # The .keras file and the preset folder beside it would both write gan.metrics.json.
    assert main(["evaluate", gan, str(tmp_path / "gan"), "--dataset", "digits"]) == 2
    assert (f"{gan} and {tmp_path / 'gan'} would both write their scores to "
            f"{tmp_path / 'gan.metrics.json'}") in capsys.readouterr().err
    # A colour model was refused by the digits classifier after the reference's features and
    # the grey model's score, in a message that did not say which MODEL made colour images.
    colour = str(tmp_path / "colour.keras")
    tiny_gan((28, 28, 3)).save(colour)
    assert main(["evaluate", gan, colour, "--dataset", "digits"]) == 2
    assert (f"{colour} makes images of shape (28, 28, 3), which the digits features cannot "
            "score. The digits classifier takes images of shape (28, 28, 1) in [-1, 1] "
            "(greyscale ones of other sizes are resized). Score colour images with "
            "domain='inception' (--domain inception on the command line).") in (
                capsys.readouterr().err)
    assert not os.path.exists(tmp_path / "gan.metrics.json")


def test_cli_evaluate_names_the_model_whose_samples_cannot_be_scored(tmp_path, capsys):
    # Of several, the one whose samples were NaN was not named: "evaluate takes float images".
    gan, broken = str(tmp_path / "gan.keras"), str(tmp_path / "broken.keras")
    tiny_gan().save(gan)
    model = tiny_gan()
    for variable in model.weights:
        variable.assign(np.full(variable.shape, np.nan, variable.dtype))
    model.save(broken)
    assert main(["evaluate", gan, broken, "--dataset", "digits", "--num-samples", "20"]) == 2
    assert (f"error: {broken}: evaluate takes float images in [-1, 1]; received NaN or infinite "
            "values.") in capsys.readouterr().err


def test_cli_evaluate_refuses_a_folder_as_out_before_scoring(tmp_path, capsys, monkeypatch):
    # It loaded the reference and the model and scored the samples, then failed to write.
    def scored(*args, **kwargs):
        raise AssertionError("the model was scored before --out was refused")

    monkeypatch.setattr(metrics, "evaluate_model", scored)
    tiny_gan().save(tmp_path / "gan.keras")
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(tmp_path / "gan.keras"), "--dataset", "digits", "--out",
              str(tmp_path)])
    assert exit_info.value.code == 2
    assert (f"argument --out: {tmp_path} is a folder; give the path of a file in it, e.g. "
            f"{tmp_path / 'results.json'}") in capsys.readouterr().err
