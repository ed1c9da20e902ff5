"""Reference features kept on disk: read back only for the same images and the same weights."""

import importlib
import os

import numpy as np
import pytest

from keras_gen import DataError, data, metrics
from keras_gen.data.transforms import to_unit_range
from keras_gen.metrics import feature_cache
from keras_gen.metrics.features import DomainFeatures

# The module; `keras_gen.metrics.evaluate` is also the function it defines.
evaluate_module = importlib.import_module("keras_gen.metrics.evaluate")


class CountingExtractor:
    """An extractor whose features are the images' means, that counts the images it saw."""

    def __init__(self, identity):
        self.identity, self.seen = identity, 0

    def __call__(self, images):
        self.seen += len(images)
        means = images.reshape(len(images), -1).mean(axis=1, keepdims=True)
        return np.concatenate([means, -means], axis=1), None


def features_of(extractor, images):
    return feature_cache.cached_features(extractor, images,
                                         feature_cache.cache_key(extractor, images))


def test_features_are_read_back_for_the_same_images_and_weights_only(empty_keras_home):
    images = np.linspace(-1, 1, 4 * 28 * 28, dtype=np.float32).reshape(4, 28, 28, 1)
    first = CountingExtractor("weights A")
    features, logits = features_of(first, images)
    np.testing.assert_allclose(features[:, 0], images.reshape(4, -1).mean(axis=1), rtol=1e-6)
    assert logits is None and first.seen == 4
    assert feature_cache.cache_folder() == str(
        empty_keras_home / "keras_gen" / "reference_features")
    assert len(os.listdir(feature_cache.cache_folder())) == 1

    again = CountingExtractor("weights A")
    stored, _ = features_of(again, images.copy())
    assert again.seen == 0 and np.array_equal(stored, features)
    # One pixel, other weights, or the same bytes in another shape: computed, and kept apart.
    changed = images.copy()
    changed[3, 27, 27, 0] = 0.0
    for extractor, batch in [(CountingExtractor("weights A"), changed),
                             (CountingExtractor("weights B"), images),
                             (CountingExtractor("weights A"), images.reshape(4, 28, 14, 2))]:
        features_of(extractor, batch)
        assert extractor.seen == 4
    assert len(os.listdir(feature_cache.cache_folder())) == 4


def test_a_damaged_file_is_computed_again_and_an_unwritable_folder_only_means_no_cache(
        tmp_path, monkeypatch):
    images = np.zeros((3, 28, 28, 1), np.float32)
    features_of(CountingExtractor("w"), images)
    (kept,) = [os.path.join(feature_cache.cache_folder(), name)
               for name in os.listdir(feature_cache.cache_folder())]
    with open(kept, "r+b") as handle:  # a copy cut short
        handle.truncate(40)
    extractor = CountingExtractor("w")
    features, _ = features_of(extractor, images)
    assert extractor.seen == 3 and features.shape == (3, 2)
    assert np.array_equal(np.load(kept)["features"], features)  # replaced by a whole file
    # The neighbour radii, kept beside the features under the same key, likewise.
    key, computed = feature_cache.cache_key(extractor, images), []

    def radii():
        computed.append(3)
        return np.arange(3.0)

    for _ in range(2):
        assert np.array_equal(feature_cache.cached_radii(key, 3, radii, 3), np.arange(3.0))
    assert computed == [3]
    radii_file = os.path.join(feature_cache.cache_folder(), f"{key}.radii-k3.npy")
    with open(radii_file, "r+b") as handle:
        handle.truncate(100)
    assert np.array_equal(feature_cache.cached_radii(key, 3, radii, 3), np.arange(3.0))
    assert computed == [3, 3]
    # Damaged yet readable: an array of another length (or not one radius per image) failed
    # precision and recall later, in words that named no file.
    for foreign in (np.arange(5.0), np.zeros((3, 2))):
        np.save(radii_file, foreign)
        assert np.array_equal(feature_cache.cached_radii(key, 3, radii, 3), np.arange(3.0))
        assert np.array_equal(np.load(radii_file), np.arange(3.0))  # replaced
    assert computed == [3, 3, 3, 3]
    # A file where the folder should be: makedirs fails, the features are still returned.
    (tmp_path / "file").write_text("")
    monkeypatch.setattr(feature_cache, "cache_folder", lambda: str(tmp_path / "file" / "cache"))
    extractor = CountingExtractor("w")
    assert features_of(extractor, images)[0].shape == (3, 2)
    assert extractor.seen == 3


def test_reference_statistics_read_back_score_as_computed(monkeypatch):
    images, labels = data.load_arrays("digits", split="test")
    images = to_unit_range(images).numpy()
    computed = metrics.ReferenceStatistics(images, "digits", labels)
    radii = computed.neighbour_radii(3)
    calls, radii_of = [], []
    extract, neighbours = DomainFeatures.__call__, evaluate_module.kth_neighbour_radii
    monkeypatch.setattr(DomainFeatures, "__call__",
                        lambda self, batch: calls.append(len(batch)) or extract(self, batch))
    monkeypatch.setattr(evaluate_module, "kth_neighbour_radii",
                        lambda points, k: radii_of.append(k) or neighbours(points, k))
    read = metrics.ReferenceStatistics(images, "digits", labels)
    assert calls == []  # its 360 images did not go through the classifier again
    assert np.array_equal(read.features, computed.features)
    assert np.array_equal(read.logits, computed.logits)
    # Nor were their neighbour radii computed again: per k, twice the work of the features.
    assert np.array_equal(read.neighbour_radii(3), radii) and radii_of == []
    generated = images[::-1][:100]
    assert metrics.evaluate(generated, read) == metrics.evaluate(generated, computed)
    assert calls == [100, 100]  # the generated images, once per evaluate
    assert radii_of == [5]  # density's k + 2, for the first evaluate only
    # cache=False computes, and the extractor still refuses what it always refused.
    uncached = metrics.ReferenceStatistics(images, "digits", labels, cache=False)
    assert calls[-1] == 360
    uncached.neighbour_radii(5)
    assert radii_of == [5, 5]
    with pytest.raises(DataError, match=r"in \[-1, 1\]"):
        metrics.ReferenceStatistics(images * 255, "digits", labels)
    with pytest.raises(TypeError, match="cache"):
        metrics.ReferenceStatistics(images, "digits", labels, cache="no")
