"""A reference read from the cache against computed afresh, as every evaluate did.

`ReferenceStatistics` passed the reference images through the feature extractor, and computed
their neighbour radii, at every `keras-gen evaluate` and `finetune --monitor-every`. It now keeps
both in Keras' home (`keras_gen.metrics.feature_cache`), keyed by the images' bytes and the
extractor's weights.

Setups, on MNIST's test split from ../shared/data:
- `mnist_classifier`: all 10,000 images in the shipped MNIST classifier's features.
- `inception`: `--inception-images` of them (1,000) in InceptionV3's. Its weights are random,
  saved to a temporary file: the same network and work as ImageNet's, which are not downloaded.

Variants, each building `ReferenceStatistics` from images already in memory (its extractor
included, as a command builds it) and its radii for k = 3 and 5 (what `evaluate` uses):
- `computed`: `cache=False`, what every call did before.
- `cached`: the default, with the features already kept (the second and later calls).
The first call with the cache (computed, hashed and written) is timed once as `first_use`,
after an untimed warm-up call.
Rounds alternate (computed, cached, ...) so machine noise hits both alike; the best of `--rounds`
is the figure the ratio uses, medians beside it. Both variants' features must be equal.

Usage:
    python benchmarks/reference_cache.py [--data ../shared/data] [--inception-images 1000]
        [--rounds 3]
Writes benchmarks/results/reference_cache.json.
"""

import argparse
import os
import statistics
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "reference_cache.json")
DATA = os.path.join(HERE, "..", "..", "shared", "data")


def timed(build):
    began = time.perf_counter()
    reference = build()
    return time.perf_counter() - began, reference


def measure(images, labels, domain, weights, rounds):
    """Times one setup; returns its row of the results."""
    import numpy as np

    from keras_gen import metrics

    def build(cache):
        reference = metrics.ReferenceStatistics(images, domain, labels,
                                                inception_weights=weights, cache=cache)
        for k in (3, 5):  # evaluate's precision/recall and density/coverage
            reference.neighbour_radii(k)
        return reference

    build(False)  # warm-up, untimed: the first build of a network traces and allocates
    first_use, kept = timed(lambda: build(True))
    times = {"computed": [], "cached": []}
    for _ in range(rounds):
        for variant in times:
            seconds, reference = timed(lambda: build(variant == "cached"))
            times[variant].append(seconds)
            if not np.array_equal(reference.features, kept.features):
                raise AssertionError(f"{variant} features differ from the first call's")
    best = {variant: min(values) for variant, values in times.items()}
    return {"images": len(images), "domain": domain, "first_use_seconds": first_use,
            **{f"{variant}_best_seconds": value for variant, value in best.items()},
            **{f"{variant}_median_seconds": statistics.median(values)
               for variant, values in times.items()},
            "ratio_cached_to_computed": best["cached"] / best["computed"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--inception-images", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # An empty Keras home: the run starts cold and leaves nothing in the user's ~/.keras.
    home = tempfile.mkdtemp(prefix="reference_cache_")
    os.environ["KERAS_HOME"] = home

    import keras

    from keras_gen import data
    from keras_gen.data.transforms import to_unit_range
    from keras_gen.utils import write_json_atomic

    images, labels = data.load_arrays(os.path.join(args.data, "mnist"), split="test")
    images = to_unit_range(images).numpy()
    weights = os.path.join(home, "inception_random.weights.h5")
    keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg",
                                   input_shape=(299, 299, 3)).save_weights(weights)
    count = args.inception_images
    rows = {"mnist_classifier": measure(images, labels, "mnist", None, args.rounds),
            "inception": measure(images[:count], labels[:count], "inception", weights,
                                 args.rounds)}
    print(f"{'setup':<18}{'images':>7}{'computed s':>12}{'cached s':>10}{'first use s':>13}"
          f"{'ratio':>8}")
    for name, row in rows.items():
        print(f"{name:<18}{row['images']:>7}{row['computed_best_seconds']:>12.2f}"
              f"{row['cached_best_seconds']:>10.2f}{row['first_use_seconds']:>13.2f}"
              f"{row['ratio_cached_to_computed']:>7.3f}x")
    write_json_atomic(RESULTS, {"rounds": args.rounds, "setups": rows,
                                "note": "best of the alternating rounds; medians beside"})
    print(f"Wrote {RESULTS}")


if __name__ == "__main__":
    main()
