"""Inception score and the k-NN manifold metrics (precision, recall, density, coverage)."""

import numpy as np

from keras_gen.metrics.arrays import check_class_ids, check_finite
from keras_gen.utils.arguments import check_positive_int, is_int


def inception_score(logits, num_splits=10):
    """IS = exp(E_x KL(p(y|x) || p(y))), from classifier logits.

    Salimans et al. 2016, "Improved Techniques for Training GANs". Computed
    per split and averaged, as in the paper. Small-sample caveat: p(y) is
    estimated per split, so small splits bias IS downward; the score also
    depends entirely on the classifier that made the logits.

    Args:
        logits: array `(N, num_classes)`.
        num_splits: int. Splits of the samples (each must hold >= 2 samples: a split of one
            scores exactly 1, its p(y) being its one sample's p(y|x)).

    Returns:
        `(mean, std)` over splits. Between 1 and `num_classes`.

    Example:

    ```python
    score, std = inception_score(classifier_logits)
    ```
    """
    check_positive_int("num_splits", num_splits)  # 0: numpy's "number sections must be ..."
    logits = np.asarray(logits, np.float64)
    if logits.ndim != 2 or len(logits) < num_splits:
        raise ValueError(
            f"logits must be (N, num_classes) with N >= num_splits={num_splits}. "
            f"Received shape {logits.shape}"
        )
    if len(logits) < 2 * num_splits:
        raise ValueError(
            f"inception_score needs at least 2 samples per split: received {len(logits)} "
            f"samples for num_splits={num_splits}. A split of one sample scores exactly 1. Pass "
            f"num_splits <= {len(logits) // 2} (10 splits of thousands of samples, as in the "
            "paper, give numbers that compare).")
    logits = check_finite("logits", logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    scores = []
    for part in np.array_split(log_p, num_splits):
        log_marginal = np.log(np.exp(part).mean(axis=0))
        kl = np.sum(np.exp(part) * (part - log_marginal), axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


_CHUNK = 1024  # rows per block: keeps 50,000 x 50,000 comparisons within memory


def _distance_blocks(a, b, squared=False):
    """Yields `(start, block)`: the distances from rows `a[start : start + _CHUNK]` to every row
    of `b`, block by block (squared distances with `squared=True`).

    Every block is written into the same two buffers, so a caller uses each block before it
    asks for the next. A block is 1,024 x N float64s (80 MB for N = 10,000), and a fresh array
    of that size costs more in first-touch page faults than its arithmetic: the first version,
    six fresh arrays per block, made the k-NN metrics 3.2x slower (`benchmarks/knn_metrics.py`).
    The operations and their order are those of `sqrt(clip(a2 + b2 - 2 * a @ b.T, 0))`, so the
    values are bit for bit the same.
    """
    b_norms = (b ** 2).sum(1)
    rows = min(_CHUNK, len(a))
    sums, products = np.empty((rows, len(b))), np.empty((rows, len(b)))
    for start in range(0, len(a), _CHUNK):
        part = a[start : start + _CHUNK]
        block, product = sums[: len(part)], products[: len(part)]
        np.add((part ** 2).sum(1)[:, None], b_norms[None, :], out=block)
        np.matmul(part, b.T, out=product)
        product *= 2
        block -= product
        np.clip(block, 0.0, None, out=block)  # rounding can make a squared distance negative
        if not squared:
            np.sqrt(block, out=block)
        yield start, block


def kth_neighbour_radii(points, k):
    """Each point's distance to its k-th nearest neighbour in the same set (itself excluded).

    These radii make the balls of `precision_recall` and `density_coverage`. For a reference
    set scored against many generated sets, compute them once and pass them as `real_radii`
    (`ReferenceStatistics.neighbour_radii` does): on 10,000 points that is most of the work.

    Args:
        points: array `(N, d)`.
        k: int. Which neighbour, in [1, N).

    Returns:
        float64 array `(N,)`.

    Example:

    ```python
    kth_neighbour_radii(np.array([[0.0], [1.0], [3.0], [7.0]]), k=1)  # [1., 1., 2., 4.]
    ```
    """
    points = np.asarray(points, np.float64)
    if points.ndim != 2:
        raise ValueError(f"points must be (N, d). Received shape {points.shape}")
    points = check_finite("points", points)
    if not is_int(k) or not 1 <= k < len(points):
        raise ValueError(f"k must be an int in [1, N={len(points)}). Received: k={k!r}")
    radii = np.empty(len(points))
    for start, squared in _distance_blocks(points, points, squared=True):
        # Index 0 of each partitioned row is the point itself (distance 0). The root is taken
        # of the k-th value only: it is monotonic, so the same value as partitioning distances.
        squared.partition(k, axis=1)
        radii[start : start + len(squared)] = np.sqrt(squared[:, k])
    return radii


def _ball_membership_counts(centres, radii, queries):
    """Per query, how many balls (centre, radius) contain it; per ball, whether any query does."""
    counts = np.zeros(len(queries), np.int64)
    hit = np.zeros(len(centres), bool)
    for start, distances in _distance_blocks(centres, queries):
        inside = distances <= radii[start : start + len(distances), None]
        counts += inside.sum(axis=0)
        hit[start : start + len(distances)] = inside.any(axis=1)
    return counts, hit


def _check_sets(real, fake, k, real_radii, k_name="k"):
    """The sets as float64 arrays and the real radii (computed here unless given)."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"real and fake must be (N, d) with one d. Received {real.shape}, {fake.shape}")
    if not is_int(k) or k < 1 or k >= min(len(real), len(fake)):
        raise ValueError(f"{k_name} must be an int in [1, min(N, M)). Received: {k_name}={k!r}")
    real, fake = check_finite("real", real), check_finite("fake", fake)
    if real_radii is None:
        return real, fake, kth_neighbour_radii(real, k)
    real_radii = np.asarray(real_radii, np.float64)
    if real_radii.shape != (len(real),):
        raise ValueError(
            f"real_radii must hold one radius per real point, shape ({len(real)},). Received "
            f"{real_radii.shape}. Compute them with metrics.kth_neighbour_radii(real, k={k}).")
    return real, fake, real_radii


def precision_recall(real, fake, k=3, real_radii=None):
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
        real_radii: optional array `(N,)`. The real points' `kth_neighbour_radii(real, k)`,
            when already computed; computed here otherwise.

    Returns:
        `(precision, recall)`, floats in [0, 1].

    Example:

    ```python
    precision, recall = precision_recall(real_features, fake_features, k=3)
    ```
    """
    real, fake, real_radii = _check_sets(real, fake, k, real_radii)
    fake_in_real, _ = _ball_membership_counts(real, real_radii, fake)
    real_in_fake, _ = _ball_membership_counts(fake, kth_neighbour_radii(fake, k), real)
    return float(np.mean(fake_in_real > 0)), float(np.mean(real_in_fake > 0))


def density_coverage(real, fake, k=5, real_radii=None):
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
        real_radii: optional array `(N,)`. The real points' `kth_neighbour_radii(real, k)`,
            when already computed; computed here otherwise.

    Returns:
        `(density, coverage)`, floats.

    Example:

    ```python
    density, coverage = density_coverage(real_features, fake_features)
    ```
    """
    real, fake, real_radii = _check_sets(real, fake, k, real_radii)
    counts, covered = _ball_membership_counts(real, real_radii, fake)
    return float(counts.sum() / (k * len(fake))), float(np.mean(covered))


def manifold_scores(real, fake, k=3, density_k=None, real_radii=None, density_radii=None):
    """Precision and recall (k), density and coverage (`density_k`) in one pass over the
    distances between the sets.

    The same numbers as `precision_recall` and `density_coverage`, which each go through all
    real-to-fake distances (recall a second time, from the fake side): against a reference whose
    radii are kept, those passes were most of `evaluate`'s time.

    Args:
        real: array `(N, d)`. Real features.
        fake: array `(M, d)`. Generated features.
        k: int. Neighbourhood size of precision and recall.
        density_k: optional int. Neighbourhood size of density and coverage; None: `k + 2`
            (5 for k = 3: each paper's own choice, as `evaluate` scores them).
        real_radii: optional array `(N,)`. `kth_neighbour_radii(real, k)`, if computed already.
        density_radii: optional array `(N,)`. `kth_neighbour_radii(real, density_k)`, likewise.

    Returns:
        dict: `precision`, `recall`, `density`, `coverage` (floats).

    Example:

    ```python
    manifold_scores(real_features, fake_features)["coverage"]
    ```
    """
    density_k = k + 2 if density_k is None else density_k
    real, fake, real_radii = _check_sets(real, fake, k, real_radii)
    _, _, density_radii = _check_sets(real, fake, density_k, density_radii, "density_k")
    fake_radii = kth_neighbour_radii(fake, k)
    fake_in_real = np.zeros(len(fake), bool)
    real_in_fake = np.zeros(len(real), bool)
    counts, covered = np.zeros(len(fake), np.int64), np.zeros(len(real), bool)
    inside = np.empty((min(_CHUNK, len(real)), len(fake)), bool)  # reused, as the distances are
    for start, distances in _distance_blocks(real, fake):
        rows = slice(start, start + len(distances))
        block = inside[: len(distances)]
        np.less_equal(distances, real_radii[rows, None], out=block)
        fake_in_real |= block.any(axis=0)
        np.less_equal(distances, fake_radii[None, :], out=block)
        real_in_fake[rows] = block.any(axis=1)
        np.less_equal(distances, density_radii[rows, None], out=block)
        counts += block.sum(axis=0)
        covered[rows] = block.any(axis=1)
    return {"precision": float(np.mean(fake_in_real)), "recall": float(np.mean(real_in_fake)),
            "density": float(counts.sum() / (density_k * len(fake))),
            "coverage": float(np.mean(covered))}


def mode_coverage(fake_logits, reference_classes, num_classes=None, min_share=0.1):
    """How well generated samples cover a labelled domain's classes.

    Generated samples are assigned the classifier's top class. A class counts
    as covered when its share of the generated samples is at least
    `min_share` times its share of the reference data (so a handful of
    misclassified samples do not count as covering a mode). The KL divergence
    `KL(p_generated || p_reference)` of the class histograms is 0 for a perfect
    match (Odena et al. 2017 and Srivastava et al. 2017 use such histograms
    to measure mode collapse). Small-sample caveat: with few samples per class
    the histogram, and so the KL, is noisy.

    Args:
        fake_logits: array `(M, num_classes)`. Classifier logits on generated images.
        reference_classes: int array `(N,)`. Classes of the reference data (labels,
            or the classifier's predictions on real images).
        num_classes: optional int. Defaults to the logits' width.
        min_share: float. Fraction of a class's reference share that counts as covered.

    Returns:
        dict with `classes_covered` (int), `num_classes` (int) and `class_kl` (float).

    Example:

    ```python
    mode_coverage(logits, test_labels)  # {"classes_covered": 10, "num_classes": 10, ...}
    ```
    """
    fake_logits = _check_logits(fake_logits)
    if num_classes is not None and num_classes != fake_logits.shape[1]:
        # Else numpy's "operands could not be broadcast together".
        raise ValueError(f"num_classes={num_classes!r}, but the logits score "
                         f"{fake_logits.shape[1]} classes; leave num_classes out, or pass "
                         "logits of that many classes.")
    num_classes = fake_logits.shape[1]
    if not 0 < min_share <= 1:  # 0 counted every class as covered, above 1 none
        raise ValueError(f"min_share is the fraction of a class's reference share that counts "
                         f"as covered, in (0, 1]. Received: min_share={min_share!r}")
    reference_classes = check_class_ids("reference_classes", reference_classes, num_classes)
    generated = np.bincount(fake_logits.argmax(axis=1), minlength=num_classes) / len(fake_logits)
    reference = np.bincount(reference_classes, minlength=num_classes)
    reference = reference / reference.sum()
    covered = int(np.sum((reference > 0) & (generated >= min_share * reference)))
    eps = 1e-10
    kl = float(np.sum(generated * (np.log(generated + eps) - np.log(reference + eps))))
    return {"classes_covered": covered, "num_classes": int(num_classes), "class_kl": max(kl, 0.0)}


def conditional_accuracy(fake_logits, requested_labels):
    """Fraction of generated samples that the classifier reads as the class they were asked for.

    Args:
        fake_logits: array `(M, num_classes)`.
        requested_labels: int array `(M,)`. The labels the samples were generated for.

    Returns:
        float in [0, 1].

    Example:

    ```python
    conditional_accuracy(logits, np.repeat(np.arange(10), 100))
    ```
    """
    fake_logits = _check_logits(fake_logits)
    # A label outside the classes, or 0.5, counted as a miss without a word.
    requested = check_class_ids("requested_labels", requested_labels, fake_logits.shape[1],
                                len(fake_logits))
    return float(np.mean(fake_logits.argmax(axis=1) == requested))


def _check_logits(logits):
    logits = np.asarray(logits, np.float64)
    if logits.ndim != 2 or not len(logits):
        raise ValueError(f"fake_logits must be (M, num_classes) with M >= 1. Received shape "
                         f"{logits.shape}")
    return check_finite("fake_logits", logits)
