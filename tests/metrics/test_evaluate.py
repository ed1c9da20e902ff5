"""Feature extractors, evaluate(), QualityMonitor and `keras-gen evaluate` on real MNIST."""

import hashlib
import importlib
import json
import os
import pathlib
import re
import shutil
import warnings

import keras
import numpy as np
import pytest

from keras_gen import DataError, data, metrics, networks
from keras_gen.callbacks import QualityMonitor
from keras_gen.cli import main
from keras_gen.data.transforms import to_unit_range
from keras_gen.metrics import features as features_module
from keras_gen.metrics import scores as scores_module
from keras_gen.models import ConditionalGAN
from keras_gen.utils import sha256_of
from tests.helpers import SHARED_DATA, tiny_cgan, tiny_dataset, tiny_gan, write_png_folder

MNIST = os.path.join(SHARED_DATA, "mnist")
needs_mnist = pytest.mark.skipif(not os.path.isdir(MNIST),
                                 reason="../shared/data/mnist is not beside this checkout")


def _real(split, count, offset=0):
    images, labels = data.load_arrays(MNIST, split=split)
    return to_unit_range(images[offset:offset + count]).numpy(), labels[offset:offset + count]


@pytest.fixture(scope="module")
def reference():
    images, labels = _real("test", 2000)
    return metrics.ReferenceStatistics(images, domain="mnist", labels=labels)


def test_shipped_classifiers_match_their_records():
    index = metrics.classifier_index()
    assert index["mnist"]["test_accuracy"] >= 0.99
    assert index["fashion_mnist"]["test_accuracy"] >= 0.90
    assert index["digits"]["test_accuracy"] >= 0.98
    for entry in index.values():
        with open(os.path.join(features_module.CLASSIFIERS_DIR, entry["file"]), "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == entry["sha256"]


@needs_mnist
def test_mnist_classifier_accuracy_on_test_images(reference):
    _, labels = _real("test", 2000)
    assert np.mean(reference.logits.argmax(1) == labels) >= 0.98


def test_digits_classifier_accuracy_on_the_bundled_test_split():
    images, labels = data.load_arrays("digits", split="test")  # 360 scans, bundled: no download
    _, logits = metrics.DomainFeatures("digits")(to_unit_range(images).numpy())
    assert np.mean(logits.argmax(1) == labels) >= 0.98


def test_greyscale_images_of_another_size_are_resized_for_the_classifier():
    # A model trained at 32x32 could not be scored: "Resize/convert them first", which a
    # `keras-gen evaluate` user cannot do. Area averaging takes a 2x copy back to the original.
    images, _ = data.load_arrays("digits", split="test")
    images = to_unit_range(images[:50]).numpy()
    doubled = images.repeat(2, axis=1).repeat(2, axis=2)  # (50, 56, 56, 1), each pixel 2x2
    extractor = metrics.DomainFeatures("digits")
    for original, resized in zip(extractor(images), extractor(doubled)):
        np.testing.assert_allclose(resized, original, rtol=1e-4, atol=1e-4)
    with pytest.raises(DataError, match=r"digits classifier takes images of shape \(28, 28, 1\)"
                                        r".*received \(56, 56, 3\).*domain='inception'"):
        extractor(doubled.repeat(3, axis=-1))
    # One image was "received (28, 1)"; an empty batch an UnboundLocalError in Keras' predict.
    # Each is told the fix its shape needs: images[None] was suggested for all, and for a batch
    # without its channel axis (keras.datasets.mnist's (N, 28, 28)) it makes (1, N, 28, 28).
    for batch, fix in ((images[0], " For one image pass images[None]."), (images[:0], ""),
                       (images[..., 0], " For greyscale images without their channel axis pass "
                                        "images[..., None]."),
                       (images[0, ..., 0],
                        " For one greyscale image pass images[None, ..., None].")):
        with pytest.raises(DataError, match=r"^The digits classifier takes a batch of images "
                                            r"\(N, height, width, channels\) with N >= 1; "
                                            rf"received shape {re.escape(str(batch.shape))}\."
                                            rf"{re.escape(fix)}$"):
            extractor(batch)
    features, _ = extractor(images[..., 0][..., None])  # the fix, followed
    assert features.shape == (50, 128)
    with pytest.raises(ValueError, match=r"^batch_size must be a positive int"):
        metrics.DomainFeatures("digits", batch_size=0)  # failed at the first call


@needs_mnist
def test_real_against_real_is_near_zero_with_full_coverage(reference):
    train_images, _ = _real("train", 2000)
    scores = metrics.evaluate(train_images, reference)
    assert scores["fid"] < 1.0 and abs(scores["kid"]) < 0.01
    # k-NN manifolds of 2,000 points (k=3) miss some real points: ~0.86-0.91 here.
    assert scores["coverage"] > 0.9 and scores["precision"] > 0.8 and scores["recall"] > 0.8
    assert scores["classes_covered"] == 10 and scores["class_kl"] < 0.01
    assert scores["inception_score"] > 8.0


@needs_mnist
def test_rankings_of_good_collapsed_and_noisy_sets(reference):
    good, _ = _real("train", 1000)
    collapsed = np.repeat(good[:5], 200, axis=0)
    noisy = np.clip(good + np.random.default_rng(0).normal(0, 0.6, good.shape), -1, 1)
    scores = {name: metrics.evaluate(images.astype(np.float32), reference)
              for name, images in (("good", good), ("collapsed", collapsed), ("noisy", noisy))}
    assert scores["good"]["fid"] < scores["noisy"]["fid"]
    assert scores["good"]["fid"] < scores["collapsed"]["fid"]
    assert scores["collapsed"]["recall"] < 0.2 and scores["collapsed"]["coverage"] < 0.2
    assert scores["collapsed"]["classes_covered"] <= 5
    assert scores["noisy"]["precision"] < scores["good"]["precision"]


@needs_mnist
def test_reference_radii_are_computed_once_and_score_as_computed_afresh(reference, monkeypatch):
    images, _ = _real("train", 500)
    features, _ = reference.extractor(images)
    scores = metrics.evaluate(images, reference)
    precision, recall = metrics.precision_recall(reference.features, features, k=3)
    density, coverage = metrics.density_coverage(reference.features, features, k=5)
    assert (scores["precision"], scores["recall"], scores["density"], scores["coverage"]) == (
        precision, recall, density, coverage)
    assert not reference.neighbour_radii(3).flags.writeable  # shared, so not to be changed

    sizes, compute = [], scores_module.kth_neighbour_radii  # sizes of the sets from here on

    def recording(points, k):
        sizes.append(len(points))
        return compute(points, k)

    # keras_gen.metrics.evaluate is the function; the modules are reached by name.
    for module in ("keras_gen.metrics.evaluate", "keras_gen.metrics.scores"):
        monkeypatch.setattr(importlib.import_module(module), "kth_neighbour_radii", recording)
    assert metrics.evaluate(images, reference)["coverage"] == coverage
    assert sizes == [500]  # the generated set's own radii (for recall); the reference's are kept


def test_a_damaged_classifier_file_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "classifiers"
    shutil.copytree(features_module.CLASSIFIERS_DIR, copy)
    with open(copy / "mnist.weights.h5", "r+b") as handle:
        handle.seek(1000)
        handle.write(b"\0\1\2\3")
    monkeypatch.setattr(features_module, "CLASSIFIERS_DIR", str(copy))
    with pytest.raises(DataError, match="do not match their recorded sha256"):
        metrics.DomainFeatures("mnist")
    with pytest.raises(DataError, match="known: \\['digits', 'fashion_mnist', 'mnist'\\]"):
        metrics.DomainFeatures("cifar10")


def test_images_outside_the_model_range_are_refused_not_scored():
    # 0-255 images scored FID ~1.5 million and NaN ones 766, without a word; now neither scores.
    images, labels = data.load_arrays("digits", split="test")
    reference = metrics.ReferenceStatistics(to_unit_range(images).numpy(), "digits", labels)
    with pytest.raises(DataError, match=r"^evaluate takes float images in \[-1, 1\]; "
                                        r"received uint8 values\. Scale 0-255"):
        metrics.evaluate(images, reference)
    with pytest.raises(DataError, match="received values from 0 to 255"):
        metrics.evaluate(images.astype(np.float32), reference)
    with pytest.raises(DataError, match="NaN or infinite"):
        metrics.evaluate(np.full((6, 28, 28, 1), np.nan, np.float32), reference)
    with pytest.raises(DataError, match="received uint8"):
        metrics.ReferenceStatistics(images, "digits", labels)


def test_a_path_or_none_in_place_of_images_is_refused_with_how_to_load_them():
    # keras-gen evaluate --dataset takes a path; evaluate(samples, path) failed with "could not
    # convert string to float" (or, for a Path or None, "has no len()"), and a two-letter str
    # of samples was "2 generated images".
    images = np.zeros((8, 28, 28, 1), np.float32)
    how = (r"not a path; received {}\. Load them first: images, labels = "
           r"keras_gen\.data\.load_arrays\(path\), then images / 127\.5 - 1\.$")
    for path, shown in (("../shared/data/mnist", r"'\.\./shared/data/mnist'"),
                        (pathlib.Path("mnist"), r"PosixPath\('mnist'\)")):
        with pytest.raises(DataError, match=r"^evaluate's reference takes float images in "
                                            r"\[-1, 1\], " + how.format(shown)):
            metrics.evaluate(images, path, domain="digits")
        with pytest.raises(DataError, match=r"^The digits classifier takes float images in "
                                            r"\[-1, 1\], " + how.format(shown)):
            metrics.ReferenceStatistics(path, "digits")
    with pytest.raises(DataError, match=r"^evaluate takes float images in \[-1, 1\], not a path; "
                                        r"received '/x'"):
        metrics.evaluate("/x", images, domain="digits")
    with pytest.raises(DataError, match=r"^evaluate takes float images in \[-1, 1\]; received "
                                        r"None\.$"):
        metrics.evaluate(None, images, domain="digits")


def test_inception_downloads_keras_imagenet_weights_or_takes_a_local_file(tmp_path,
                                                                          monkeypatch):
    # Online users get Keras' own download (it was refused: "not bundled and cannot be
    # downloaded"). Exercised offline: Keras' fetch is replaced by one that fails as a machine
    # without network does, with an empty cache, so nothing is downloaded here.
    import urllib.error

    from keras.src.backend import config
    from keras.src.utils import file_utils

    fetched = []

    def offline(origin, target, *args):
        fetched.append(origin)
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(config, "keras_home", lambda: str(tmp_path / "keras_home"))
    monkeypatch.setattr(file_utils, "urlretrieve", offline)
    for make in (metrics.InceptionFeatures, lambda: metrics.get_extractor("inception")):
        with pytest.raises(DataError, match=r"^Could not download InceptionV3's ImageNet weights "
                                            r"\(URL fetch failure on .*Name or service not known"
                                            r"\)\. Keras downloads .* --inception-weights"):
            make()
    assert fetched == 2 * ["https://storage.googleapis.com/tensorflow/keras-applications/"
                           "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"]
    with pytest.raises(DataError, match=r"^No InceptionV3 weights file at '.*missing\.h5'"):
        metrics.InceptionFeatures(weights=str(tmp_path / "missing.h5"))
    # The local path, with randomly initialised weights saved to a file.
    path = str(tmp_path / "inception_notop.weights.h5")
    keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg",
                                   input_shape=(299, 299, 3)).save_weights(path)
    extractor = metrics.InceptionFeatures(weights=path)
    features, logits = extractor(np.zeros((2, 28, 28, 1), np.float32))
    assert features.shape == (2, 2048) and logits is None
    # Its cached features are keyed by the file's content, not its name.
    assert extractor.identity == f"InceptionV3 {sha256_of(path)}"


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


def test_a_reference_scaled_to_zero_one_is_warned_about():
    # Test images / 255 (Keras' usual scaling) scored every model as far off, without a word.
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
    with pytest.warns(UserWarning, match=r"^ReferenceStatistics: every image value is in "
                                         r"\[0, 1\].*brighter than its own\. Scale .*\* 2 - 1"
                      ) as caught:
        metrics.ReferenceStatistics(images * 0.5 + 0.5, "mnist")
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*every image value")
        metrics.ReferenceStatistics(images, "mnist")
        # 0-255 pixels are refused as such, not warned about as [0, 1] ones.
        with pytest.raises(DataError, match="received uint8 values"):
            metrics.ReferenceStatistics(np.full((8, 28, 28, 1), 200, np.uint8), "mnist")


def test_generated_images_scaled_to_zero_one_are_warned_about():
    # Samples turned to [0, 1] for display scored FID ~500 against MNIST's test split, silently.
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
    reference = metrics.ReferenceStatistics(images, "mnist")
    with pytest.warns(UserWarning, match=r"^metrics\.evaluate: every image value is in \[0, 1\]"
                                         r".*they score as far from the reference\. Scale "
                      ) as caught:
        metrics.evaluate(images * 0.5 + 0.5, reference)
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*every image value")
        metrics.evaluate(images, reference)


def test_evaluate_needs_k_plus_three_images_on_each_side():
    # Five images used to fail deep inside with "k must be an int in [1, min(N, M)). Received: k=5".
    reference = metrics.ReferenceStatistics(np.zeros((6, 28, 28, 1), np.float32), "mnist")
    assert metrics.evaluate(np.zeros((6, 28, 28, 1), np.float32), reference)["num_samples"] == 6
    with pytest.raises(ValueError, match=r"at least 6 generated images .*k=3\); received 5"):
        metrics.evaluate(np.zeros((5, 28, 28, 1), np.float32), reference)
    with pytest.raises(ValueError, match=r"at least 4 reference images .*k=1\); received 3"):
        metrics.evaluate(np.zeros((4, 28, 28, 1), np.float32),
                         np.zeros((3, 28, 28, 1), np.float32), k=1)


def test_kid_subsets_and_reference_labels_that_cannot_score_are_refused():
    # kid_subsets=0 gave a KID of NaN, and 10 labels for 6 images a class balance of those 10.
    images = np.zeros((6, 28, 28, 1), np.float32)
    with pytest.raises(ValueError, match=r"^kid_subsets must be a positive int\. Received: "
                                         r"kid_subsets=0$"):
        metrics.evaluate(images, images, kid_subsets=0)
    with pytest.raises(ValueError, match=r"^num_subsets must be a positive int"):
        metrics.kernel_inception_distance(np.eye(4), np.eye(4), num_subsets=0)
    with pytest.raises(ValueError, match=r"^labels must hold one class per reference image: "
                                         r"received 10 labels for 6 images\.$"):
        metrics.evaluate(images, images, reference_labels=np.arange(10))
    # Beside statistics, which hold their own, reference_labels were ignored.
    statistics = metrics.ReferenceStatistics(images, "mnist")
    with pytest.raises(ValueError, match=r"^reference_labels and inception_weights belong to a "
                                         r"reference of images"):
        metrics.evaluate(images, statistics, reference_labels=np.arange(6))


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


@needs_mnist
def test_inception_score_does_not_depend_on_sample_order(reference):
    images, labels = _real("train", 1000)
    ordered = images[np.argsort(labels, kind="stable")]  # one class per split if not shuffled
    assert metrics.evaluate(ordered, reference)["inception_score"] > 8.0
    # Six images of six digits: three splits of two (six splits of one scored 1 exactly).
    six = images[[np.flatnonzero(labels == digit)[0] for digit in range(6)]]
    assert metrics.evaluate(six, reference)["inception_score"] > 1.5


def test_classifier_trainer_refuses_an_unknown_domain_with_the_known_ones(capsys):
    from keras_gen.metrics import train_classifiers

    with pytest.raises(SystemExit):
        train_classifiers.main(["--data", "d", "--domains", "digit"])
    error = capsys.readouterr().err
    assert "invalid choice: 'digit'" in error
    assert all(domain in error for domain in ("digits", "fashion_mnist", "mnist"))
