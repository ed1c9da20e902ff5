"""Fine-tuning: prepare_finetune for every family and keras-gen finetune, from a preset or a
model the user trained."""

import json
import os

import keras
import numpy as np
import pytest

from keras_gen import data, metrics, transfer
from keras_gen.cli import main
from keras_gen.models import GAN, VAE
from keras_gen.saving import load_model
from tests.helpers import tiny_dataset, tiny_gan, write_png_folder
from tests.models.test_vae import tiny_vae, tiny_vaegan


def test_prepare_finetune_freezes_adds_ada_and_trains(tiny_preset):
    _, folder = tiny_preset
    gan = transfer.prepare_finetune(GAN.from_preset(folder), freeze_d=1, ada=True,
                                    learning_rate=1e-4)
    assert not gan.discriminator.get_layer("block_0").trainable
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(1e-4)
    logs = gan.fit(tiny_dataset(), verbose=0).history
    assert "ada_p" in logs and gan.loss_name == "hinge"


def test_prepare_finetune_adds_diffaugment_or_ada_in_place_of_the_saved_one():
    # DiffAugment, the simpler option, could only be set by hand before prepare_finetune.
    gan = transfer.prepare_finetune(tiny_gan(), diffaugment=True)
    assert isinstance(gan.augment, transfer.DiffAugment)
    logs = gan.fit(tiny_dataset(), verbose=0).history
    assert "ada_p" not in logs and np.isfinite(logs["d_loss"]).all()
    with pytest.raises(ValueError, match=r"^ada and diffaugment are two augmentations of the "
                                         r"discriminator's images; pass one of them\.$"):
        transfer.prepare_finetune(gan, ada=True, diffaugment=True)
    assert isinstance(gan.augment, transfer.DiffAugment)  # refused before anything changed
    with pytest.raises(ValueError, match=r"^diffaugment must be True or False\. Received: "
                                         r"diffaugment='yes'$"):
        transfer.prepare_finetune(gan, diffaugment="yes")
    transfer.prepare_finetune(gan, ada=True)  # the one asked for replaces the saved one
    assert isinstance(gan.augment, transfer.AdaptiveAugment)
    with pytest.raises(ValueError, match=r"^DiffAugment \(diffaugment, --diffaugment\) augments "
                                         r".*; a VAE does not train with it\. Drop it\.$"):
        transfer.prepare_finetune(tiny_vae(), diffaugment=True)


def test_prepare_finetune_refuses_a_learning_rate_that_cannot_train():
    # 0 trained nothing for a whole run; -1 climbed the losses (d_loss ~5e9 after one epoch).
    gan = tiny_gan()
    for rate in (0, -1e-4, float("nan"), float("inf"), True, "1e-4"):
        with pytest.raises(ValueError, match=r"learning_rate must be a number > 0 \(e\.g\. 2e-4\)"
                                             rf", or None .*Received: learning_rate={rate!r}"):
            transfer.prepare_finetune(gan, freeze_d=1, learning_rate=rate)
    # Refused before anything changed: nothing frozen, the optimizer untouched.
    assert gan.discriminator.get_layer("block_0").trainable
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(2e-4)
    # A model never compiled gets compile()'s default Adam at the new rate (it failed with
    # "'NoneType' object has no attribute 'learning_rate'").
    fresh = GAN(gan.generator, gan.discriminator)
    transfer.prepare_finetune(fresh, learning_rate=np.float32(5e-5))
    assert float(fresh.d_optimizer.learning_rate) == pytest.approx(5e-5)
    assert float(fresh.g_optimizer.beta_1) == pytest.approx(0.5)


@pytest.mark.parametrize("arguments, message", [
    (["--learning-rate", "0"], "argument --learning-rate: must be a number > 0, got 0"),
    (["--learning-rate=-1e-4"], "argument --learning-rate: must be a number > 0, got -1e-4"),
    (["--learning-rate", "nan"], "argument --learning-rate: must be a number > 0, got nan"),
    (["--freeze-d", "-1"], "argument --freeze-d: must be 0 or a positive integer, got -1"),
    (["--ada", "--diffaugment"], "argument --diffaugment: not allowed with argument --ada"),
    (["--no-augment", "--ada"], "argument --ada: not allowed with argument --no-augment"),
])
def test_cli_finetune_refuses_bad_numbers_and_clashing_options_as_usage_errors(
        capsys, arguments, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["finetune", "dcgan_mnist", "--dataset", "digits", *arguments])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_cli_finetune_refuses_options_the_preset_cannot_take_before_reading_the_dataset(
        tmp_path, capsys):
    # Both were refused only after the dataset was read (and "Fine-tuning ... on N images"
    # printed): here the path does not exist, so the dataset's error came first.
    missing = str(tmp_path / "photos")
    for options, message in (
            (["--freeze-d", "9"], "Cannot freeze 9 discriminator blocks: this one has 2 "
                                  "(block_0, block_1). Pass 1 to 2"),
            (["--reset-classes"], "--reset-classes is for conditional presets; 'dcgan_mnist' is "
                                  "unconditional and ignores labels."),
            (["--diffaugment"], "DiffAugment (diffaugment, --diffaugment) augments what a GAN's "
                                "discriminator sees; a VAE does not train with it. Drop it.")):
        preset = "vae_mnist" if "--diffaugment" in options else "dcgan_mnist"
        assert main(["finetune", preset, "--dataset", missing, *options,
                     "--out", str(tmp_path / "ft")]) == 2
        captured = capsys.readouterr()
        assert message in captured.err and "Fine-tuning" not in captured.out


def test_cli_presets_and_finetune(tmp_path, capsys, tiny_preset):
    _, folder = tiny_preset
    assert main(["presets"]) == 0
    listed = capsys.readouterr().out
    assert "cgan_mnist" in listed
    # The scores said nothing of how they were measured: FIDs in two classifiers' features
    # side by side, and not comparable with an evaluate run of fewer samples.
    assert " ".join(listed.split()).endswith(
        "Scores: keras_gen.metrics.evaluate of 10000 samples against the dataset's test split, "
        "in that dataset's classifier features (not InceptionV3): compare presets of one "
        "dataset. To score one again: keras-gen evaluate cgan_fashion_mnist --dataset "
        "fashion_mnist (FID is higher with fewer --num-samples).")
    assert main(["presets", "--json"]) == 0
    assert "sha256" in json.loads(capsys.readouterr().out)["dcgan_mnist"]
    out = tmp_path / "ft"
    assert main(["finetune", folder, "--dataset", "digits", "--limit", "64", "--batch-size", "32",
                 "--epochs", "1", "--freeze-d", "1", "--ada", "--learning-rate", "3e-4",
                 "--out", str(out)]) == 0
    tuned = load_model(str(out / "model.keras"))
    assert float(tuned.g_optimizer.learning_rate) == pytest.approx(3e-4)
    assert tuned.ema_warmup  # fine-tuning restarts the EMA ramp


def test_prepare_finetune_takes_the_vae_family_without_what_it_lacks():
    vae = tiny_vae(kl_warmup_steps=500)
    with pytest.raises(ValueError, match=r"^FreezeD \(freeze_d, --freeze-d\) freezes a "
                                         r"discriminator's blocks, and a VAE has none\. Drop it; "
                                         r".*transfer\.freeze\(model\.encoder"):
        transfer.prepare_finetune(vae, freeze_d=1)  # 'VAE' object has no attribute ...
    with pytest.raises(ValueError, match=r"^ADA \(ada, --ada\) augments .*; a VAE does not"):
        transfer.prepare_finetune(vae, ada=True)
    vae.fit(tiny_dataset(), verbose=0)
    transfer.freeze(vae.encoder, up_to="block_0")  # what the FreezeD refusal suggests
    frozen = [np.array(w) for w in vae.encoder.get_layer("block_0").weights]
    transfer.prepare_finetune(vae, learning_rate=5e-4)
    # A fresh Adam at the new rate, the model's own settings kept.
    assert int(vae.optimizer.iterations) == 0 and vae.kl_warmup_steps == 500
    assert float(vae.optimizer.learning_rate) == pytest.approx(5e-4)
    assert vae.fit(tiny_dataset(), verbose=0).history["loss"]
    for before, after in zip(frozen, vae.encoder.get_layer("block_0").weights):
        np.testing.assert_array_equal(before, np.array(after))
    vaegan = tiny_vaegan()
    transfer.prepare_finetune(vaegan, freeze_d=1, learning_rate=1e-4)
    assert not vaegan.discriminator.get_layer("block_0").trainable
    assert [float(getattr(vaegan, name).learning_rate) for name in
            ("e_optimizer", "g_optimizer", "d_optimizer")] == pytest.approx([1e-4] * 3)
    assert vaegan.fit(tiny_dataset(), verbose=0).history["d_loss"]
    with pytest.raises(ValueError, match="a VAEGAN does not train with it"):
        transfer.prepare_finetune(vaegan, ada=True)


def test_prepare_finetune_keeps_how_the_steps_run():
    # A model compiled with XLA (or several steps per execution) fine-tuned without it.
    vae = tiny_vae()
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=True, steps_per_execution=2)
    vaegan = tiny_vaegan()
    vaegan.compile(jit_compile=True, steps_per_execution=2)
    for model in (tiny_gan(jit_compile=True, steps_per_execution=2), vae, vaegan):
        transfer.prepare_finetune(model, learning_rate=1e-4)
        assert (model.jit_compile, model.steps_per_execution) == (True, 2)
    assert vaegan.fit(tiny_dataset(), verbose=0).history["d_loss"]


def test_cli_finetunes_a_vae_preset(tmp_path, capsys):
    # It was refused: "finetune takes a GAN preset; 'vae_mnist' is a VAE."
    folder = str(tmp_path / "tiny_vae")
    tiny_vae().save_to_preset(folder, {"dataset": "random"})
    out = tmp_path / "ft"
    args = ["finetune", folder, "--dataset", "digits", "--limit", "64", "--batch-size", "32",
            "--epochs", "1", "--out", str(out)]
    assert main(args + ["--freeze-d", "1"]) == 2
    assert "a VAE has none. Drop it" in capsys.readouterr().err
    assert not out.exists()  # refused before anything was read or written
    assert main(args + ["--learning-rate", "3e-4"]) == 0
    tuned = load_model(str(out / "model.keras"))
    assert isinstance(tuned, VAE)
    assert float(tuned.optimizer.learning_rate) == pytest.approx(3e-4)
    assert int(tuned.optimizer.iterations) == 2  # 64 images, batches of 32
    assert (out / "samples").is_dir()


def test_cli_finetune_monitor_keeps_the_best_fid_model(tmp_path, capsys, tiny_preset):
    _, folder = tiny_preset
    out = tmp_path / "ft"
    assert main(["finetune", folder, "--dataset", "digits", "--limit", "64", "--batch-size", "32",
                 "--epochs", "3", "--monitor-every", "1", "--monitor-samples", "100",
                 "--out", str(out)]) == 0
    fids = json.loads((out / "history.json").read_text())["fid"]
    assert len(fids) == 3
    best_epoch = int(np.argmin(fids)) + 1
    assert f"Best FID {min(fids):.3f} at epoch {best_epoch}" in capsys.readouterr().out
    assert json.loads((out / "best.json").read_text())["epoch"] == best_epoch
    # best.keras is the model of that epoch: its samples (same seed, 0) score that FID again, in
    # the digits classifier's features against the digits test split (the defaults).
    images, labels = data.load_arrays("digits", split="test")
    reference = metrics.ReferenceStatistics(images.astype(np.float32) / 127.5 - 1, "digits",
                                            labels)
    best = load_model(str(out / "best.keras"))
    rescored = metrics.evaluate(best.generate(100, seed=0), reference)["fid"]
    assert rescored == pytest.approx(min(fids), rel=1e-3)


def test_cli_finetune_continues_on_its_own_data_and_monitor(tmp_path, capsys, tiny_preset):
    # finetune --continue required --dataset again, and left the monitor (best.keras) off
    # unless all its options were given again.
    _, folder = tiny_preset
    out = tmp_path / "ft"
    assert main(["finetune", folder, "--epochs", "1", "--out", str(out)]) == 2
    assert ("keras-gen finetune needs --dataset: the images to train on (a dataset name or a "
            "path).") in capsys.readouterr().err
    assert main(["finetune", folder, "--dataset", "digits", "--limit", "64", "--batch-size", "32",
                 "--epochs", "1", "--monitor-every", "1", "--monitor-samples", "100",
                 "--out", str(out)]) == 0
    assert main(["finetune", folder, "--epochs", "2", "--continue", "--out", str(out)]) == 0
    assert ("--dataset digits --limit 64 --batch-size 32 --monitor-every 1 --monitor-samples 100;"
            in capsys.readouterr().out)
    assert int(load_model(str(out / "model.keras")).g_optimizer.iterations) == 4  # 2 an epoch
    assert len(json.loads((out / "history.json").read_text())["fid"]) == 2
    assert json.loads((out / "data_options.json").read_text())["limit"] == 64


def test_cli_finetune_monitor_says_what_it_needs(tmp_path, capsys, tiny_preset):
    _, folder = tiny_preset
    args = ["finetune", folder, "--limit", "64", "--batch-size", "4", "--epochs", "1",
            "--out", str(tmp_path / "ft")]
    assert main(args + ["--dataset", "digits", "--domain", "digits"]) == 2
    assert "add --monitor-every N" in capsys.readouterr().err
    assert main(args + ["--dataset", "digits", "--monitor-every", "1",
                        "--reference", str(tmp_path)]) == 2  # named like no domain
    assert "Cannot tell the feature extractor" in capsys.readouterr().err
    # An image folder is all training data: the monitor needs held-out images named.
    write_png_folder(tmp_path / "images", ["a", "b"], per_class=2)
    assert main(args + ["--dataset", str(tmp_path / "images"), "--monitor-every", "1"]) == 2
    assert "pass --reference with a folder of held-out images" in capsys.readouterr().err
    # It named QualityMonitor's num_samples, after computing the reference's features.
    assert main(args + ["--dataset", "digits", "--monitor-every", "1",
                        "--monitor-samples", "5"]) == 2
    assert "--monitor-samples must be at least 6" in capsys.readouterr().err
    assert not (tmp_path / "ft").exists()  # refused before any training
    # Named as the reference, the folder's images are all held out.
    write_png_folder(tmp_path / "held_out", ["a", "b"], per_class=16)
    assert main(args + ["--dataset", "digits", "--monitor-every", "1", "--monitor-samples", "32",
                        "--reference", str(tmp_path / "held_out"), "--domain", "digits"]) == 0
    assert "Best FID" in capsys.readouterr().out and (tmp_path / "ft" / "best.keras").exists()


def test_cli_finetune_monitor_scores_against_the_reference_split(
        tmp_path, capsys, monkeypatch, tiny_preset):
    # A dataset whose one split is "train" (tf_flowers), fine-tuned with --split 'train[:90%]',
    # left the monitor no held-out split to name: it asked for "test".
    _, folder = tiny_preset
    scored_against = []
    statistics = metrics.ReferenceStatistics
    monkeypatch.setattr(metrics, "ReferenceStatistics", lambda images, *args, **kwargs: (
        scored_against.append(len(images)) or statistics(images, *args, **kwargs)))
    args = ["finetune", folder, "--dataset", "digits", "--split", "test", "--limit", "64",
            "--batch-size", "32", "--epochs", "1", "--out", str(tmp_path / "ft")]
    assert main(args + ["--reference-split", "train"]) == 2
    assert "add --monitor-every N" in capsys.readouterr().err
    assert main(args + ["--monitor-every", "1", "--monitor-samples", "50", "--reference-split",
                        "train"]) == 0
    assert scored_against == [1437]  # digits' train split; its test split holds 360


def test_cli_finetunes_a_model_the_user_trained(tmp_path, monkeypatch, capsys, trained_tiny_gan):
    # `keras-gen finetune runs/dcgan/model.keras` was refused as an "Unknown preset".
    monkeypatch.chdir(tmp_path)
    os.makedirs("runs/dcgan")
    trained_tiny_gan.save("runs/dcgan/model.keras")
    assert main(["finetune", "runs/dcgan/model.keras", "--dataset", "digits", "--limit", "64",
                 "--batch-size", "32", "--epochs", "1", "--freeze-d", "1", "--ada",
                 "--learning-rate", "3e-4"]) == 0
    # The 8x8 digits are resized to the model's images, and the command says so.
    assert ("Fine-tuning runs/dcgan/model.keras on 64 images of digits, read as its 28x28 grey "
            "images\n") in capsys.readouterr().out
    tuned = load_model("runs/finetune_dcgan/model.keras")  # named after the run it came from
    assert float(tuned.g_optimizer.learning_rate) == pytest.approx(3e-4)
    assert int(tuned.g_optimizer.iterations) == 2  # a fresh optimizer: 64 images, batches of 32
    assert tuned.augment is not None and not tuned.discriminator.get_layer("block_0").trainable
    assert tuned.loss_name == trained_tiny_gan.loss_name  # the model's own settings kept


def test_cli_finetunes_in_another_precision(tmp_path, monkeypatch, trained_tiny_gan):
    # finetune had no --precision: a float32 model fine-tuned in float32 only.
    monkeypatch.chdir(tmp_path)
    trained_tiny_gan.save("gan.keras")
    tiny = ["--dataset", "digits", "--limit", "64", "--batch-size", "32", "--epochs", "1"]
    assert main(["finetune", "gan.keras", *tiny, "--precision", "mixed_bfloat16", "--ada",
                 "--out", "fast"]) == 0
    assert keras.config.dtype_policy().name == "float32"
    tuned = load_model("fast/model.keras")
    dense = tuned.generator.get_layer("stem").get_layer("stem_dense")
    assert (dense.compute_dtype, dense.kernel.dtype) == ("bfloat16", "float32")
    assert tuned.loss_name == "hinge" and tuned.augment is not None  # its settings kept
    assert int(tuned.g_optimizer.iterations) == 2
    # Without --precision a model fine-tunes in its own policy.
    assert main(["finetune", "fast/model.keras", *tiny, "--out", "again"]) == 0
    again = load_model("again/model.keras")
    assert again.generator.get_layer("stem").get_layer("stem_dense").compute_dtype == "bfloat16"


@pytest.mark.parametrize("source, run_name", [
    ("dcgan_mnist", "dcgan_mnist"),
    ("my_presets/dcgan_mnist/", "dcgan_mnist"),
    ("gan.keras", "gan"),
    ("runs/dcgan/model.keras", "dcgan"),
    ("runs/dcgan/best.keras", "dcgan_best"),
    # What TrainingDiverged tells the user to fine-tune; it was `runs/finetune_last`, one
    # folder for every run's checkpoint.
    ("runs/dcgan/checkpoints/last.keras", "dcgan_last"),
    ("runs/dcgan/last.keras", "last"),  # not a file train writes: its own name
])
def test_finetune_names_its_output_after_the_model_it_starts_from(source, run_name):
    from keras_gen.commands.fitting import _run_name

    assert _run_name(source) == run_name
