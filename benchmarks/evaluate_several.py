"""Comparing models: one `keras-gen evaluate A B C D` against one `keras-gen evaluate` per model.

Comparing runs or presets took one process per model, and each computed the reference's features
(and their nearest-neighbour radii) afresh. `keras-gen evaluate` now takes several MODELs and
computes the reference once.

Variants, on MNIST's test split (10,000 images) from ../shared/data, scoring the four MNIST presets
(`dcgan_mnist`, `wgan_gp_mnist`, `cgan_mnist`, `vae_mnist`) with `--num-samples` each:
- `together`: `keras-gen evaluate dcgan_mnist wgan_gp_mnist cgan_mnist vae_mnist ...`, one process.
- `one_by_one`: `keras-gen evaluate <preset> ...` four times, one process each (what a shell loop
  over the models did before).

Both run the installed `keras-gen` as a user does, so each variant's time includes its processes'
start (importing TensorFlow). Each run starts with an empty Keras home, so no reference features
or radii are kept yet (`keras_gen.metrics.feature_cache`): `one_by_one` computes them in its
first process and reads them in the other three, as a shell loop now does. Rounds alternate
(together, one_by_one, ...) so machine noise hits both alike; the best of `--rounds` is the figure
the ratio uses, medians beside it. The two variants' JSON files are compared: every score must be
the same.

Usage:
    python benchmarks/evaluate_several.py [--data ../shared/data] [--num-samples 2000 10000]
        [--rounds 3]
Writes benchmarks/results/evaluate_several.json.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from keras_gen.utils import write_json_atomic

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "evaluate_several.json")
DATA = os.path.join(HERE, "..", "..", "shared", "data")
PRESETS = ["dcgan_mnist", "wgan_gp_mnist", "cgan_mnist", "vae_mnist"]
KEYS_SET_BY_THE_RUN = ("model_file", "dataset")  # the same in both variants, by construction


def keras_gen(*arguments, cwd):
    """Runs the installed `keras-gen` (beside this Python) in `cwd`, with `cwd` as Keras' home;
    returns its seconds."""
    command = [os.path.join(os.path.dirname(sys.executable), "keras-gen"), *arguments]
    began = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_HOME": cwd})
    return time.perf_counter() - began


def scores_in(folder):
    """Each preset's scores as its `<preset>.metrics.json` in `folder` records them."""
    scores = {}
    for preset in PRESETS:
        with open(os.path.join(folder, f"{preset}.metrics.json")) as handle:
            scores[preset] = {key: value for key, value in json.load(handle).items()
                              if key not in KEYS_SET_BY_THE_RUN}
    return scores


def measure(variant, mnist, num_samples, work):
    """One run of `variant` in a fresh folder under `work`; returns (seconds, scores)."""
    folder = tempfile.mkdtemp(dir=work)
    common = ["--dataset", mnist, "--num-samples", str(num_samples)]
    if variant == "together":
        seconds = keras_gen("evaluate", *PRESETS, *common, cwd=folder)
    else:
        seconds = sum(keras_gen("evaluate", preset, *common, cwd=folder) for preset in PRESETS)
    scores = scores_in(folder)
    shutil.rmtree(folder)
    return seconds, scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA, help="folder holding mnist/")
    parser.add_argument("--num-samples", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    mnist = os.path.abspath(os.path.join(args.data, "mnist"))
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for num_samples in args.num_samples:
            runs = {"together": [], "one_by_one": []}
            for _ in range(args.rounds):
                for variant in runs:
                    runs[variant].append(measure(variant, mnist, num_samples, work))
            all_scores = [scores for rows in runs.values() for _, scores in rows]
            summary = {variant: {"seconds_best": min(seconds for seconds, _ in rows),
                                 "seconds_median": statistics.median(s for s, _ in rows)}
                       for variant, rows in runs.items()}
            together, alone = summary["together"], summary["one_by_one"]
            summary["time_ratio"] = together["seconds_best"] / alone["seconds_best"]
            summary["same_scores"] = all(scores == all_scores[0] for scores in all_scores)
            summary["fid"] = {preset: all_scores[0][preset]["fid"] for preset in PRESETS}
            results[str(num_samples)] = summary
            print(f"{len(PRESETS)} presets x {num_samples} samples: together "
                  f"{together['seconds_best']:.1f} s ({together['seconds_median']:.1f}), one by "
                  f"one {alone['seconds_best']:.1f} s ({alone['seconds_median']:.1f}); time "
                  f"x{summary['time_ratio']:.2f}, same scores: {summary['same_scores']}")
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    write_json_atomic(RESULTS, {"rounds": args.rounds, "presets": PRESETS,
                                "num_samples": results})
    print(f"Wrote {RESULTS}")


if __name__ == "__main__":
    main()
