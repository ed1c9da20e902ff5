"""Inception score and the k-NN manifold metrics (precision, recall, density, coverage)."""

import numpy as np


def inception_score(logits, num_splits=10):
    """IS = exp(E_x KL(p(y|x) || p(y))), from classifier logits.

    Salimans et al. 2016, "Improved Techniques for Training GANs". Computed
    per split and averaged, as in the paper. Small-sample caveat: p(y) is
    estimated per split, so small splits bias IS downward; the score also
    depends entirely on the classifier that made the logits.

    Args:
        logits: array `(N, num_classes)`.
        num_splits: int. Splits of the samples (each must hold >= 1 sample).

    Returns:
        `(mean, std)` over splits. Between 1 and `num_classes`.

    Example:

    ```python
    score, std = inception_score(classifier_logits)
    ```
    """
    logits = np.asarray(logits, np.float64)
    if logits.ndim != 2 or len(logits) < num_splits:
        raise ValueError(
            f"logits must be (N, num_classes) with N >= num_splits={num_splits}. "
            f"Received shape {logits.shape}"
        )
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    scores = []
    for part in np.array_split(log_p, num_splits):
        log_marginal = np.log(np.exp(part).mean(axis=0))
        kl = np.sum(np.exp(part) * (part - log_marginal), axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _pairwise_distances(a, b):
    squared = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(squared, 0.0, None))


def _kth_neighbour_radii(points, k):
    distances = _pairwise_distances(points, points)
    # Column 0 of the sorted rows is the point itself (distance 0).
    return np.sort(distances, axis=1)[:, k]


def _check_sets(real, fake, k):
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake must be (N, d) with one d. Received {real.shape}, {fake.shape}")
    if not isinstance(k, int) or k < 1 or k >= min(len(real), len(fake)):
        raise ValueError(f"k must be an int in [1, min(N, M)). Received: k={k!r}")
    return real, fake


def precision_recall(real, fake, k=3):
    """Improved precision and recall of a generated set (Kynkäänniemi et al. 2019).

    Each set's manifold is the union of balls around its points with radius the
    distance to the k-th nearest neighbour in the same set. Precision is the
    fraction of fake points inside the real manifold (fidelity); recall the
    fraction of real points inside the fake manifold (diversity).
    Small-sample caveat: k-NN radii grow as sets shrink, which inflates both;
    compare at equal set sizes (the paper uses 50,000 and k=3).

    Args:
        real: array `(N, d)`. Real features.
        fake: array `(M, d)`. Generated features.
        k: int. Neighbourhood size.

    Returns:
        `(precision, recall)`, floats in [0, 1].

    Example:

    ```python
    precision, recall = precision_recall(real_features, fake_features, k=3)
    ```
    """
    real, fake = _check_sets(real, fake, k)
    cross = _pairwise_distances(real, fake)  # (N, M)
    precision = np.mean(np.any(cross <= _kth_neighbour_radii(real, k)[:, None], axis=0))
    recall = np.mean(np.any(cross <= _kth_neighbour_radii(fake, k)[None, :], axis=1))
    return float(precision), float(recall)


def density_coverage(real, fake, k=5):
    """Density and coverage of a generated set (Naeem et al. 2020).

    With balls around real points of radius their k-th neighbour distance:
    density = (1 / kM) * sum over fake points of how many balls contain it
    (can exceed 1); coverage = fraction of real balls that contain at least
    one fake point. Both are robust to real outliers, unlike precision/recall.
    Small-sample caveat as for `precision_recall`.

    Args:
        real: array `(N, d)`.
        fake: array `(M, d)`.
        k: int. Neighbourhood size.

    Returns:
        `(density, coverage)`, floats.

    Example:

    ```python
    density, coverage = density_coverage(real_features, fake_features)
    ```
    """
    real, fake = _check_sets(real, fake, k)
    inside = _pairwise_distances(real, fake) <= _kth_neighbour_radii(real, k)[:, None]
    density = inside.sum() / (k * len(fake))
    coverage = np.mean(inside.any(axis=1))
    return float(density), float(coverage)
