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
from keras_gen.utils import dtype_policy, make_grid
from tests.helpers import SHARED_DATA, tiny_gan

TINY_TRAIN = ["--width", "4", "--latent-dim", "8", "--limit", "64", "--batch-size", "32",
              "--grid-every", "1", "--checkpoint-every", "1"]


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


def test_interrupted_training_resumes_from_backup(tmp_path):
    from tests.helpers import tiny_dataset
    from tests.models.test_gan_training import _StopAt

    out = str(tmp_path / "run")
    with pytest.raises(RuntimeError, match="simulated crash"):
        training.train(tiny_gan(), tiny_dataset(), out, epochs=3, verbose=0,
                       callbacks=[_StopAt(2, 0)])
    assert os.path.isdir(os.path.join(out, "backup"))
    assert not os.path.exists(os.path.join(out, "model.keras"))
    gan = tiny_gan()
    history = training.train(gan, tiny_dataset(), out, epochs=3, verbose=0)
    assert len(history.history["g_loss"]) == 1  # only the third epoch was left
    assert int(gan.g_optimizer.iterations) == 6
    with open(os.path.join(out, "history.json")) as handle:
        assert json.load(handle)["epoch"] == [1, 2, 3]


def test_a_run_backed_up_every_few_epochs_resumes_after_the_last_backed_up_epoch(tmp_path):
    # Keras' BackupAndRestore(save_freq=N batches) saved at the last batch of epoch 2 but
    # recorded epoch 2 as unfinished: the resumed run trained epoch 2 again (14 steps, not 12).
    from tests.helpers import assert_weights_close, tiny_dataset, weights_of
    from tests.models.test_gan_training import _StopAt

    reference = tiny_gan()
    training.train(reference, tiny_dataset(), str(tmp_path / "whole"), epochs=6,
                   checkpoint_every=2, verbose=0)
    out = str(tmp_path / "run")
    with pytest.raises(RuntimeError, match="simulated crash"):
        training.train(tiny_gan(), tiny_dataset(), out, epochs=6, checkpoint_every=2, verbose=0,
                       callbacks=[_StopAt(3, 1)])  # in epoch 4: epoch 2 was the last backed up
    gan = tiny_gan()
    history = training.train(gan, tiny_dataset(), out, epochs=6, checkpoint_every=2, verbose=0)
    assert len(history.history["g_loss"]) == 4  # epochs 3-6
    assert int(gan.g_optimizer.iterations) == int(reference.g_optimizer.iterations) == 12
    assert_weights_close(weights_of(gan), weights_of(reference), atol=1e-6)
    checkpoint = keras.models.load_model(os.path.join(out, "checkpoints", "last.keras"))
    assert int(checkpoint.g_optimizer.iterations) == 12  # written after epoch 6


def test_an_interrupted_run_resumes_only_to_at_least_the_epochs_it_has_done(tmp_path):
    # Asked for 3 epochs, it "resumed" a run with 4 done: trained none and wrote those 4 as
    # model.keras, without a word.
    from tests.helpers import tiny_dataset
    from tests.models.test_gan_training import _StopAt

    out = str(tmp_path / "run")
    with pytest.raises(RuntimeError, match="simulated crash"):
        training.train(tiny_gan(), tiny_dataset(), out, epochs=6, verbose=0,
                       callbacks=[_StopAt(4, 0)])
    with pytest.raises(ValueError, match=rf"^{out} holds an interrupted run that has trained 4 "
                                         r"epochs \(its backup\), more than epochs=3: pass "
                                         r"epochs >= 4 \(--epochs\) to resume it, or "
                                         r"overwrite=True \(--overwrite\) to start afresh\.$"):
        training.train(tiny_gan(), tiny_dataset(), out, epochs=3, verbose=0)
    assert not os.path.exists(os.path.join(out, "model.keras"))
    gan = tiny_gan()
    training.train(gan, tiny_dataset(), out, epochs=4, verbose=0)  # done: it is written as is
    assert int(gan.g_optimizer.iterations) == 8
    assert os.path.isfile(os.path.join(out, "model.keras"))


def test_ctrl_c_ends_train_with_one_line_and_the_command_resumes(tmp_path, capsys, monkeypatch):
    # Ctrl-C printed Keras' whole KeyboardInterrupt traceback.
    import keras

    class CtrlC(keras.callbacks.Callback):
        """Presses Ctrl-C as the second epoch starts; counts the epochs begun."""

        def __init__(self, press):
            super().__init__()
            self.press, self.begun = press, []

        def on_epoch_begin(self, epoch, logs=None):
            self.begun.append(epoch)
            if self.press and epoch == 1:
                raise KeyboardInterrupt

    def train_with(callback):
        train = training.train
        monkeypatch.setattr(training, "train", lambda *args, callbacks=(), **kwargs: train(
            *args, callbacks=[*callbacks, callback], **kwargs))

    command = ["train", "dcgan", "--epochs", "2", "--out", str(tmp_path / "run"), *TINY_TRAIN]
    train_with(CtrlC(press=True))
    assert main(command) == 130
    assert capsys.readouterr().err == ("keras-gen train: interrupted. Run the same command again "
                                       "to resume from its last backup (taken every "
                                       "--checkpoint-every epochs).\n")
    monkeypatch.undo()
    train_with(resumed := CtrlC(press=False))
    assert main(command) == 0
    assert resumed.begun == [1]  # only the second epoch was left
    # Said, not only shown by the progress bar starting at epoch 2.
    assert capsys.readouterr().out.startswith(
        f"Resuming the interrupted run in {tmp_path / 'run'} from its backup after epoch 1 (of "
        "2); --overwrite (overwrite=True) starts afresh instead.\n")
    with open(tmp_path / "run" / "history.json") as handle:
        assert json.load(handle)["epoch"] == [1, 2]


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
    assert json.loads((out / "history.json").read_text())["epoch"] == [1, 2, 3, 4]


def test_an_interrupted_run_does_not_resume_into_another_model(tmp_path):
    # BackupAndRestore loaded the backup into whatever trained next: another width failed with
    # "A total of 20 objects could not be loaded" after a page of warnings, and layers frozen
    # since skipped the optimizer state with one warning and trained on.
    from keras_gen import transfer
    from tests.helpers import tiny_dataset
    from tests.models.test_gan_training import _StopAt
    from tests.models.test_vae import tiny_vae

    out = str(tmp_path / "run")
    with pytest.raises(RuntimeError, match="simulated crash"):
        training.train(tiny_gan(), tiny_dataset(), out, epochs=3, verbose=0,
                       callbacks=[_StopAt(2, 0)])
    backup = {name: open(os.path.join(out, "backup", name), "rb").read()
              for name in os.listdir(os.path.join(out, "backup"))}
    frozen = tiny_gan()
    transfer.freeze(frozen.discriminator, up_to="block_0")
    frozen.compile()
    with dtype_policy("mixed_bfloat16"):  # --precision: same weights, other optimizer state
        bfloat16 = tiny_gan()
    # The generator's stem maps z (8) to 7x7 maps of 4 * width channels: 784 at width 4.
    for model, difference in [
            (tiny_gan(width=8), r"its stem/stem_dense/kernel was \(8, 784\), here \(8, 1568\)"),
            (frozen, r"its block_0/conv_sn/conv/kernel was trained, here frozen"),
            (bfloat16, r"it trained in float32, this one in mixed_bfloat16 \(--precision\)"),
            (tiny_vae(), r"it trained a GAN, this is a VAE")]:
        with pytest.raises(FileExistsError, match=(
                rf"run holds an interrupted run of another model \({difference}\), which cannot "
                r"resume into this one\. Run the command that started it to resume it, pass "
                r"another output folder \(--out\), or overwrite=True \(--overwrite\)")):
            training.train(model, tiny_dataset(), out, epochs=3, verbose=0)
    assert backup == {name: open(os.path.join(out, "backup", name), "rb").read()
                      for name in os.listdir(os.path.join(out, "backup"))}
    # The same model resumes (the third epoch only), from a layout written before the policy
    # was recorded too; overwrite=True starts afresh instead.
    layout_file = os.path.join(out, "checkpoints", "weights_layout.json")
    with open(layout_file) as handle:
        layout = json.load(handle)
    assert layout.pop("dtype_policy") == "float32"
    with open(layout_file, "w") as handle:
        json.dump(layout, handle)
    assert len(training.train(tiny_gan(), tiny_dataset(), out, epochs=3,
                              verbose=0).history["g_loss"]) == 1
    with pytest.raises(RuntimeError, match="simulated crash"):
        training.train(tiny_gan(), tiny_dataset(), out, epochs=3, verbose=0, overwrite=True,
                       callbacks=[_StopAt(2, 0)])
    wider = tiny_gan(width=8)
    assert len(training.train(wider, tiny_dataset(), out, epochs=3, verbose=0,
                              overwrite=True).history["g_loss"]) == 3
    assert int(wider.g_optimizer.iterations) == 6
    with open(os.path.join(out, "history.json")) as handle:
        assert json.load(handle)["epoch"] == [1, 2, 3]


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


def test_an_interrupted_continuation_resumes_and_nothing_else_trains_into_it(tmp_path):
    from tests.helpers import assert_weights_close, tiny_dataset, weights_of
    from tests.models.test_gan_training import _StopAt

    reference = tiny_gan()
    training.train(reference, tiny_dataset(), str(tmp_path / "reference"), epochs=3, verbose=0)
    out = str(tmp_path / "run")
    training.train(tiny_gan(), tiny_dataset(), out, epochs=1, verbose=0)
    with pytest.raises(RuntimeError, match="simulated crash"):  # after epoch 2, backed up
        training.continue_training(training.load_run(out), tiny_dataset(), out, epochs=3,
                                   verbose=0, callbacks=[_StopAt(2, 0)])
    # A fresh model from epoch 0 would pass for the continued one.
    with pytest.raises(FileExistsError, match=r"run holds an interrupted continuation of a "
                                              r"finished run \(from epoch 1\)\. Continue it "
                                              r"again \(continue_training, or --continue\)"):
        training.train(tiny_gan(), tiny_dataset(), out, epochs=3, verbose=0)
    assert training.epochs_done(out) == 1  # what model.keras holds, not what history.json has
    gan = training.load_run(out)
    history = training.continue_training(gan, tiny_dataset(), out, epochs=3, verbose=0)
    assert len(history.history["g_loss"]) == 1  # only the third epoch was left
    assert_weights_close(weights_of(gan), weights_of(reference), atol=1e-6)
    with open(os.path.join(out, "history.json")) as handle:
        assert json.load(handle)["epoch"] == [1, 2, 3]


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


def test_an_interrupted_run_resumes_on_its_own_data(tmp_path, capsys, monkeypatch):
    # "Run the same command again": run without its --dataset, it resumed on the digits.
    class CtrlC(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    images = np.random.default_rng(0).integers(0, 256, (48, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "own.npz", x_train=images, y_train=np.zeros(48, np.int64))
    out = tmp_path / "run"
    command = ["train", "dcgan", "--out", str(out), "--epochs", "2", "--width", "4",
               "--latent-dim", "8", "--checkpoint-every", "1"]
    train = training.train
    monkeypatch.setattr(training, "train", lambda *args, callbacks=(), **kwargs: train(
        *args, callbacks=[*callbacks, CtrlC()], **kwargs))
    assert main([*command, "--dataset", str(tmp_path / "own.npz"), "--batch-size", "16"]) == 130
    monkeypatch.undo()
    capsys.readouterr()
    assert main(command) == 0
    assert f"--dataset {tmp_path / 'own.npz'} --batch-size 16" in capsys.readouterr().out
    model = keras.models.load_model(out / "model.keras")
    assert int(model.g_optimizer.iterations) == 6  # 3 steps an epoch, not 22


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


@pytest.mark.skipif(not os.path.isdir(os.path.join(SHARED_DATA, "fashion_mnist")),
                    reason="../shared/data is not beside this checkout")
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
