"""Mixed precision: the DCGAN recipe trained in `mixed_bfloat16` against `float32`, in one run.

Both train the project's `dcgan` recipe (`keras-gen train dcgan`'s settings: latent 64, width 32,
EMA generator) on MNIST (../shared/data/mnist); only Keras' dtype policy differs (`keras-gen train
--precision`, `keras_gen.utils.dtype_policy`). Two parts:

- Speed: `fit` images/s per policy and batch size, from short timed runs that alternate between
  the policies (round robin, after an untimed warm-up that holds the tracing). Step times on a
  shared 2-core machine are bimodal (a slow mode any run can fall into), so the best run is the
  figure and the median is shown beside it; the ratio is mixed_bfloat16's over float32's.
- Quality at equal steps: each policy trains for --steps batches of 64 from the same seed, data
  order and weights, and is scored at each checkpoint (FID, KID, precision/recall, coverage:
  5,000 samples against the 10,000 test images in the shipped MNIST classifier's features),
  averaged over the seeds. A GAN's FID swings between checkpoints and seeds, so read the ratio of
  the final FIDs against the spread between seeds (printed). Policies run interleaved per seed.

`mixed_float16` can be passed too: it is for GPUs (a CPU has few float16 kernels: far slower).

With `--finetune PRESET` the same two parts fine-tune a preset instead (`keras-gen finetune
--precision`, `from_preset(dtype=...)`): the preset rebuilt in each policy, `prepare_finetune` at
Adam(--learning-rate, default 8e-4, as benchmarks/transfer.py), on the first --limit (default
1,000) training images of --data, scored against its test split in its own domain's classifier.

Usage:
    python benchmarks/precision.py [--steps 1500] [--checkpoints 300 750 1500] [--seeds 0 1]
    python benchmarks/precision.py --finetune dcgan_mnist --data ../shared/data/fashion_mnist
Writes benchmarks/results/precision.json (precision_finetune.json with --finetune), after every
run (`"complete"` is false until the last).
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

from keras_gen import data, metrics, presets, recipes, transfer  # noqa: E402
from keras_gen.data.transforms import to_unit_range  # noqa: E402
from keras_gen.utils import dtype_policy, write_json_atomic  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "data", "mnist")
RESULTS = os.path.join(HERE, "results", "precision.json")
FINETUNE_RESULTS = os.path.join(HERE, "results", "precision_finetune.json")
METRICS = ("fid", "kid", "precision", "recall", "coverage")
BATCH_SIZE = 64


def build(policy, seed):
    """The dcgan recipe, its layers made under `policy`."""
    with dtype_policy(policy):
        return recipes.build_gan("dcgan", image_shape=(28, 28, 1), latent_dim=64, width=32,
                                 seed=seed)


def finetune_builder(preset, learning_rate):
    """`build(policy, seed)` for --finetune: `preset` rebuilt in `policy`, ready to fine-tune."""
    def build_finetune(policy, seed):
        model = presets.load_preset(preset, dtype=policy)
        model.seed = seed  # the training noise's seed; read when `fit` first traces the step
        return transfer.prepare_finetune(model, learning_rate=learning_rate)
    return build_finetune


def batches(images, batch_size, seed):
    dataset = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=seed)
    return dataset.batch(batch_size, drop_remainder=True).repeat().prefetch(2)


def measure_speed(build, policies, images, batch_size, steps, repeats):
    """`{policy: {"best": images/s, "median": images/s}}` of `fit`, runs alternating."""
    dataset = batches(images, batch_size, seed=0)
    gans = {policy: build(policy, seed=0) for policy in policies}
    seconds = {policy: [] for policy in policies}
    for round_number in range(repeats + 1):  # round 0 is the untimed warm-up (tracing)
        for policy, gan in gans.items():
            started = time.perf_counter()
            gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
            if round_number:
                seconds[policy].append(time.perf_counter() - started)
    return {policy: {"best": steps * batch_size / min(times),
                     "median": steps * batch_size / statistics.median(times)}
            for policy, times in seconds.items()}


def train_and_score(build, policy, seed, images, steps_at, score):
    """Trains `build(policy, seed)`; returns its scores at each of `steps_at`."""
    gan = build(policy, seed)
    dataset, checkpoints, done = batches(images, BATCH_SIZE, seed), [], 0
    for target in steps_at:
        gan.fit(dataset, epochs=1, steps_per_epoch=target - done, verbose=0)
        done = target
        checkpoints.append(dict(score(gan), steps=done))
    return checkpoints


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[300, 750, 1500],
                        help="steps at which to score (the last is --steps)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--policies", nargs="+", default=["float32", "mixed_bfloat16"],
                        help="the first is the baseline")
    parser.add_argument("--num-samples", type=int, default=5000)
    parser.add_argument("--speed-batch-sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--speed-steps", type=int, default=30, help="steps per timed run")
    parser.add_argument("--speed-repeats", type=int, default=7, help="timed runs per policy")
    parser.add_argument("--data", default=MNIST)
    parser.add_argument("--domain", default=None,
                        help="classifier whose features score FID (default: --data's name)")
    parser.add_argument("--finetune", metavar="PRESET", default=None,
                        help="fine-tune this preset instead of training the recipe")
    parser.add_argument("--limit", type=int, default=None,
                        help="training images (default: all; 1,000 with --finetune)")
    parser.add_argument("--learning-rate", type=float, default=8e-4, help="with --finetune")
    return parser.parse_args()


def summarize(runs, steps_at, baseline):
    """`{policy: {"fid@N": mean over seeds, ..., "final_fid_ratio": x}}` of `runs`."""
    summary = {}
    for policy, seed_runs in runs.items():
        row = {}
        for index, steps in enumerate(steps_at):
            for key in METRICS:
                row[f"{key}@{steps}"] = statistics.mean(r["checkpoints"][index][key]
                                                        for r in seed_runs)
        row["final_fid_per_seed"] = [r["checkpoints"][-1]["fid"] for r in seed_runs]
        summary[policy] = row
    final = f"fid@{steps_at[-1]}"
    for row in summary.values():
        row["final_fid_ratio"] = row[final] / summary[baseline][final]
    return summary


def print_tables(args, speed, summary, steps_at, num_images, domain):
    print(f"\nspeed: fit images/s, best (median) of {args.speed_repeats} alternating runs of "
          f"{args.speed_steps} steps")
    print(f"{'policy':<18}" + "".join(f"{'batch ' + str(b):>26}" for b in speed))
    for policy in args.policies:
        cells = [f"{row['best']:.0f} ({row['median']:.0f}) {row['best_ratio']:.2f}x"
                 for row in (speed[b][policy] for b in speed)]
        print(f"{policy:<18}" + "".join(f"{cell:>26}" for cell in cells))
    trained = f"{args.finetune} fine-tuned" if args.finetune else "dcgan recipe"
    print(f"\nquality: {trained}, {args.steps} steps of batch {BATCH_SIZE} on {num_images} "
          f"images, seeds {args.seeds}, {args.num_samples} samples vs {domain} test")
    header = "".join(f"{'FID@' + str(steps):>12}" for steps in steps_at)
    print(f"{'policy':<18}{header}{'final KID':>11}{'FID ratio':>11}  final FID per seed")
    for policy, row in summary.items():
        fids = "".join(f"{row[f'fid@{steps}']:>12.3f}" for steps in steps_at)
        print(f"{policy:<18}{fids}{row[f'kid@{args.steps}']:>11.4f}"
              f"{row['final_fid_ratio']:>11.3f}  "
              f"{[round(fid, 3) for fid in row['final_fid_per_seed']]}")


def main():
    args = parse_args()
    steps_at = sorted({step for step in args.checkpoints if step < args.steps} | {args.steps})
    baseline = args.policies[0]
    domain = args.domain or os.path.basename(os.path.normpath(args.data))
    results = FINETUNE_RESULTS if args.finetune else RESULTS
    builder = finetune_builder(args.finetune, args.learning_rate) if args.finetune else build
    limit = args.limit or (1000 if args.finetune else None)

    train_images = to_unit_range(data.load_arrays(args.data, split="train",
                                                  limit=limit)[0]).numpy()
    speed = {}
    for batch_size in args.speed_batch_sizes:
        speed[batch_size] = measure_speed(builder, args.policies, train_images, batch_size,
                                          args.speed_steps, args.speed_repeats)
        for policy, row in speed[batch_size].items():
            for key in ("best", "median"):
                row[f"{key}_ratio"] = row[key] / speed[batch_size][baseline][key]
            print(f"batch {batch_size} {policy}: {row['best']:.0f} images/s best "
                  f"({row['best_ratio']:.2f}x), {row['median']:.0f} median "
                  f"({row['median_ratio']:.2f}x)", flush=True)
        write_json_atomic(results, {"args": vars(args), "speed": speed, "complete": False})

    test_images, test_labels = data.load_arrays(args.data, split="test")
    reference = metrics.ReferenceStatistics(to_unit_range(test_images).numpy(), domain,
                                            test_labels)

    def score(gan):
        scores = metrics.evaluate(gan.generate(args.num_samples, seed=1234), reference,
                                  kid_subsets=20)
        return {key: scores[key] for key in METRICS}

    runs = {policy: [] for policy in args.policies}
    for seed in args.seeds:
        for policy in args.policies:
            checkpoints = train_and_score(builder, policy, seed, train_images, steps_at, score)
            runs[policy].append({"seed": seed, "checkpoints": checkpoints})
            print(policy, "seed", seed, [(c["steps"], round(c["fid"], 3)) for c in checkpoints],
                  flush=True)
            write_json_atomic(results, {"args": vars(args), "speed": speed, "runs": runs,
                                        "complete": False})

    summary = summarize(runs, steps_at, baseline)
    print_tables(args, speed, summary, steps_at, len(train_images), domain)
    write_json_atomic(results, {"args": vars(args), "speed": speed, "runs": runs,
                                "summary": summary, "baseline": baseline, "complete": True})
    print(f"wrote {results}")


if __name__ == "__main__":
    main()
