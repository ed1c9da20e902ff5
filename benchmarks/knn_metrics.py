"""k-NN metrics (radii, precision/recall, density/coverage): in-place distances against fresh ones.

`keras_gen.metrics.scores` computes pairwise distances in blocks of 1,024 rows by N columns (80 MB
of float64s against a 10,000-image reference). Its first version wrote every step of
`sqrt(clip(a2 + b2 - 2 * a @ b.T))` into a fresh array of that size, and partitioned a copy for
the k-th neighbour. The current one writes every block into the same two buffers, partitions in
place and takes the root of the k-th value only.
This benchmark runs both, side by side in one process, on the same features, checks that they
give bit for bit the same results, and prints the speed-up.

Variants:
- `baseline`: the first version's distance function and its two loops (radii, ball
  membership), restored for the run.
- `in_place`: the package's code as it is.

The work timed is what `metrics.evaluate` does against a fresh reference: the reference's
k-th-neighbour radii for k=3 and k=5, then precision/recall (k=3) and density/coverage (k=5) of
one generated set. Features are the MNIST classifier's, of the test split (the reference) and of
the first `--fake` train images (standing in for generated ones), read from `--data`. Runs
alternate, so machine noise hits both alike; the best of `--repeats` is the figure the ratio uses.

Usage:
    python benchmarks/knn_metrics.py [--data ../shared/data/mnist] [--fake 2000] [--repeats 3]
Writes benchmarks/results/knn_metrics.json.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from keras_gen import data  # noqa: E402
from keras_gen.data.transforms import to_unit_range  # noqa: E402
from keras_gen.metrics import scores  # noqa: E402
from keras_gen.metrics.features import get_extractor  # noqa: E402
from keras_gen.utils import write_json_atomic  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "knn_metrics.json")


def _baseline_pairwise_distances(a, b):
    """The first version: each operation writes a fresh block-sized array."""
    squared = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(squared, 0.0, None))


def _baseline_kth_neighbour_radii(points, k):
    """The first version's loop: roots of the whole block, then a partitioned copy."""
    points = np.asarray(points, np.float64)
    radii = np.empty(len(points))
    for start in range(0, len(points), scores._CHUNK):
        distances = _baseline_pairwise_distances(points[start : start + scores._CHUNK], points)
        radii[start : start + scores._CHUNK] = np.partition(distances, k, axis=1)[:, k]
    return radii


def _baseline_ball_membership_counts(centres, radii, queries):
    """The first version's loop, on `_baseline_pairwise_distances`."""
    counts = np.zeros(len(queries), np.int64)
    hit = np.zeros(len(centres), bool)
    for start in range(0, len(centres), scores._CHUNK):
        inside = (_baseline_pairwise_distances(centres[start : start + scores._CHUNK], queries)
                  <= radii[start : start + scores._CHUNK, None])
        counts += inside.sum(axis=0)
        hit[start : start + scores._CHUNK] = inside.any(axis=1)
    return counts, hit


def score(real, fake):
    """What `metrics.evaluate` computes with the k-NN metrics on a fresh reference."""
    radii = {k: scores.kth_neighbour_radii(real, k) for k in (3, 5)}
    precision, recall = scores.precision_recall(real, fake, 3, real_radii=radii[3])
    density, coverage = scores.density_coverage(real, fake, 5, real_radii=radii[5])
    return radii, (precision, recall, density, coverage)


def run(variant, real, fake):
    """`(seconds, results)` of `score` with `variant`'s distance code in the scores module."""
    current = scores._ball_membership_counts, scores.kth_neighbour_radii
    if variant == "baseline":
        scores._ball_membership_counts = _baseline_ball_membership_counts
        scores.kth_neighbour_radii = _baseline_kth_neighbour_radii
    try:
        start = time.perf_counter()
        results = score(real, fake)
        return time.perf_counter() - start, results
    finally:
        scores._ball_membership_counts, scores.kth_neighbour_radii = current


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data",
                                                       "mnist"))
    parser.add_argument("--fake", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    extract = get_extractor("mnist")
    test_images, _ = data.load_arrays(args.data, split="test")
    train_images, _ = data.load_arrays(args.data, split="train")
    real = extract(to_unit_range(test_images).numpy())[0].astype(np.float64)
    fake = extract(to_unit_range(train_images[: args.fake]).numpy())[0].astype(np.float64)
    print(f"reference {real.shape}, generated {fake.shape}")

    seconds, outputs = {"baseline": [], "in_place": []}, {}
    for repeat in range(args.repeats):
        for variant in seconds:
            elapsed, outputs[variant] = run(variant, real, fake)
            seconds[variant].append(elapsed)
            print(f"repeat {repeat}  {variant:9s} {elapsed:6.2f} s", flush=True)
    (base_radii, base_values), (radii, values) = outputs["baseline"], outputs["in_place"]
    identical = values == base_values and all(
        np.array_equal(radii[k], base_radii[k]) for k in radii)
    best = {variant: min(times) for variant, times in seconds.items()}
    ratio = best["baseline"] / best["in_place"]
    print(f"best: baseline {best['baseline']:.2f} s, in place {best['in_place']:.2f} s; "
          f"speed-up {ratio:.2f}x; results bit for bit identical: {identical}")
    print("precision, recall, density, coverage:", [round(v, 4) for v in values])
    write_json_atomic(RESULTS, {"args": vars(args), "seconds": seconds, "best": best,
                                "speedup": ratio, "identical": identical,
                                "precision_recall_density_coverage": values})
    if not identical:
        raise SystemExit("the in-place code gave different results from the baseline")


if __name__ == "__main__":
    main()
