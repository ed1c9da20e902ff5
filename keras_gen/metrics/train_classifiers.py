"""Trains the domain classifiers that ship with keras_gen: MNIST, Fashion-MNIST and digits.

Reproducible: fixed seeds, fixed recipe, data read from local IDX files (and scikit-learn's
bundled digits, scanned at 8x8 and upscaled to 28x28 by `keras_gen.data`). Writes
`<out>/<domain>.weights.h5` and records its sha256, test accuracy and recipe in
`<out>/classifiers.json` (both atomically).

Usage:
    python -m keras_gen.metrics.train_classifiers --data ../shared/data
"""

import argparse
import json
import os
import time

import keras

from keras_gen import data, networks
from keras_gen.utils.files import atomic_path, sha256_of, write_json_atomic

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "classifiers")
# Epochs per domain: enough to pass 99% (MNIST), 90% (Fashion-MNIST) and 98% (digits) test
# accuracy. Digits has 1,437 training images, 12 steps an epoch: at 40 epochs the training
# images were all learnt but BatchNorm's moving statistics had not caught up (71% on test).
RECIPE = {"mnist": {"epochs": 6}, "fashion_mnist": {"epochs": 12}, "digits": {"epochs": 100}}
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
SEED = 0


def train_domain(domain, data_root, out_dir, epochs):
    """Trains one domain classifier; returns its metadata entry.

    Args:
        domain: str. `"mnist"` or `"fashion_mnist"` (a folder of IDX files under `data_root`),
            or `"digits"` (bundled with scikit-learn).
        data_root: str. Folder holding `<domain>/` IDX files.
        out_dir: str. Where the weights go.
        epochs: int. Training epochs.

    Example:

    ```python
    train_domain("mnist", "../shared/data", "/tmp/classifiers", epochs=1)
    ```
    """
    keras.utils.set_random_seed(SEED)
    embedded = domain == data.EMBEDDED_DATASET  # digits come with scikit-learn: no folder
    folder = domain if embedded else os.path.join(data_root, domain)
    source = "scikit-learn's bundled digits" if embedded else "IDX"
    train = data.load(folder, split="train", batch_size=BATCH_SIZE, seed=SEED,
                      drop_remainder=False)
    test = data.load(folder, split="test", batch_size=512, shuffle=False, drop_remainder=False)
    model = networks.domain_classifier((28, 28, 1), 10)
    # Cosine decay to 0 settles the weights by the last epoch, so the shipped
    # accuracy is not a lucky or unlucky epoch of a noisy constant-rate run.
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE,
                                                      decay_steps=epochs * len(train))
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.time()
    model.fit(train, epochs=epochs, validation_data=test, verbose=2, shuffle=False)
    seconds = time.time() - start
    _, accuracy = model.evaluate(test, verbose=0)
    path = os.path.join(out_dir, f"{domain}.weights.h5")
    with atomic_path(path) as temporary:
        model.save_weights(temporary)
    return {
        "file": os.path.basename(path), "sha256": sha256_of(path),
        "test_accuracy": round(float(accuracy), 4), "num_params": int(model.count_params()),
        "recipe": {"epochs": epochs, "batch_size": BATCH_SIZE, "optimizer": "Adam",
                   "learning_rate": f"cosine decay from {LEARNING_RATE} to 0", "seed": SEED},
        "training_seconds": round(seconds, 1),
        "trained_on": f"{domain} train split ({source})",
        "keras": keras.__version__,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="folder with mnist/ and fashion_mnist/")
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--domains", nargs="+", default=sorted(RECIPE), choices=sorted(RECIPE))
    args = parser.parse_args(argv)
    if not os.path.isdir(args.data):  # else a DataError traceback once the first one trains
        parser.error(f"--data {args.data!r} is not a folder; pass the one that holds mnist/ "
                     "and fashion_mnist/ (../shared/data in this repository's layout).")
    os.makedirs(args.out, exist_ok=True)
    index_path = os.path.join(args.out, "classifiers.json")
    index = {}
    if os.path.exists(index_path):
        with open(index_path) as handle:
            index = json.load(handle)
    for domain in args.domains:
        index[domain] = train_domain(domain, args.data, args.out, RECIPE[domain]["epochs"])
        write_json_atomic(index_path, index)
        print(domain, json.dumps(index[domain]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
