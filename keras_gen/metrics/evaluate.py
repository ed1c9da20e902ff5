"""`evaluate()`: every quality number for a set of generated images, in one dict."""

import numpy as np

from keras_gen.metrics.distances import frechet_inception_distance, kernel_inception_distance
from keras_gen.metrics.feature_cache import cache_key, cached_features, cached_radii
from keras_gen.metrics.features import get_extractor
from keras_gen.metrics.scores import (conditional_accuracy, inception_score, kth_neighbour_radii,
                                      manifold_scores, mode_coverage)
from keras_gen.utils.arguments import check_bool, check_positive_int, is_int
from keras_gen.utils.images import model_range_batch, warn_if_unit_range


class ReferenceStatistics:
    """Features of a reference (real) image set, computed once and reused.

    Args:
        images: array `(N, H, W, C)` in [-1, 1].
        domain: str. `"mnist"`, `"fashion_mnist"` or `"inception"`.
        labels: optional int array `(N,)`. Reference classes for mode coverage;
            defaults to the classifier's predictions.
        inception_weights: optional str. Weights file for `"inception"` (None: Keras' ImageNet
            download).
        cache: bool. Read the features and their neighbour radii from, and keep them in,
            Keras' home (`keras_gen.metrics.feature_cache`) when the same images went through
            the same weights before: 10,000 images through InceptionV3 take minutes on a CPU.

    Example:

    ```python
    reference = ReferenceStatistics(test_images, domain="mnist", labels=test_labels)
    scores = evaluate(generated, reference)
    ```
    """

    def __init__(self, images, domain="mnist", labels=None, inception_weights=None, cache=True):
        self.domain = domain
        self.extractor = get_extractor(domain, inception_weights)
        self._cache_key = (cache_key(self.extractor, images) if check_bool("cache", cache)
                           else None)
        # The extractor refuses images outside [-1, 1]; the cache holds only ones it took.
        self.features, self.logits = cached_features(self.extractor, images, self._cache_key)
        # Real images scaled with / 255 (the usual Keras recipe) score every model as far off.
        warn_if_unit_range(images, "ReferenceStatistics", "every model is scored against images "
                           "brighter than its own", stacklevel=2)
        self.classes = None
        if labels is not None:
            self.classes = np.asarray(labels).reshape(-1)
            if len(self.classes) != len(self.features):
                # 10 labels for 64 images gave a class balance of those 10, without a word.
                raise ValueError(f"labels must hold one class per reference image: received "
                                 f"{len(self.classes)} labels for {len(self.features)} images.")
        elif self.logits is not None:
            self.classes = self.logits.argmax(axis=1)
        self._radii = {}

    def neighbour_radii(self, k):
        """The features' k-th nearest-neighbour distances, computed on the first call per k.

        `evaluate` scores many generated sets against one reference (a `QualityMonitor`
        every few epochs, a benchmark at every checkpoint); these radii depend only on the
        reference and are most of the work of precision, recall, density and coverage.

        Args:
            k: int. Which neighbour.

        Returns:
            read-only float64 array `(N,)`: see `keras_gen.metrics.kth_neighbour_radii`.

        Example:

        ```python
        radii = reference.neighbour_radii(3)  # again: the same array, not computed again
        ```
        """
        if k not in self._radii:
            # Kept on disk with the features, by the same key (`feature_cache`).
            radii = cached_radii(self._cache_key, k,
                                 lambda: kth_neighbour_radii(self.features, k),
                                 len(self.features))
            radii.setflags(write=False)  # shared by every later call
            self._radii[k] = radii
        return self._radii[k]


def evaluate(images, reference, domain="mnist", reference_labels=None, requested_labels=None,
             inception_weights=None, k=3, kid_subsets=50, kid_subset_size=1000, seed=0):
    """Scores generated images against real ones.

    Args:
        images: array `(M, H, W, C)` in [-1, 1]. Generated images.
        reference: array `(N, H, W, C)` in [-1, 1], or a `ReferenceStatistics`.
        domain: str. Feature extractor: `"mnist"`, `"fashion_mnist"` (shipped
            classifiers) or `"inception"` (Keras' ImageNet weights, or `inception_weights`).
        reference_labels: optional int array. Classes of the reference images.
        requested_labels: optional int array `(M,)`. For conditional models:
            the class each image was generated for (adds `conditional_accuracy`).
        inception_weights: optional str. InceptionV3 weights file (None: Keras' download).
        k: int. Neighbourhood size of precision/recall (density/coverage use k + 2 = 5,
            as in their papers when k = 3).
        kid_subsets: int. KID subsets.
        kid_subset_size: int. KID subset size.
        seed: int. Seed of KID's subsets.

    Returns:
        dict: `fid`, `kid`, `kid_std`, `precision`, `recall`, `density`,
        `coverage`, `num_samples`, `num_reference`, `domain`; with a classifier
        also `inception_score`, `classes_covered`, `num_classes`, `class_kl`,
        and `conditional_accuracy` when `requested_labels` is given.

    Example:

    ```python
    scores = keras_gen.metrics.evaluate(gan.generate(10000, seed=0), real_test_images,
                                        domain="mnist")
    print(scores["fid"], scores["coverage"])
    ```
    """
    check_positive_int("kid_subsets", kid_subsets)  # before the features are computed
    check_positive_int("kid_subset_size", kid_subset_size)
    # A path or None had no len(), and a str's letters were counted as images.
    images = model_range_batch(images, "evaluate")
    _check_sample_count("generated", len(images), k)
    if isinstance(reference, ReferenceStatistics):
        if reference_labels is not None or inception_weights is not None:
            # They were ignored: the statistics hold their own labels and extractor.
            raise ValueError("reference_labels and inception_weights belong to a reference of "
                             "images; a ReferenceStatistics has its own: pass them to "
                             "ReferenceStatistics(images, domain, labels, inception_weights).")
        _check_sample_count("reference", len(reference.features), k)
    else:
        reference = model_range_batch(reference, "evaluate's reference")
        _check_sample_count("reference", len(reference), k)
        reference = ReferenceStatistics(reference, domain, reference_labels, inception_weights)
    features, logits = reference.extractor(images)
    # Samples turned to [0, 1] for display ((x + 1) / 2) scored FID ~500 against MNIST's
    # test split, without a word.
    warn_if_unit_range(images, "metrics.evaluate", "they score as far from the reference",
                       stacklevel=2)
    fid = frechet_inception_distance(reference.features, features)
    kid, kid_std = kernel_inception_distance(reference.features, features, kid_subsets,
                                             kid_subset_size, seed)
    manifold = manifold_scores(reference.features, features, k, k + 2,
                               reference.neighbour_radii(k), reference.neighbour_radii(k + 2))
    results = {"domain": reference.domain, "num_samples": int(len(features)),
               "num_reference": int(len(reference.features)), "fid": fid, "kid": kid,
               "kid_std": kid_std, **manifold}
    if logits is not None:
        # Shuffle before splitting: generated sets are often ordered by class,
        # and a split holding one class scores ~1 whatever the quality.
        shuffled = logits[np.random.default_rng(seed).permutation(len(logits))]
        # Ten splits as in the paper, fewer for fewer than 20 samples: two or more each.
        num_splits = min(10, len(logits) // 2)
        results["inception_score"] = inception_score(shuffled, num_splits)[0]
        results.update(mode_coverage(logits, reference.classes, logits.shape[1]))
        if requested_labels is not None:
            results["conditional_accuracy"] = conditional_accuracy(logits, requested_labels)
    return results


def evaluate_model(model, num_samples, reference, seed=0, **evaluate_args):
    """Scores `num_samples` of a model's samples (noise seed `seed`) against `reference`.

    A conditional model's samples are drawn for each class in equal blocks, as the presets were
    measured, and its `conditional_accuracy` is scored too when the reference's classifier has
    as many classes as the model (only then can it say whether a sample shows its class).

    Args:
        model: a keras_gen model with `generate` (and `num_classes`, if conditional).
        num_samples: int. Images to generate.
        reference: `ReferenceStatistics` of real images.
        seed: int. Noise seed of the samples.
        **evaluate_args: passed to `evaluate` (`k`, `kid_subsets`, ...).

    Returns:
        dict: what `evaluate` returns.

    Example:

    ```python
    scores = evaluate_model(cgan, 10000, ReferenceStatistics(test_images, "mnist"))
    print(scores["fid"], scores["conditional_accuracy"])
    ```
    """
    num_classes = getattr(model, "num_classes", None)
    if not num_classes:
        return evaluate(model.generate(num_samples, seed=seed), reference, **evaluate_args)
    requested = np.arange(num_samples) * num_classes // num_samples
    images = model.generate(num_samples, labels=requested, seed=seed)
    same_classes = reference.logits is not None and reference.logits.shape[1] == num_classes
    return evaluate(images, reference, requested_labels=requested if same_classes else None,
                    **evaluate_args)


def minimum_samples(k=3):
    """The fewest images `evaluate(..., k=k)` scores, generated and reference alike: `k + 3`.

    Density and coverage look at each image's `(k + 2)`-th nearest neighbour among the others.

    Args:
        k: int. `evaluate`'s neighbourhood size.

    Example:

    ```python
    minimum_samples()  # 6
    ```
    """
    if not is_int(k) or k < 1:
        raise ValueError(f"k must be an int >= 1. Received: k={k!r}")
    return k + 3


def _check_sample_count(which, count, k):
    if count < minimum_samples(k):
        raise ValueError(
            f"evaluate needs at least {minimum_samples(k)} {which} images (density and coverage "
            f"use each image's {k + 2} nearest neighbours, k={k}); received {count}. Score "
            "thousands for numbers that mean something.")
