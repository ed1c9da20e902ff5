"""keras-gen train over a run that was interrupted: resumed from its backup, and only into
the same model and data."""

import json
import os

import keras
import numpy as np
import pytest

from keras_gen import training
from keras_gen.cli import main
from keras_gen.utils import dtype_policy
from tests.helpers import TINY_TRAIN, tiny_gan


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
