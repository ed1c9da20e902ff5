"""Reading a prepared TFDS split: the package's reader against TFDS' whole-split read.

`keras_gen.data.load("fashion_mnist")` read a prepared split as TFDS' own loading does, the whole
split as one array (`as_dataset(batch_size=-1, as_supervised=True)`), and resized it afterwards.
That array pads photos of many sizes with black to the largest one's size (`tf_flowers`), and
holds the split at full size while a resize of all of it runs in float32. The package's reader
(`keras_gen.data.tfds_reading.read_prepared`) converts batches of a fixed budget of pixel values
as it reads them.

Variants, on Fashion-MNIST's train split (60,000 images) as TFDS prepares it, from
../shared/data's official files (TFDS' download step handed them, so nothing is fetched):
- `package`: `read_prepared(builder, ..., image_size, channels)`.
- `whole_split`: the read before, then `convert_images` on the whole array.

Cases: `28_grey` (the images as they are) and `64_rgb` (`image_size=64, channels=3`, as for a
64x64 colour network). Each run is its own process, so its peak resident memory (`ru_maxrss`) is
its own; runs alternate (package, whole_split, ...) so machine noise hits both alike. The best of
`--rounds` is the figure the ratios use, medians beside it. The two variants' arrays are compared
by their sha256: they must be the same bytes.

Usage:
    python benchmarks/tfds_reading.py [--data ../shared/data] [--rounds 3]
Writes benchmarks/results/tfds_reading.json.
"""

import argparse
import gzip
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_gen.utils import write_json_atomic  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "tfds_reading.json")
DATA = os.path.join(HERE, "..", "..", "shared", "data")
CASES = {"28_grey": (None, None), "64_rgb": (64, 3)}
FILES = {"train_data": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
         "test_data": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}


def prepare(data, work):
    """Fashion-MNIST as TFDS prepares it, in `work/tfds`, from the official files in `data`."""
    import tensorflow_datasets as tfds

    extracted = {}
    for key, name in FILES.items():  # TFDS' download_and_extract returns the gunzipped files
        extracted[key] = os.path.join(work, name)
        with gzip.open(os.path.join(data, "fashion_mnist", name + ".gz")) as packed, \
                open(extracted[key], "wb") as out:
            out.write(packed.read())
    tfds.download.DownloadManager.download_and_extract = (
        lambda self, urls: {key: extracted[key] for key in urls})
    tfds.builder("fashion_mnist", data_dir=os.path.join(work, "tfds")).download_and_prepare()


def child(variant, case, tfds_dir):
    """One read in this process; prints seconds, peak memory and the arrays' sha256."""
    import tensorflow_datasets as tfds

    from keras_gen.data.tfds_reading import read_prepared
    from keras_gen.data.transforms import convert_images

    image_size, channels = CASES[case]
    builder = tfds.builder("fashion_mnist", data_dir=tfds_dir)
    began = time.perf_counter()
    if variant == "package":
        images, labels = read_prepared(builder, "fashion_mnist", "train", image_size=image_size,
                                       channels=channels)
    else:
        images, labels = tfds.as_numpy(builder.as_dataset(split="train", batch_size=-1,
                                                          as_supervised=True))
        images = convert_images(images, image_size, channels)
        labels = labels.astype("int32")
    seconds = time.perf_counter() - began
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "sha256": digest,
                      "shape": list(images.shape)}))


def run(variant, case, tfds_dir):
    output = subprocess.run([sys.executable, __file__, "--child", variant, case, tfds_dir],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA, help="folder holding fashion_mnist/")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    results = {}
    with tempfile.TemporaryDirectory() as work:
        prepare(args.data, work)
        tfds_dir = os.path.join(work, "tfds")
        for case in CASES:
            runs = {"package": [], "whole_split": []}
            for _ in range(args.rounds):
                for variant in runs:
                    runs[variant].append(run(variant, case, tfds_dir))
            digests = {run_["sha256"] for variant in runs.values() for run_ in variant}
            summary = {variant: {
                "seconds_best": min(r["seconds"] for r in rows),
                "seconds_median": statistics.median(r["seconds"] for r in rows),
                "peak_mb_best": min(r["peak_mb"] for r in rows),
                "peak_mb_median": statistics.median(r["peak_mb"] for r in rows),
                "shape": rows[0]["shape"]} for variant, rows in runs.items()}
            package, whole = summary["package"], summary["whole_split"]
            summary["time_ratio"] = package["seconds_best"] / whole["seconds_best"]
            summary["memory_ratio"] = package["peak_mb_best"] / whole["peak_mb_best"]
            summary["same_arrays"] = len(digests) == 1
            results[case] = summary
            print(f"{case}: package {package['seconds_best']:.2f} s "
                  f"({package['seconds_median']:.2f}), {package['peak_mb_best']:.0f} MB; "
                  f"whole split {whole['seconds_best']:.2f} s ({whole['seconds_median']:.2f}), "
                  f"{whole['peak_mb_best']:.0f} MB; time x{summary['time_ratio']:.2f}, "
                  f"memory x{summary['memory_ratio']:.2f}, same arrays: "
                  f"{summary['same_arrays']}")
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    write_json_atomic(RESULTS, {"rounds": args.rounds, "cases": results})
    print(f"Wrote {RESULTS}")


if __name__ == "__main__":
    main()
