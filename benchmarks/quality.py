"""Sample quality at equal training budget: the project's DCGAN recipe against the TF tutorial's.

Three contenders train on MNIST (../shared/data/mnist) for the same budget, in one run:

- `project`: `keras_gen.recipes.build_gan("dcgan")` trained with `GAN.fit` (CLI defaults:
  latent 64, width 32, batch 64, EMA generator).
- `tutorial_adam1e-4`: the networks and plain `GradientTape` loop of TensorFlow's DCGAN tutorial
  (batch 256, noise 100, simultaneous updates, cross-entropy) with the tutorial's Adam(1e-4).
- `tutorial_adam2e-4_b0.5`: the same with the DCGAN paper's Adam(2e-4, beta_1=0.5).

A GAN's FID swings between checkpoints, so each run is scored at several points of its budget
(default 20%, 50% and 100%) and with several seeds. Scores use `keras_gen.metrics.evaluate` with
the shipped MNIST classifier's features (5,000 samples against the 10,000 test images). The
headline is the project's mean FID over checkpoints and seeds divided by the stronger baseline's
(target <= 0.75).

Budget clock: `--clock wall` (default) counts wall-clock seconds of training; `--clock cpu`
counts this process's CPU seconds, which stays fair when other work shares the machine. Sampling
and scoring are never counted. Contenders run interleaved per seed.

Usage:
    python benchmarks/quality.py [--budget-minutes 10] [--seeds 0 1] [--clock wall]
Writes benchmarks/results/quality.json, after every run (`"complete"` is false until the last).
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import sys  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tutorial_dcgan import make_tutorial_step, tutorial_networks  # noqa: E402

from keras_gen import data, metrics, recipes  # noqa: E402
from keras_gen.data.transforms import to_unit_range  # noqa: E402
from keras_gen.utils import write_json_atomic  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "data", "mnist")
RESULTS = os.path.join(HERE, "results", "quality.json")
METRICS = ("fid", "kid", "precision", "recall", "coverage", "classes_covered")


class Clock:
    """A stopwatch over wall or process CPU time that can be paused (for sampling and scoring)."""

    def __init__(self, kind):
        self.now = time.perf_counter if kind == "wall" else time.process_time
        self.spent, self.started = 0.0, None

    def start(self):
        self.started = self.now()

    def pause(self):
        self.spent += self.now() - self.started
        self.started = None

    def elapsed(self):
        return self.spent + (self.now() - self.started if self.started is not None else 0.0)


def train_tutorial(images, seed, optimizer_kwargs, budget, checkpoints, clock, sample):
    """The tutorial's loop; calls `sample(generate_fn)` at each checkpoint fraction of `budget`."""
    keras.utils.set_random_seed(seed)
    generator, discriminator = tutorial_networks()
    g_opt = keras.optimizers.Adam(**optimizer_kwargs)
    d_opt = keras.optimizers.Adam(**optimizer_kwargs)
    train_step = make_tutorial_step(generator, discriminator, g_opt, d_opt, 100)

    def generate(n, sample_seed):
        z = tf.random.stateless_normal((n, 100), seed=[sample_seed, 0])
        return np.concatenate([generator(z[i:i + 500], training=False).numpy()
                               for i in range(0, n, 500)])

    dataset = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=seed)
    dataset = dataset.batch(256, drop_remainder=True).repeat().prefetch(tf.data.AUTOTUNE)
    return _run_until(lambda batch: train_step(batch)[0].numpy(), iter(dataset), budget,
                      checkpoints,
                      clock, lambda: sample(generate))


def train_project(images, seed, budget, checkpoints, clock, sample):
    """The project's default recipe through `GAN.fit`, stopped by the budget."""
    gan = recipes.build_gan("dcgan", image_shape=(28, 28, 1), latent_dim=64, width=32, seed=seed)
    dataset = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=seed)
    dataset = dataset.batch(64, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    results, pending = [], list(checkpoints)

    class Budget(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if pending and clock.elapsed() >= pending[0] * budget:
                clock.pause()
                results.append(dict(sample(lambda n, s: gan.generate(n, seed=s)),
                                    fraction=pending.pop(0),
                                    steps=int(gan.g_optimizer.iterations)))
                clock.start()
            if not pending:
                self.model.stop_training = True

    clock.start()
    gan.fit(dataset, epochs=10_000, verbose=0, shuffle=False, callbacks=[Budget()])
    clock.pause()
    return results


def _run_until(step, iterator, budget, checkpoints, clock, sample):
    results, pending, steps = [], list(checkpoints), 0
    clock.start()
    while pending:
        step(next(iterator))
        steps += 1
        if clock.elapsed() >= pending[0] * budget:
            clock.pause()
            results.append(dict(sample(), fraction=pending.pop(0), steps=steps))
            clock.start()
    clock.pause()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget-minutes", type=float, default=10.0)
    parser.add_argument("--checkpoints", type=float, nargs="+", default=[0.2, 0.5, 1.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--num-samples", type=int, default=5000)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    parser.add_argument("--data", default=MNIST)
    args = parser.parse_args()

    train_images = to_unit_range(data.load_arrays(args.data, split="train")[0]).numpy()
    test_images, test_labels = data.load_arrays(args.data, split="test")
    reference = metrics.ReferenceStatistics(to_unit_range(test_images).numpy(), "mnist",
                                            test_labels)
    budget = args.budget_minutes * 60

    def sample(generate):
        scores = metrics.evaluate(generate(args.num_samples, 1234), reference, kid_subsets=20)
        return {key: scores[key] for key in METRICS}

    contenders = {
        "project": lambda seed, clock: train_project(train_images, seed, budget, args.checkpoints,
                                                     clock, sample),
        "tutorial_adam1e-4": lambda seed, clock: train_tutorial(
            train_images, seed, {"learning_rate": 1e-4}, budget, args.checkpoints, clock, sample),
        "tutorial_adam2e-4_b0.5": lambda seed, clock: train_tutorial(
            train_images, seed, {"learning_rate": 2e-4, "beta_1": 0.5}, budget, args.checkpoints,
            clock, sample),
    }
    runs = {name: [] for name in contenders}
    for seed in args.seeds:
        for name, train in contenders.items():
            checkpoints = train(seed, Clock(args.clock))
            runs[name].append({"seed": seed, "checkpoints": checkpoints})
            print(name, "seed", seed, [(c["fraction"], c["steps"], round(c["fid"], 3))
                                       for c in checkpoints], flush=True)
            # After every run (each takes the budget): one stopped late kept nothing.
            write_json_atomic(RESULTS, {"args": vars(args), "runs": runs, "complete": False})

    summary = {name: {key: statistics.mean(c[key] for run in seed_runs for c in run["checkpoints"])
                      for key in METRICS} for name, seed_runs in runs.items()}
    for name, seed_runs in runs.items():
        summary[name]["final_fid_per_seed"] = [run["checkpoints"][-1]["fid"] for run in seed_runs]
    stronger = min(("tutorial_adam1e-4", "tutorial_adam2e-4_b0.5"),
                   key=lambda n: summary[n]["fid"])
    ratio = summary["project"]["fid"] / summary[stronger]["fid"]

    print(f"\nbudget {args.budget_minutes} min ({args.clock} clock) per run, checkpoints "
          f"{args.checkpoints}, seeds {args.seeds}, {args.num_samples} samples vs MNIST test")
    print(f"{'contender':<24}" + "".join(f"{key:>16}" for key in METRICS))
    for name, row in summary.items():
        print(f"{name:<24}" + "".join(f"{row[key]:>16.4f}" for key in METRICS))
    print(f"mean FID ratio project / {stronger}: {ratio:.3f} (target <= 0.75)")
    write_json_atomic(RESULTS, {"args": vars(args), "runs": runs, "summary": summary,
                                "stronger_baseline": stronger, "fid_ratio": ratio,
                                "complete": True})
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
