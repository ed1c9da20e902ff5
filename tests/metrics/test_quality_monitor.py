"""`callbacks.QualityMonitor`: scores a model during `fit`, keeps the best, resumes."""

import json
import os

import keras
import numpy as np
import pytest

from keras_gen import DataError, metrics, networks
from keras_gen.callbacks import QualityMonitor
from keras_gen.models import ConditionalGAN
from keras_gen.utils import sha256_of
from tests.helpers import needs_mnist, tiny_cgan, tiny_dataset, tiny_gan


@needs_mnist
def test_quality_monitor_logs_and_keeps_the_best(tmp_path, reference):
    gan = tiny_gan()
    monitor = QualityMonitor(reference, num_samples=200, every=1,
                             best_path=str(tmp_path / "best.keras"), log_dir=str(tmp_path / "tb"))
    history = gan.fit(tiny_dataset(), epochs=2, verbose=0, callbacks=[monitor]).history
    assert len(history["fid"]) == 2 and min(history["fid"]) == monitor.best_fid
    assert "coverage" in history and os.path.exists(tmp_path / "best.keras")
    record = json.loads((tmp_path / "best.json").read_text())
    assert record["fid"] == monitor.best_fid and record["epoch"] == monitor.best_epoch
    assert record["epoch"] == 1 + history["fid"].index(monitor.best_fid)


@needs_mnist
def test_quality_monitor_scores_a_conditional_models_accuracy(reference):
    # A conditional GAN's monitor reported FID but not the accuracy of its classes.
    cgan = tiny_cgan()
    monitor = QualityMonitor(reference, num_samples=200, every=1, seed=3)
    history = cgan.fit(tiny_dataset(), epochs=1, verbose=0, callbacks=[monitor]).history
    # The samples are 20 per class in blocks, 0 first, scored against those labels.
    requested = np.repeat(np.arange(10), 20)
    expected = metrics.evaluate(cgan.generate(200, labels=requested, seed=3), reference,
                                requested_labels=requested, kid_subsets=10)
    assert history["conditional_accuracy"] == [pytest.approx(expected["conditional_accuracy"])]
    assert history["fid"] == [pytest.approx(expected["fid"])]
    # With other classes than the classifier's, whether a sample shows its class is unknown.
    three = ConditionalGAN(networks.conditional_dcgan_generator((28, 28, 1), 8, 3, 4),
                           networks.projection_discriminator((28, 28, 1), 3, 4), num_classes=3)
    scores = metrics.evaluate_model(three, 30, reference)
    assert "conditional_accuracy" not in scores and scores["num_samples"] == 30


@needs_mnist
def test_quality_monitor_refuses_what_would_fail_at_its_first_score(reference):
    # Each failed when the first score was due, after `every` epochs of training.
    with pytest.raises(ValueError, match=r"num_samples must be an int >= 6 .*num_samples=5"):
        QualityMonitor(reference, num_samples=5)
    with pytest.raises(ValueError, match=r"seed must be an int"):
        QualityMonitor(reference, seed="0")
    # Refused by `save` at the first improvement: after an epoch of training.
    with pytest.raises(ValueError, match=r"^best_path is where the best model is saved, as a "
                                         r"\.keras file; .* Received: best_path='best\.h5'$"):
        QualityMonitor(reference, best_path="best.h5")
    # Raw images were scored in the MNIST classifier's features, extracted again at every score.
    with pytest.raises(TypeError, match=r"takes a keras_gen.metrics.ReferenceStatistics.*"
                                        r"received ndarray"):
        QualityMonitor(np.zeros((10, 28, 28, 1), np.float32))
    colour = tiny_gan(shape=(32, 32, 3))
    with pytest.raises(DataError, match=r"mnist classifier takes images of shape \(28, 28, 1\)"
                                        r".*received \(32, 32, 3\)"):
        colour.fit(tiny_dataset(shape=(32, 32, 3)), epochs=1, verbose=0,
                   callbacks=[QualityMonitor(reference, num_samples=6)])
    assert int(colour.d_optimizer.iterations) == 0


@needs_mnist
def test_quality_monitor_resumed_keeps_the_better_best_model(tmp_path, reference):
    from tests.models.test_gan_training import _StopAt

    best = tmp_path / "best.keras"
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))

    def monitor():  # a new process builds its callbacks anew
        return QualityMonitor(reference, num_samples=100, best_path=str(best))

    with pytest.raises(RuntimeError, match="simulated crash"):
        tiny_gan().fit(tiny_dataset(), epochs=3, verbose=0,
                       callbacks=[backup, monitor(), _StopAt(1, 0)])
    record = json.loads((tmp_path / "best.json").read_text())
    assert record["epoch"] == 1 and record["sha256"] == sha256_of(str(best))
    # Say epoch 1's model had scored far better than the tiny model ever does (FID ~100s).
    best.write_bytes(b"the better model")
    (tmp_path / "best.json").write_text(
        json.dumps({**record, "fid": 0.5, "sha256": sha256_of(str(best))}))
    resumed = monitor()
    history = tiny_gan().fit(tiny_dataset(), epochs=3, verbose=0,
                             callbacks=[backup, resumed]).history
    assert len(history["fid"]) == 2 and min(history["fid"]) > 0.5  # epochs 2 and 3 only
    assert best.read_bytes() == b"the better model"
    assert (resumed.best_fid, resumed.best_epoch) == (0.5, 1)
    # A fit from epoch 0 is a new run: its first score replaces the old best.
    fresh = monitor()
    tiny_gan().fit(tiny_dataset(), epochs=1, verbose=0, callbacks=[fresh])
    assert fresh.best_epoch == 1 and best.read_bytes() != b"the better model"
    assert json.loads((tmp_path / "best.json").read_text())["fid"] == fresh.best_fid


@needs_mnist
def test_quality_monitor_resumed_scores_a_model_its_record_does_not_describe(
        tmp_path, reference):
    from tests.models.test_gan_training import _StopAt

    best, record_path = tmp_path / "best.keras", tmp_path / "best.json"
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))

    def monitor():
        return QualityMonitor(reference, num_samples=100, best_path=str(best))

    with pytest.raises(RuntimeError, match="simulated crash"):
        tiny_gan().fit(tiny_dataset(), epochs=3, verbose=0,
                       callbacks=[backup, monitor(), _StopAt(1, 0)])
    scored = json.loads(record_path.read_text())["fid"]
    # A crash between the model's write and its record's: the record is an older model's.
    record_path.write_text(json.dumps({"epoch": 1, "fid": 0.5, "sha256": "0" * 64}))
    resumed = monitor()
    resumed.set_model(tiny_gan())
    resumed.on_train_begin()
    resumed.on_epoch_begin(1)
    # Scored again from the file: the same samples (seed 0) of the same weights.
    assert resumed.best_fid == pytest.approx(scored, rel=1e-4) and resumed.best_epoch is None
    best.write_bytes(b"not a model")
    broken = monitor()
    broken.set_model(tiny_gan())
    broken.on_train_begin()
    with pytest.raises(ValueError, match="Cannot load .*best.keras to score it.*Move it away"):
        broken.on_epoch_begin(1)
