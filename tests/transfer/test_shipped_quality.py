"""The shipped presets: what their metadata records, and that fresh samples reproduce it, in the
project's evaluator and in one that shares nothing with it."""

import os

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier

from keras_gen import data, metrics, presets
from keras_gen.data.transforms import to_unit_range
from keras_gen.models import GAN
from keras_gen.utils import to_uint8
from tests.helpers import SHARED_DATA, needs_shared

needs_shared_data = needs_shared("mnist", "fashion_mnist")


def test_shipped_presets_load_and_record_their_quality():
    shipped = presets.list()
    expected = {"dcgan_mnist", "dcgan_fashion_mnist", "cgan_mnist", "cgan_fashion_mnist",
                "vae_mnist", "wgan_gp_mnist"}
    assert expected <= set(shipped)
    total = sum(meta["weights_bytes"] for meta in shipped.values())
    assert total < 60 * 1024 * 1024
    for name, meta in shipped.items():
        for key in ("dataset", "image_shape", "params", "recipe", "training_seconds", "sha256"):
            assert key in meta, (name, key)
        for key in ("fid", "kid", "precision", "recall", "coverage"):
            assert key in meta["metrics"], (name, key)
    assert shipped["cgan_mnist"]["metrics"]["conditional_accuracy"] >= 0.95
    model = GAN.from_preset("cgan_mnist")
    assert model.generate(4, labels=7, seed=0).shape == (4, 28, 28, 1)


@pytest.fixture(scope="module")
def fresh_samples():
    """2,000 samples per shipped preset from seed 7 (the metadata's 10,000 came from another).

    Returns `{name: (images in [-1, 1], requested labels or None)}`; conditional presets are
    asked for 200 of each class.
    """
    requested = np.repeat(np.arange(10), 200)
    samples = {}
    for name in presets.list():
        model = presets.load_preset(name)
        if getattr(model, "num_classes", None):
            samples[name] = (model.generate(2000, labels=requested, seed=7), requested)
        else:
            samples[name] = (model.generate(2000, seed=7), None)
    return samples


@needs_shared_data
def test_shipped_presets_quality_reproduces_from_fresh_samples(fresh_samples):
    # Scored against the whole test split: the claims must hold beyond the samples they were
    # measured on.
    shipped = presets.list()
    references, scores = {}, {}
    for dataset in ("mnist", "fashion_mnist"):
        images, labels = data.load_arrays(os.path.join(SHARED_DATA, dataset), split="test")
        references[dataset] = metrics.ReferenceStatistics(to_unit_range(images).numpy(),
                                                          dataset, labels)
    for name, meta in shipped.items():
        images, requested = fresh_samples[name]
        scores[name] = metrics.evaluate(images, references[meta["dataset"]],
                                        requested_labels=requested)
        if requested is not None:
            assert scores[name]["conditional_accuracy"] == pytest.approx(
                meta["metrics"]["conditional_accuracy"], abs=0.02), name
        assert scores[name]["classes_covered"] == 10, name  # every digit, every garment
        # Measured 1-5.5% apart (FID's bias grows as the sample shrinks); 15% is a regression.
        assert scores[name]["fid"] == pytest.approx(meta["metrics"]["fid"], rel=0.15), name
    assert scores["cgan_mnist"]["conditional_accuracy"] >= 0.95
    for dataset in ("mnist", "fashion_mnist"):  # the same ranking as the metadata's
        names = [name for name in shipped if shipped[name]["dataset"] == dataset]
        assert sorted(names, key=lambda name: scores[name]["fid"]) == sorted(
            names, key=lambda name: shipped[name]["metrics"]["fid"]), dataset


def _pixels(images):
    """`(N, 28, 28, 1)` images with values in [0, 255] as `(N, 784)` rows in [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


@needs_shared_data
def test_shipped_presets_agree_with_an_independent_evaluator(fresh_samples):
    # The check scores the presets with an evaluator of its own, which must agree with
    # the metadata in rank and class coverage. This one shares nothing with the project's
    # classifiers: pixels reduced to 50 principal components (fitted on the train split) for
    # the Frechet distance (the project's formula, checked against closed forms in
    # tests/metrics), and a 5-nearest-neighbour classifier in that space for classes.
    shipped = presets.list()
    distances = {}
    for dataset, accuracy_floor in (("mnist", 0.97), ("fashion_mnist", 0.85)):
        train, train_labels = data.load_arrays(os.path.join(SHARED_DATA, dataset))
        test, test_labels = data.load_arrays(os.path.join(SHARED_DATA, dataset), split="test")
        pca = PCA(50, random_state=0).fit(_pixels(train))
        knn = KNeighborsClassifier(5).fit(pca.transform(_pixels(train)), train_labels)
        reference = pca.transform(_pixels(test))
        # Measured 0.975 and 0.857: classes the evaluator itself tells apart.
        assert (knn.predict(reference) == test_labels).mean() >= accuracy_floor, dataset
        names = [name for name in shipped if shipped[name]["dataset"] == dataset]
        for name in names:
            images, requested = fresh_samples[name]
            features = pca.transform(_pixels(to_uint8(images)))
            distances[name] = metrics.frechet_inception_distance(reference, features)
            classes = knn.predict(features)
            # Every class in quantity (the smallest shares were 5.6-9.3%).
            assert np.bincount(classes, minlength=10).min() >= 0.02 * len(classes), name
            if name == "cgan_mnist":  # the issue's >= 95% (0.959 here, 0.963 of 10,000)
                assert (classes == requested).mean() >= 0.95
        # MNIST's four score 1.05 (cgan), 1.64 (dcgan), 2.12 (wgan_gp) and 2.83 (vae);
        # Fashion-MNIST's two are close (2.05 and 2.08; 1.95 and 1.99 from 10,000 samples) and
        # keep that order in the hidden features of a 256-unit perceptron trained on the pixels
        # too (4.37 and 4.81: benchmarks/independent_evaluator.py).
        assert sorted(names, key=distances.get) == sorted(
            names, key=lambda name: shipped[name]["metrics"]["fid"]), (dataset, distances)
