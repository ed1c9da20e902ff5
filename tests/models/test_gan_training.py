"""GAN training under tf.distribute, mixed precision and Keras callbacks."""

import json
import os
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.callbacks import FiniteModelCheckpoint
from tests.helpers import (assert_weights_close, batch_norm_layers, tiny_dataset, tiny_gan,
                           weights_of)


def _two_step_weights(strategy, **kwargs):
    with strategy.scope():
        # Fresh optimizers per run, created in the strategy's scope.
        gan = tiny_gan(g_optimizer=keras.optimizers.SGD(0.05),
                       d_optimizer=keras.optimizers.SGD(0.05), **kwargs)
    gan.fit(tiny_dataset(count=16, batch_size=8), epochs=1, verbose=0)
    return gan


@pytest.mark.parametrize("loss, d_norm", [("non_saturating", "batch"), ("wasserstein", None)])
def test_mirrored_strategy_matches_one_device(loss, d_norm, mirrored_strategy):
    # With batch norm: compile() gives it the global batch's statistics under the strategy
    # (Keras' per-replica default left the weights up to 0.06 apart after these two steps).
    kwargs = dict(g_norm="batch", d_norm=d_norm, loss=loss, ema_decay=0.9)
    mirrored = _two_step_weights(mirrored_strategy, **kwargs)
    single = _two_step_weights(tf.distribute.get_strategy(), **kwargs)
    assert all(layer.synchronized for layer in batch_norm_layers(mirrored))
    assert not any(layer.synchronized for layer in batch_norm_layers(single))  # numerics kept
    assert mirrored.g_optimizer.iterations.numpy() == single.g_optimizer.iterations.numpy() == 2
    for part in ("generator", "discriminator", "ema_generator"):
        assert_weights_close(weights_of(getattr(mirrored, part)),
                             weights_of(getattr(single, part)), atol=1e-5)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_without_nan(policy):
    keras.config.set_dtype_policy(policy)
    try:
        gan = tiny_gan(loss="wasserstein", d_norm=None)
        logs = gan.fit(tiny_dataset(count=24, batch_size=8), epochs=2, verbose=0).history
    finally:
        keras.config.set_dtype_policy("float32")
    assert all(np.all(np.isfinite(values)) for values in logs.values())
    scaled = isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled == (policy == "mixed_float16")
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer) == scaled
    assert gan.generate(2, seed=0).dtype == np.float32
    assert gan.generator.layers[-1].compute_dtype == "float32"  # tanh output in float32


def test_spectral_norm_under_mixed_float16_estimates_sigma_in_float32():
    # Keras' SpectralNormalization ran its power iteration in float16, where the 1 / epsilon
    # clamp of its normalize() overflows: "RuntimeWarning: overflow encountered in cast".
    keras.config.set_dtype_policy("mixed_float16")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gan = tiny_gan(d_norm="spectral")
            logs = gan.fit(tiny_dataset(count=16, batch_size=8), verbose=0).history
    finally:
        keras.config.set_dtype_policy("float32")
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []
    assert all(np.all(np.isfinite(values)) for values in logs.values())
    block = gan.discriminator.get_layer("block_1")
    wrapper = next(layer for layer in block.layers if layer.name.endswith("_sn"))
    assert wrapper.compute_dtype == "float32" and wrapper.layer.compute_dtype == "float16"


class _StopAt(keras.callbacks.Callback):
    """Simulates a crash: raises at a given epoch and batch."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            raise RuntimeError("simulated crash")


def test_backup_and_restore_resumes_exactly(tmp_path):
    dataset = tiny_dataset(count=16, batch_size=8)
    reference = tiny_gan()
    reference.fit(dataset, epochs=3, verbose=0)

    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    crashed = tiny_gan()
    with pytest.raises(RuntimeError, match="simulated crash"):
        crashed.fit(dataset, epochs=3, verbose=0, callbacks=[backup, _StopAt(2, 1)])
    resumed = tiny_gan()  # a fresh process would rebuild the model like this
    resumed.fit(dataset, epochs=3, verbose=0, callbacks=[backup])
    # Optimizer state, EMA and noise counters came back: same result as no crash.
    assert int(resumed.g_optimizer.iterations) == int(reference.g_optimizer.iterations) == 6
    assert_weights_close(weights_of(resumed), weights_of(reference), atol=1e-6)
    assert_weights_close([np.array(v) for v in resumed.d_optimizer.variables],
                         [np.array(v) for v in reference.d_optimizer.variables], atol=1e-6)


def test_keras_callbacks_work_together(tmp_path):
    gan = tiny_gan()
    callbacks = [
        keras.callbacks.ModelCheckpoint(str(tmp_path / "ckpt_{epoch}.keras")),
        keras.callbacks.TensorBoard(str(tmp_path / "tb")),
        keras.callbacks.EarlyStopping(monitor="g_loss", patience=0, mode="min"),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.CSVLogger(str(tmp_path / "log.csv")),
    ]
    history = gan.fit(tiny_dataset(), epochs=2, verbose=0, callbacks=callbacks)
    assert os.path.exists(tmp_path / "ckpt_1.keras")
    assert any(name.startswith("events") for _, _, files in os.walk(tmp_path / "tb")
               for name in files)
    assert len(history.history["g_loss"]) in (1, 2)  # EarlyStopping may stop after 1
    with open(tmp_path / "log.csv") as handle:
        assert handle.readline().strip().split(",")[0] == "epoch"


class _Explode(keras.callbacks.Callback):
    """Makes the discriminator diverge from a given epoch on."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            for variable in self.model.discriminator.trainable_weights:
                variable.assign(variable * np.float32(np.inf))


def test_nan_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    gan = tiny_gan()
    path = tmp_path / "last.keras"
    checkpoint = FiniteModelCheckpoint(str(path))
    history = gan.fit(tiny_dataset(), epochs=5, verbose=0,
                      callbacks=[_Explode(epoch=1), keras.callbacks.TerminateOnNaN(), checkpoint])
    assert len(history.history["loss"]) == 2  # stopped in the second epoch
    assert not np.isfinite(history.history["loss"][-1])
    assert checkpoint.skipped_epochs == [2]
    good = keras.models.load_model(path)
    assert int(good.g_optimizer.iterations) == 2  # the state after epoch 1
    assert all(np.all(np.isfinite(w)) for w in weights_of(good))
    assert [p for p in os.listdir(tmp_path) if p.startswith(".tmp")] == []


def test_checkpoints_and_backups_every_few_epochs_come_after_the_epoch(tmp_path):
    # Keras' save_freq=N counts batches: its backup, taken at the last batch of an epoch,
    # recorded the epoch as unfinished, and a resume trained it again.
    from keras_gen.callbacks import EpochBackupAndRestore

    gan = tiny_gan()
    checkpoint = FiniteModelCheckpoint(str(tmp_path / "epoch_{epoch}.keras"), every=2)
    backup = EpochBackupAndRestore(str(tmp_path / "backup"), every=2, delete_checkpoint=False)
    gan.fit(tiny_dataset(), epochs=5, verbose=0, callbacks=[checkpoint, backup])
    assert sorted(name for name in os.listdir(tmp_path) if name.endswith(".keras")) == [
        "epoch_2.keras", "epoch_4.keras"]
    with open(tmp_path / "backup" / "training_metadata.json") as handle:
        assert json.load(handle)["epoch"] == 4  # finished: a resume starts at epoch 5
    assert EpochBackupAndRestore.epochs_done(str(tmp_path / "backup")) == 4
    assert EpochBackupAndRestore.epochs_done(str(tmp_path / "none")) is None
    with pytest.raises(ValueError, match=r"^every must be a positive int\. Received: every=0"):
        EpochBackupAndRestore(str(tmp_path / "b"), every=0)
    with pytest.raises(ValueError, match=r"^backup_dir is the folder the backup is kept in; "
                                         r".*epoch_2\.keras' is a file\. Give a folder"):
        EpochBackupAndRestore(str(tmp_path / "epoch_2.keras"))  # "[Errno 17] File exists"
    with pytest.raises(ValueError, match=r"^EpochBackupAndRestore backs up at the end of every "
                                         r"`every`-th epoch; pass every=N instead of save_freq"):
        EpochBackupAndRestore(str(tmp_path / "b"), save_freq=10)
    with pytest.raises(ValueError, match=r"^every=2 counts epochs and save_freq=10 batches: pass "
                                         r"one of them\.$"):
        FiniteModelCheckpoint(str(tmp_path / "c.keras"), every=2, save_freq=10)
