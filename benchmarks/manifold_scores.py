"""Precision, recall, density and coverage in one pass against the two functions' three passes.

`metrics.evaluate` scored precision and recall with `precision_recall` and density and coverage
with `density_coverage`. Each goes through every distance between the reference and the
generated features: precision from the reference's side, recall again from the generated side,
density and coverage a third time. With the reference's radii kept (`ReferenceStatistics`, on
disk by `feature_cache`), those passes were most of an `evaluate`. `manifold_scores` makes one.

Setup: MNIST's 10,000 test images are the reference, in the shipped MNIST classifier's features,
with their radii for k = 3 and 5 computed beforehand, as a cached reference has them; `--fake`
train images (10,000, `keras-gen evaluate`'s default sample count; taken from each class in turn,
as `--limit` takes them) stand in for generated ones.

Variants:
- `separate`: `precision_recall(k=3)` and `density_coverage(k=5)`, as `evaluate` called them.
- `one_pass`: `manifold_scores(k=3, density_k=5)`.
Two levels are timed: the four scores alone, and the whole `metrics.evaluate` of the images
against the reference (features, FID, KID, the four scores, inception score, classes), with the
separate functions put back into it for `separate`. Rounds alternate, so machine noise hits both
alike; the best of `--rounds` is the figure the ratio uses, medians beside it. The scores must be
the same in both, bit for bit; the benchmark fails otherwise.

Usage:
    python benchmarks/manifold_scores.py [--data ../shared/data/mnist] [--fake 10000]
        [--rounds 3]
Writes benchmarks/results/manifold_scores.json.
"""

import argparse
import importlib
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_gen import data, metrics  # noqa: E402
from keras_gen.data.transforms import to_unit_range  # noqa: E402
from keras_gen.utils import write_json_atomic  # noqa: E402

# The module, not the function `metrics.evaluate` that its name is shadowed by.
evaluate_module = importlib.import_module("keras_gen.metrics.evaluate")

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "manifold_scores.json")


def separate(real, fake, k=3, density_k=None, real_radii=None, density_radii=None):
    """The four scores as `evaluate` computed them before: two functions, three passes."""
    precision, recall = metrics.precision_recall(real, fake, k, real_radii)
    density, coverage = metrics.density_coverage(real, fake, density_k, density_radii)
    return {"precision": precision, "recall": recall, "density": density, "coverage": coverage}


VARIANTS = {"separate": separate, "one_pass": metrics.manifold_scores}


def timed(call):
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


def run_rounds(rounds, call):
    """`{variant: [seconds]}` and each variant's last result; `call(variant)` is timed."""
    seconds, results = {variant: [] for variant in VARIANTS}, {}
    for round_index in range(rounds):
        for variant in VARIANTS:
            elapsed, results[variant] = timed(lambda: call(variant))
            seconds[variant].append(elapsed)
            print(f"  round {round_index}  {variant:9s} {elapsed:6.2f} s", flush=True)
    return seconds, results


def summary(name, seconds):
    best = {variant: min(times) for variant, times in seconds.items()}
    median = {variant: statistics.median(times) for variant, times in seconds.items()}
    ratio = best["one_pass"] / best["separate"]
    print(f"{name}: separate {best['separate']:.2f} s (median {median['separate']:.2f}), "
          f"one pass {best['one_pass']:.2f} s (median {median['one_pass']:.2f}): "
          f"{ratio:.2f}x the time")
    return {"seconds": seconds, "best": best, "median": median, "time_ratio": ratio}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data",
                                                       "mnist"))
    parser.add_argument("--fake", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    test_images, test_labels = data.load_arrays(args.data, split="test")
    train_images, _ = data.load_arrays(args.data, split="train", limit=args.fake)
    reference = metrics.ReferenceStatistics(to_unit_range(test_images).numpy(), "mnist",
                                            test_labels, cache=False)
    radii = {k: reference.neighbour_radii(k) for k in (3, 5)}
    generated = to_unit_range(train_images).numpy()
    fake = reference.extractor(generated)[0]
    print(f"reference {reference.features.shape}, generated {fake.shape}")

    print("the four scores:")
    scores_seconds, scores = run_rounds(args.rounds, lambda variant: VARIANTS[variant](
        reference.features, fake, 3, 5, radii[3], radii[5]))

    def evaluate(variant):
        # evaluate calls the name it imported: swapped for the run, put back after.
        original = evaluate_module.manifold_scores
        evaluate_module.manifold_scores = VARIANTS[variant]
        try:
            return metrics.evaluate(generated, reference)
        finally:
            evaluate_module.manifold_scores = original

    print("metrics.evaluate:")
    evaluate("one_pass")  # warm-up, untimed: the extractor's first predict
    evaluate_seconds, evaluated = run_rounds(args.rounds, evaluate)
    identical = scores["separate"] == scores["one_pass"] and (
        evaluated["separate"] == evaluated["one_pass"])
    results = {"args": vars(args), "scores": summary("the four scores", scores_seconds),
               "evaluate": summary("metrics.evaluate", evaluate_seconds),
               "identical": identical, "values": scores["one_pass"]}
    print(f"scores bit for bit identical: {identical};",
          {name: round(value, 4) for name, value in scores["one_pass"].items()})
    write_json_atomic(RESULTS, results)
    if not identical:
        raise SystemExit(f"the one pass gave other scores: {scores} / {evaluated}")


if __name__ == "__main__":
    main()
