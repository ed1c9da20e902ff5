"""Distribution distances between sets of feature activations: FID and KID.

Pure numpy functions of activation arrays `(num_samples, feature_dim)`; which
network produced the activations (InceptionV3, a domain classifier) is the
caller's choice.
"""

import numpy as np

from keras_gen.metrics.arrays import check_finite
from keras_gen.utils.arguments import check_positive_int


def _as_features(name, activations):
    activations = np.asarray(activations, dtype=np.float64)
    if activations.ndim != 2 or len(activations) < 2:
        raise ValueError(
            f"{name} must be a 2-D array (num_samples >= 2, feature_dim). "
            f"Received shape {activations.shape}"
        )
    return check_finite(name, activations)


def _check_same_dim(a, b):
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"Both sets need the same feature dimension. Received {a.shape[1]} and {b.shape[1]}"
        )


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Fréchet distance between two Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    `d^2 = ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))`
    (Dowson & Landau 1982). The trace of the matrix square root is computed as
    `sum(sqrt(eig(s1 sigma2 s1)))` with `s1 = sigma1^(1/2)`, a symmetric
    positive semi-definite form, which avoids the complex round-off of a
    general `sqrtm`.

    Args:
        mu1: array `(d,)`. Mean of the first Gaussian.
        sigma1: array `(d, d)`. Covariance of the first Gaussian.
        mu2: array `(d,)`. Mean of the second Gaussian.
        sigma2: array `(d, d)`. Covariance of the second Gaussian.

    Returns:
        float, >= 0.

    Example:

    ```python
    frechet_distance(np.zeros(2), np.eye(2), np.ones(2), np.eye(2))  # 2.0
    ```
    """
    mu1, mu2 = check_finite("mu1", mu1), check_finite("mu2", mu2)
    sigma1, sigma2 = check_finite("sigma1", sigma1), check_finite("sigma2", sigma2)
    dim = mu1.shape[0] if mu1.ndim == 1 else None
    if (dim is None or mu2.shape != (dim,) or sigma1.shape != (dim, dim)
            or sigma2.shape != (dim, dim)):
        # Else numpy's "matmul: Input operand 1 has a mismatch in its core dimension 0".
        raise ValueError(f"frechet_distance takes means (d,) and covariances (d, d) of one d. "
                         f"Received mu1 {mu1.shape}, sigma1 {sigma1.shape}, mu2 {mu2.shape}, "
                         f"sigma2 {sigma2.shape}.")
    values, vectors = np.linalg.eigh(sigma1)
    root1 = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    middle = root1 @ sigma2 @ root1
    trace_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)))
    distance = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt
    return float(max(distance, 0.0))


def frechet_inception_distance(real_activations, fake_activations):
    """FID: the Fréchet distance between Gaussians fitted to two activation sets.

    Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge
    to a Local Nash Equilibrium". Small-sample caveat: FID is biased upward
    for small sets (the bias shrinks roughly as 1/N; Chong & Forsyth 2020), so
    compare FIDs only at the same sample count, ideally >= 10,000.

    Args:
        real_activations: array `(N, d)`.
        fake_activations: array `(M, d)`.

    Returns:
        float, >= 0; 0 for identical sets.

    Example:

    ```python
    fid = frechet_inception_distance(real_features, fake_features)
    ```
    """
    real = _as_features("real_activations", real_activations)
    fake = _as_features("fake_activations", fake_activations)
    _check_same_dim(real, fake)
    return frechet_distance(real.mean(0), np.cov(real, rowvar=False),
                            fake.mean(0), np.cov(fake, rowvar=False))


def _cubic_kernel(a, b):
    """`(a.b / d + 1)^3` for every pair of rows, cubed by multiplying: 3x faster than `** 3`."""
    base = a @ b.T
    base /= a.shape[1]
    base += 1
    return base * base * base


def kernel_inception_distance(real_activations, fake_activations, num_subsets=100,
                              subset_size=1000, seed=0):
    """KID: unbiased squared MMD with the kernel `k(x, y) = (x.y / d + 1)^3`.

    Bińkowski et al. 2018, "Demystifying MMD GANs", eq. 4 and appendix D: the
    mean over random subsets of the unbiased MMD^2 estimate. Unbiased, so it
    can be slightly negative for two samples of one distribution, and it is
    comparable across sample sizes (unlike FID); its variance still grows as
    sets shrink, so report the standard deviation too.

    Args:
        real_activations: array `(N, d)`.
        fake_activations: array `(M, d)`.
        num_subsets: int. Random subsets averaged over.
        subset_size: int. Samples per subset (capped at the smaller set size).
        seed: int. Seed of the subset draws.

    Returns:
        `(mean, std)` of the subset estimates, floats.

    Example:

    ```python
    kid, kid_std = kernel_inception_distance(real_features, fake_features)
    ```
    """
    # num_subsets=0 gave a KID of NaN without a word.
    check_positive_int("num_subsets", num_subsets)
    if check_positive_int("subset_size", subset_size) < 2:
        # The unbiased estimate divides by size * (size - 1): NaN for 1.
        raise ValueError("subset_size must be at least 2: the unbiased estimate compares pairs "
                         "of samples within a subset. Received: subset_size=1")
    real = _as_features("real_activations", real_activations)
    fake = _as_features("fake_activations", fake_activations)
    _check_same_dim(real, fake)
    size = min(subset_size, len(real), len(fake))
    rng = np.random.default_rng(seed)
    estimates = []
    for _ in range(num_subsets):
        x = real[rng.choice(len(real), size, replace=False)]
        y = fake[rng.choice(len(fake), size, replace=False)]
        k_xx, k_yy, k_xy = _cubic_kernel(x, x), _cubic_kernel(y, y), _cubic_kernel(x, y)
        off_diagonal = ((k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy))
                        / (size * (size - 1)))
        estimates.append(off_diagonal - 2 * k_xy.mean())
    return float(np.mean(estimates)), float(np.std(estimates))
