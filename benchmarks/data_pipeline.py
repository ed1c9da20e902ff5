"""Epoch starts in `fit`: the package's pipeline (tf.data autotuning off) against autotuning on.

`fit` makes a new iterator over the dataset every epoch. With tf.data's autotuning model on (its
default, and `keras_gen.data`'s until this benchmark), deleting the last epoch's iterator waited
for the model's optimization thread now and then, which stalled the start of that epoch. Short
epochs, the README's `keras-gen train dcgan` on the bundled digits (22 steps) and `keras-gen
finetune` on 1,000 images (15), feel that most. The package's pipeline now turns the model off
(`data.pipeline._without_autotune_model`).

Variants, on the same `data.load` pipeline:
- `package`: as `keras_gen.data.load` returns it.
- `autotune_on`: the same dataset with `options.autotune.enabled = True`, the pipeline before.

Cases (the `dcgan` recipe, batch 64, seed 0; the first epoch, which traces the step, is run
first and not timed):
- `digits`: the bundled digits (1,437 images, 22 steps an epoch), as `keras-gen train dcgan`.
- `fashion_1000`: 1,000 Fashion-MNIST train images (15 steps), as `keras-gen finetune`.
- `mnist_10000`: 10,000 MNIST train images (156 steps), where epochs are long.

Runs alternate (package, autotune_on, package, ...) so machine noise hits both alike; the best of
`--rounds` is the figure the ratio uses, medians are shown beside it. Each epoch's start (from
`on_epoch_begin` to the first batch) is recorded, and the final generator weights of the two
variants are compared: the data order is the same, so they must be bit for bit the same.

Usage:
    python benchmarks/data_pipeline.py [--data ../shared/data] [--rounds 3]
Writes benchmarks/results/data_pipeline.json.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_gen import data, recipes  # noqa: E402
from keras_gen.utils import write_json_atomic  # noqa: E402
from keras_gen.utils.arguments import file_path  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "data_pipeline.json")
DATA = os.path.join(HERE, "..", "..", "shared", "data")
# What counts as a stalled epoch start: a normal one takes ~0.02 s here.
STALL_SECONDS = 0.1


class EpochStarts(keras.callbacks.Callback):
    """Records the seconds from each epoch's start to its first batch."""

    def __init__(self):
        super().__init__()
        self.starts = []

    def on_epoch_begin(self, epoch, logs=None):
        self._began = time.perf_counter()

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.starts.append(time.perf_counter() - self._began)


def cases(data_dir):
    """`{case: (source, limit, epochs)}` for `data.load`."""
    return {
        "digits": ("digits", None, 20),
        "fashion_1000": (os.path.join(data_dir, "fashion_mnist"), 1000, 30),
        "mnist_10000": (os.path.join(data_dir, "mnist"), 10000, 3),
    }


def run(variant, source, limit, epochs):
    """Trains a fresh seeded GAN; returns (seconds, epoch starts, generator weights)."""
    dataset = data.load(source, batch_size=64, seed=0, limit=limit)
    if variant == "autotune_on":
        options = tf.data.Options()
        options.autotune.enabled = True
        dataset = dataset.with_options(options)
    gan = recipes.build_gan("dcgan", image_shape=(28, 28, 1), seed=0)
    gan.fit(dataset, epochs=1, verbose=0)  # traces the step, untimed
    starts = EpochStarts()
    began = time.perf_counter()
    gan.fit(dataset, epochs=1 + epochs, initial_epoch=1, verbose=0, callbacks=[starts])
    return time.perf_counter() - began, starts.starts, gan.generator.get_weights()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=DATA, help="folder with mnist/ and fashion_mnist/")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each variant per case")
    parser.add_argument("--cases", nargs="+", default=list(cases(DATA)), choices=list(cases(DATA)))
    parser.add_argument("--results", type=file_path, default=RESULTS,
                        help="JSON file the results go to")
    args = parser.parse_args()

    results = {}
    for case in args.cases:
        source, limit, epochs = cases(args.data)[case]
        times = {"package": [], "autotune_on": []}
        starts = {"package": [], "autotune_on": []}
        weights = {}
        for round_index in range(args.rounds):
            for variant in times:
                seconds, epoch_starts, weights[variant] = run(variant, source, limit, epochs)
                times[variant].append(seconds)
                starts[variant] += epoch_starts
                print(f"{case:<13} round {round_index}  {variant:<12} {seconds:7.2f} s  "
                      f"stalled starts {sum(s > STALL_SECONDS for s in epoch_starts)}/{epochs}",
                      flush=True)
        same = all(np.array_equal(a, b)
                   for a, b in zip(weights["package"], weights["autotune_on"]))
        results[case] = {
            "epochs": epochs,
            "seconds": times,
            "best": {variant: min(values) for variant, values in times.items()},
            "median": {variant: statistics.median(values) for variant, values in times.items()},
            "stalled_epoch_starts": {variant: sum(s > STALL_SECONDS for s in values)
                                     for variant, values in starts.items()},
            "epoch_starts_total": len(starts["package"]),
            "longest_epoch_start": {variant: max(values) for variant, values in starts.items()},
            "same_weights": same,
        }
        results[case]["speedup_best"] = (results[case]["best"]["autotune_on"]
                                         / results[case]["best"]["package"])
        results[case]["speedup_median"] = (results[case]["median"]["autotune_on"]
                                           / results[case]["median"]["package"])

    print(f"\n{'case':<13} {'epochs':>6} {'package s (best/median)':>24} "
          f"{'autotune_on s':>15} {'ratio best':>10} {'ratio median':>12} "
          f"{'stalled starts':>16} same weights")
    for case, result in results.items():
        best, median = result["best"], result["median"]
        stalled = result["stalled_epoch_starts"]
        print(f"{case:<13} {result['epochs']:>6} "
              f"{best['package']:>11.2f} / {median['package']:<10.2f}"
              f"{best['autotune_on']:>7.2f} / {median['autotune_on']:<6.2f}"
              f"{result['speedup_best']:>9.3f}x {result['speedup_median']:>11.3f}x "
              f"{stalled['package']:>5} / {stalled['autotune_on']:<3} of "
              f"{result['epoch_starts_total']:<4} {result['same_weights']}")
    write_json_atomic(args.results, {"args": vars(args), "results": results})
    print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
