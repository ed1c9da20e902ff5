"""keras-gen train and finetune over a finished or diverged run: --continue, --overwrite, and
what is kept."""

import json
import os
import re

import keras
import numpy as np
import pytest

from keras_gen import training
from keras_gen.cli import main
from tests.helpers import TINY_TRAIN, read_strict_json, tiny_gan


class _Diverges(keras.callbacks.Callback):
    """Sets every weight to NaN after the first batch of epoch `epoch` (0-based)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.current = epoch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == 0:
            for variable in self.model.generator.weights + self.model.discriminator.weights:
                variable.assign(np.full(variable.shape, np.nan, variable.dtype))


def test_a_diverged_run_says_what_was_kept_and_is_not_scored(tmp_path, caplog):
    from keras_gen import metrics
    from keras_gen.callbacks import QualityMonitor
    from tests.helpers import tiny_dataset, tiny_images

    reference = metrics.ReferenceStatistics(tiny_images(16), domain="mnist")
    # Diverged in epoch 2: epoch 1's finite checkpoint is kept. The quality monitor's score of
    # the NaN samples raised a DataError about the classifier's input instead.
    out = tmp_path / "late"
    with pytest.raises(training.TrainingDiverged,
                       match=rf"^Training stopped: non-finite values \{{.*\}}\. "
                             rf"{out}/checkpoints/last\.keras holds the last finite state "
                             r"\(keras_gen\.saving\.load_model\)\. Lower the learning rate "
                             r"\(--learning-rate\), or add a gradient penalty"):
        training.train(tiny_gan(), tiny_dataset(), str(out), epochs=3, verbose=0,
                       callbacks=[_Diverges(1), QualityMonitor(reference, num_samples=6)])
    assert "Epoch 2: not scored, since d_fake, d_loss" in caplog.text
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == [1, 2] and np.isfinite(history["fid"][0])
    kept = keras.models.load_model(str(out / "checkpoints" / "last.keras"))
    assert np.isfinite(kept.generate(2, seed=0)).all()
    # Keras deleted the backup, so training into the folder again started afresh and its first
    # checkpoint replaced the last finite state. It is refused now, as over a finished run.
    assert not (out / "backup").exists()
    kept_bytes = (out / "checkpoints" / "last.keras").read_bytes()
    with pytest.raises(FileExistsError,
                       match=rf"^{out} holds a run without a model\.keras \(one that "
                             rf"diverged, or whose model\.keras was moved\); "
                             rf"{out}/checkpoints/last\.keras holds its last finite state, which "
                             r"training again would replace\. "
                             r"Pass another output folder \(--out\), or overwrite=True "
                             r"\(--overwrite\) to start over\.$"):
        training.train(tiny_gan(), tiny_dataset(), str(out), epochs=3, verbose=0)
    assert (out / "checkpoints" / "last.keras").read_bytes() == kept_bytes
    training.train(tiny_gan(), tiny_dataset(), str(out), epochs=1, verbose=0, overwrite=True)
    assert (out / "model.keras").is_file()
    # Diverged in epoch 1: it named a last.keras that was never written.
    with pytest.raises(training.TrainingDiverged, match=r"\. No checkpoint was saved before it\. "
                                                        r"Lower the learning rate"):
        training.train(tiny_gan(), tiny_dataset(), str(tmp_path / "early"), epochs=2,
                       verbose=0, callbacks=[_Diverges(0)])
    assert not (tmp_path / "early" / "checkpoints" / "last.keras").exists()
    # Nothing of it to keep, so the same command trains afresh.
    training.train(tiny_gan(), tiny_dataset(), str(tmp_path / "early"), epochs=1, verbose=0)
    assert (tmp_path / "early" / "model.keras").is_file()


def test_overwrite_leaves_no_grid_or_checkpoint_of_the_run_before(tmp_path):
    # A 2-epoch run over a 3-epoch one kept samples/epoch_0003.png beside its own grids, and
    # one that diverged before its first checkpoint named the old run's last.keras as its own.
    from tests.helpers import tiny_dataset

    out = tmp_path / "run"
    training.train(tiny_gan(), tiny_dataset(), str(out), epochs=3, grid_every=1, verbose=0,
                   tensorboard=True)

    def event_files():
        return sorted(path.relative_to(out / "logs").parts[0]
                      for path in (out / "logs").rglob("events.out.tfevents.*"))

    assert event_files() == ["samples", "train"]
    (out / "samples" / "mine.png").write_bytes(b"a user's file")
    (out / "notes.txt").write_text("kept")
    # What `keras-gen finetune --monitor-every` keeps there: read as the new run's best.
    (out / "best.keras").write_bytes(b"the earlier run's best model")
    (out / "best.json").write_text('{"epoch": 3, "fid": 1.0}')
    training.train(tiny_gan(seed=1), tiny_dataset(), str(out), epochs=2, grid_every=1,
                   verbose=0, overwrite=True, tensorboard=True)
    assert event_files() == ["samples", "train"]  # TensorBoard drew both runs as one
    assert sorted(os.listdir(out / "samples")) == ["epoch_0001.png", "epoch_0002.png", "mine.png"]
    assert (out / "notes.txt").read_text() == "kept"
    assert not (out / "best.keras").exists() and not (out / "best.json").exists()
    with pytest.raises(training.TrainingDiverged, match=r"\. No checkpoint was saved before "):
        training.train(tiny_gan(), tiny_dataset(), str(out), epochs=2, verbose=0,
                       overwrite=True, callbacks=[_Diverges(0)])
    assert not (out / "checkpoints" / "last.keras").exists()
    assert sorted(os.listdir(out / "samples")) == ["mine.png"]
    # Its model.keras is the 2-epoch run's, its history the diverged one's.
    refusal = (r"diverged in epoch 1 \(history\.json\): its model\.keras is the run as it last "
               r"finished, and no checkpoint of that training was kept\. Pass overwrite=True "
               r"\(--overwrite\) to start afresh\.$")
    with pytest.raises(FileExistsError, match=refusal):
        training.train(tiny_gan(), tiny_dataset(), str(out), epochs=2, verbose=0)


def test_a_diverged_continuation_is_not_continued_from_the_model_before_it(tmp_path):
    # Continued again, it trained model.keras (epoch 2) on as epochs 5-6, and replaced
    # last.keras (epoch 3, the last finite state) with it.
    from tests.helpers import tiny_dataset

    out = tmp_path / "run"
    training.train(tiny_gan(), tiny_dataset(), str(out), epochs=2, verbose=0)
    # Its last epoch is drawn, NaN: make_grid warns.
    with pytest.raises(training.TrainingDiverged), pytest.warns(RuntimeWarning,
                                                                match="likely diverged"):
        training.continue_training(training.load_run(str(out)), tiny_dataset(), str(out),
                                   epochs=4, verbose=0, callbacks=[_Diverges(3)])
    kept_bytes = (out / "checkpoints" / "last.keras").read_bytes()
    refusal = (rf"^The last training of {out} diverged in epoch 4 \(history\.json\): its "
               rf"model\.keras is the run as it last finished, and {out}/checkpoints/last\.keras "
               r"its last finite checkpoint, which training again would replace\. Copy that away "
               r"to keep it \(keras-gen finetune trains it on into another --out\); or "
               r"overwrite=True \(--overwrite\) to start afresh\.$")
    with pytest.raises(FileExistsError, match=refusal):
        training.load_run(str(out))
    with pytest.raises(FileExistsError, match=refusal):
        training.continue_training(tiny_gan(), tiny_dataset(), str(out), epochs=6, verbose=0)
    # Trained afresh without overwrite=True, it was refused as a finished run that
    # continue_training would train on, which is refused as above.
    with pytest.raises(FileExistsError, match=refusal):
        training.train(tiny_gan(), tiny_dataset(), str(out), epochs=2, verbose=0)
    assert (out / "checkpoints" / "last.keras").read_bytes() == kept_bytes
    # Strict JSON: the diverged epoch's losses are named, not written as bare NaN.
    history = read_strict_json(out / "history.json")
    assert history["epoch"] == [1, 2, 3, 4] and history["g_loss"][3] == "NaN"
    # A history of an earlier version, with bare NaN, is read as diverged too.
    (out / "history.json").write_text(json.dumps(
        {key: [float(value) if value == "NaN" else value for value in values]
         for key, values in history.items()}))
    with pytest.raises(FileExistsError, match=refusal):
        training.load_run(str(out))


def test_a_finished_run_is_not_replaced_without_overwrite(tmp_path, capsys):
    # A second `keras-gen train` into the same --out started afresh and replaced the first
    # run's model.keras and history without a word.
    out = tmp_path / "run"
    command = ["train", "dcgan", "--epochs", "1", "--out", str(out), *TINY_TRAIN]
    assert main(command) == 0
    first = (out / "model.keras").read_bytes()
    assert main([*command, "--seed", "5"]) == 2
    assert re.search(r"^keras-gen train: error: .*run holds a finished run \(.*model\.keras\); "
                     r"training again would start from scratch and replace it and its history\. "
                     r"Pass another output folder \(--out\), or overwrite=True \(--overwrite\)",
                     capsys.readouterr().err)
    assert (out / "model.keras").read_bytes() == first
    assert main(["finetune", "no_such_preset", "--dataset", "digits", "--out", str(out)]) == 2
    assert "holds a finished run" in capsys.readouterr().err  # before the preset is looked up
    assert main([*command, "--seed", "5", "--overwrite"]) == 0
    assert (out / "model.keras").read_bytes() != first


def test_a_finished_run_continues_as_if_it_had_not_stopped(tmp_path):
    # A finished run could only be refused or started over: more epochs lost its optimizers'
    # state and history.
    from tests.helpers import assert_weights_close, tiny_dataset, weights_of

    reference = tiny_gan()
    training.train(reference, tiny_dataset(), str(tmp_path / "reference"), epochs=3, verbose=0)
    out = str(tmp_path / "run")
    training.train(tiny_gan(), tiny_dataset(), out, epochs=2, verbose=0)
    with pytest.raises(ValueError, match=r"the run in .*run has done 2, so pass more\. "
                                         r"Received: epochs=2"):
        training.continue_training(training.load_run(out), tiny_dataset(), out, epochs=2)
    assert not os.path.exists(os.path.join(out, "backup"))  # still a finished run
    gan = training.load_run(out)
    history = training.continue_training(gan, tiny_dataset(), out, epochs=3, verbose=0,
                                         grid_every=1)
    assert len(history.history["g_loss"]) == 1 and int(gan.g_optimizer.iterations) == 6
    assert_weights_close(weights_of(gan), weights_of(reference), atol=1e-6)
    with open(os.path.join(out, "history.json")) as handle:
        assert json.load(handle)["epoch"] == [1, 2, 3]
    assert os.path.exists(os.path.join(out, "samples", "epoch_0003.png"))
    assert not os.path.exists(os.path.join(out, "backup"))
    assert training.epochs_done(out) == 3
    assert_weights_close(weights_of(training.load_run(out)), weights_of(reference), atol=1e-6)


def test_train_and_finetune_continue_a_finished_run(tmp_path, capsys):
    from keras_gen import transfer

    out = tmp_path / "run"
    command = ["train", "dcgan", "--out", str(out), *TINY_TRAIN]
    assert main([*command, "--epochs", "1"]) == 0
    assert main([*command, "--epochs", "2", "--continue", "--overwrite"]) == 2
    assert ("--continue trains the run in --out on and --overwrite starts it afresh: pass one "
            "of them.") in capsys.readouterr().err
    assert main([*command, "--epochs", "2", "--continue"]) == 0
    assert "on from epoch 1 to 2" in capsys.readouterr().out
    with open(out / "history.json") as handle:
        assert json.load(handle)["epoch"] == [1, 2]
    assert (out / "samples" / "epoch_0002.png").exists()

    tuned = tmp_path / "tuned"
    finetune = ["finetune", "dcgan_mnist", "--dataset", "digits", "--limit", "64", "--out",
                str(tuned), "--freeze-d", "1", "--ada"]
    capsys.readouterr()
    assert main([*finetune, "--epochs", "1"]) == 0
    assert "\nFrozen (not trained): discriminator/block_0\n" in capsys.readouterr().out
    assert main([*finetune, "--epochs", "2", "--continue"]) == 0
    with open(tuned / "history.json") as handle:
        history = json.load(handle)
    assert history["epoch"] == [1, 2] and len(history["ada_p"]) == 2
    model = keras.models.load_model(tuned / "model.keras")
    frozen = {row["layer"] for row in transfer.trainable_summary(model.discriminator)
              if not row["trainable"]}
    assert frozen == {"block_0"}  # FreezeD carried on, from the run's own model.keras
    # A model saved with frozen blocks fine-tunes with them frozen; it said nothing of it, and
    # only Python could unfreeze them.
    again = ["finetune", str(tuned / "model.keras"), "--dataset", "digits", "--limit", "64",
             "--epochs", "1"]
    assert main([*again, "--out", str(tmp_path / "again")]) == 0
    output = capsys.readouterr().out
    assert (f"\nFrozen (not trained): discriminator/block_0 (as {tuned / 'model.keras'} was "
            "saved; --unfreeze trains them)\n") in output
    # So did ADA, with its p carried on; only Python's set_augment(None) could remove it.
    p = float(model.augment.p.numpy())
    assert (f"\nAugmented: ADA, p = {p:.3f} (as {tuned / 'model.keras'} was saved; --no-augment "
            "trains without it)\n") in output
    assert main([*again, "--out", str(tmp_path / "unfrozen"), "--unfreeze", "--no-augment"]) == 0
    output = capsys.readouterr().out
    assert "Frozen" not in output and "Augmented" not in output
    model = keras.models.load_model(tmp_path / "unfrozen" / "model.keras")
    assert transfer.frozen_layers(model) == [] and model.augment is None
    with open(tmp_path / "unfrozen" / "history.json") as handle:
        assert "ada_p" not in json.load(handle)


def test_the_augmented_line_names_the_saved_augmentation():
    from keras_gen.commands.fitting import augmented_line
    from keras_gen.transfer import AdaptiveAugment, DiffAugment

    assert augmented_line(None, "m.keras") is None
    assert augmented_line(AdaptiveAugment(initial_p=0.25), "m.keras") == (
        "Augmented: ADA, p = 0.250 (as m.keras was saved; --no-augment trains without it)")
    assert augmented_line(DiffAugment(policy=("color", "cutout")), "runs/x") == (
        "Augmented: DiffAugment with color, cutout (as runs/x was saved; --no-augment trains "
        "without it)")


def test_the_frozen_line_names_what_unfreeze_would_train():
    from keras_gen.commands.fitting import frozen_line

    assert frozen_line([], [], "m.keras", 0) is None
    assert frozen_line(["d/block_0"], [], "dcgan_mnist", 1) == "Frozen (not trained): d/block_0"
    assert frozen_line(["d/block_0"], ["d/block_0"], "m.keras", 0) == (
        "Frozen (not trained): d/block_0 (as m.keras was saved; --unfreeze trains them)")
    # Saved with block_2 frozen, fine-tuned with --freeze-d 2: --unfreeze would train block_2
    # only, and the line said "--unfreeze trains them" of block_0 and block_1 too.
    assert frozen_line(["d/block_0", "d/block_1", "d/block_2"], ["d/block_0", "d/block_2"],
                       "m.keras", 2) == (
        "Frozen (not trained): d/block_0, d/block_1, d/block_2 (d/block_0, d/block_2 as m.keras "
        "was saved; --unfreeze trains those that --freeze-d does not freeze)")


def test_continue_trains_on_the_run_s_own_data_unless_told_otherwise(tmp_path, capsys):
    # --continue without the run's --dataset trained it on, silently, on the embedded digits
    # (1,437 images in batches of 64: 22 steps an epoch where the run took 3).
    images = np.random.default_rng(0).integers(0, 256, (48, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "own.npz", x_train=images, y_train=np.zeros(48, np.int64))
    out = tmp_path / "run"
    command = ["train", "dcgan", "--out", str(out), "--width", "4", "--latent-dim", "8",
               "--grid-every", "1", "--checkpoint-every", "1"]

    def steps():
        model = keras.models.load_model(out / "model.keras")
        return int(model.g_optimizer.iterations)

    assert main([*command, "--epochs", "1", "--dataset", str(tmp_path / "own.npz"),
                 "--batch-size", "16", "--seed", "3"]) == 0
    assert steps() == 3  # 48 images in batches of 16
    capsys.readouterr()
    assert main([*command, "--epochs", "2", "--continue"]) == 0
    assert steps() == 6
    assert capsys.readouterr().out.startswith(
        f"Data options of the run in {out} ({out / 'data_options.json'}): --dataset "
        f"{tmp_path / 'own.npz'} --batch-size 16 --seed 3; pass any of --dataset, --split, "
        "--limit, --batch-size and --seed to change it.\n")
    # One given replaces the run's, and is the run's from then on.
    assert main([*command, "--epochs", "3", "--continue", "--limit", "32"]) == 0
    assert steps() == 8
    assert ("; given here: --limit 32 (the run's: all images)."
            in capsys.readouterr().out.splitlines()[0])
    assert main([*command, "--epochs", "4", "--continue"]) == 0
    assert steps() == 10
    with open(out / "history.json") as handle:
        assert json.load(handle)["epoch"] == [1, 2, 3, 4]
