"""Feature extractors and `metrics.evaluate()` on real MNIST."""

import hashlib
import importlib
import os
import pathlib
import re
import shutil
import warnings

import keras
import numpy as np
import pytest

from keras_gen import DataError, data, metrics
from keras_gen.data.transforms import to_unit_range
from keras_gen.metrics import features as features_module
from keras_gen.metrics import scores as scores_module
from keras_gen.utils import sha256_of
from tests.helpers import needs_mnist, real_mnist


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
    _, labels = real_mnist("test", 2000)
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
    train_images, _ = real_mnist("train", 2000)
    scores = metrics.evaluate(train_images, reference)
    assert scores["fid"] < 1.0 and abs(scores["kid"]) < 0.01
    # k-NN manifolds of 2,000 points (k=3) miss some real points: ~0.86-0.91 here.
    assert scores["coverage"] > 0.9 and scores["precision"] > 0.8 and scores["recall"] > 0.8
    assert scores["classes_covered"] == 10 and scores["class_kl"] < 0.01
    assert scores["inception_score"] > 8.0


@needs_mnist
def test_rankings_of_good_collapsed_and_noisy_sets(reference):
    good, _ = real_mnist("train", 1000)
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
    images, _ = real_mnist("train", 500)
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
def test_inception_score_does_not_depend_on_sample_order(reference):
    images, labels = real_mnist("train", 1000)
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
