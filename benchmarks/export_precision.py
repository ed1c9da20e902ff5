"""Serving a model trained in mixed_bfloat16: its SavedModel in bfloat16 against float32.

`keras-gen export` writes a model in the dtype policy it was trained in; `--precision float32`
exports the same weights to compute in float32. This benchmark exports the `dcgan_mnist`
preset's weights both ways (`from_preset(dtype=...)`, the path `export --precision` takes) and
times `serving_default` through the session loader (`keras_gen.export.SessionModel`, the path
`keras-gen serve` and TF Serving take) at batch 1 and 64, rounds alternating between the two
exports after an untimed warm-up; best and median per case, and bfloat16's time over float32's.

Each CPU setting runs in a fresh process, as oneDNN reads `ONEDNN_MAX_CPU_ISA` once:
- `default`: this machine as it is (its CPU has AVX512-BF16 and AMX, which oneDNN uses for
  bfloat16).
- `AVX512_CORE`: oneDNN limited to AVX-512 without BF16 or AMX, as on CPUs without them
  (Skylake to Ice Lake servers, AMD before Zen 4): bfloat16 is emulated. An emulation on this
  machine, not such a CPU.
`AVX2` cannot be measured this way: TensorFlow still sends bfloat16 to oneDNN, which then has no
bfloat16 matmul and aborts the process.

Usage:
    python benchmarks/export_precision.py [--rounds 30] [--isas default AVX512_CORE]
Writes benchmarks/results/export_precision.json.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "export_precision.json")
PRESET = "dcgan_mnist"
POLICIES = ("float32", "mixed_bfloat16")  # the first is the baseline
BATCH_SIZES = (1, 64)


def export_both(folder):
    """Exports `PRESET` computing in each of `POLICIES`; returns `{policy: version path}`."""
    from keras_gen import export, presets

    return {policy: export.export_saved_model(presets.load_preset(PRESET, dtype=policy),
                                              os.path.join(folder, policy))
            for policy in POLICIES}


def time_exports(paths, rounds):
    """`{policy: {batch: [seconds per call, ...]}}`, calls alternating between the exports."""
    import numpy as np

    from keras_gen.export import SessionModel

    models = {policy: SessionModel(path) for policy, path in paths.items()}
    latent_dim = models[POLICIES[0]].input_specs("serving_default")["z"].shape[-1]
    inputs = {batch: {"z": np.random.default_rng(0).normal(size=(batch, latent_dim))
                      .astype(np.float32)} for batch in BATCH_SIZES}
    seconds = {policy: {batch: [] for batch in BATCH_SIZES} for policy in models}
    for round_number in range(rounds + 1):  # round 0 is the untimed warm-up
        for batch in BATCH_SIZES:
            for policy, model in models.items():
                started = time.perf_counter()
                model.run("serving_default", inputs[batch])
                if round_number:
                    seconds[policy][batch].append(time.perf_counter() - started)
    for model in models.values():
        model.close()
    return seconds


def run_setting(isa, paths, rounds):
    """Times the exports in a fresh process with oneDNN limited to `isa` ("default": not)."""
    env = dict(os.environ)
    env.pop("ONEDNN_MAX_CPU_ISA", None)
    if isa != "default":
        env["ONEDNN_MAX_CPU_ISA"] = isa
    child = subprocess.run([sys.executable, __file__, "--child", json.dumps(paths),
                            "--rounds", str(rounds)], env=env, capture_output=True, text=True)
    if child.returncode:
        raise RuntimeError(f"{isa}: the timing process failed ({child.returncode}):\n"
                           f"{child.stderr[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def summarize(seconds):
    """`{policy: {batch: {"best_ms", "median_ms", "best_ratio", "median_ratio"}}}`."""
    rows = {policy: {batch: {"best_ms": 1e3 * min(times),
                             "median_ms": 1e3 * statistics.median(times)}
                     for batch, times in by_batch.items()}
            for policy, by_batch in seconds.items()}
    for by_batch in rows.values():
        for batch, row in by_batch.items():
            baseline = rows[POLICIES[0]][batch]
            row["best_ratio"] = row["best_ms"] / baseline["best_ms"]
            row["median_ratio"] = row["median_ms"] / baseline["median_ms"]
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed calls per case")
    parser.add_argument("--isas", nargs="+", default=["default", "AVX512_CORE"],
                        help="oneDNN CPU settings (ONEDNN_MAX_CPU_ISA), 'default' for none")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # {policy: path}, JSON
    args = parser.parse_args()
    if args.child:
        seconds = time_exports(json.loads(args.child), args.rounds)
        print(json.dumps({policy: {str(batch): times for batch, times in by_batch.items()}
                          for policy, by_batch in seconds.items()}))
        return

    from keras_gen.utils import write_json_atomic

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        paths = export_both(folder)
        for isa in args.isas:
            results[isa] = summarize(run_setting(isa, paths, args.rounds))
    print(f"\nserving_default through the session loader, {PRESET}'s generator; best (median) "
          f"of {args.rounds} calls; ratio: mixed_bfloat16's time over float32's")
    header = "".join(f"{'batch ' + str(batch):>26}" for batch in BATCH_SIZES)
    print(f"{'oneDNN ISA':<14}{'policy':<16}{header}")
    for isa, rows in results.items():
        for policy, by_batch in rows.items():
            cells = [f"{row['best_ms']:.2f} ({row['median_ms']:.2f}) ms {row['best_ratio']:.2f}x"
                     for row in by_batch.values()]
            print(f"{isa:<14}{policy:<16}" + "".join(f"{cell:>26}" for cell in cells))
    write_json_atomic(RESULTS, {"args": vars(args), "preset": PRESET, "results": results})
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
