"""Trains, scores and saves the shipped presets (reproducible: fixed seeds and recipes).

Usage:
    python -m keras_gen.presets.train --data ../shared/data [--presets dcgan_mnist ...]
        [--export saved_models] [--epochs 20 --out my_presets]

Each preset trains its recipe on the train split of `--data/<dataset>`, is scored with
`keras_gen.metrics.evaluate` (10,000 samples; the shipped domain classifier; the test split as
reference) and is written to `keras_gen/presets/<name>/` with its metadata.
"""

import argparse
import os
import time

import numpy as np

from keras_gen import data, export, metrics, recipes
from keras_gen.data.sources import CLASS_NAMES
from keras_gen.data.transforms import to_unit_range
from keras_gen.presets.io import PRESETS_DIR, save_preset
from keras_gen.utils.arguments import positive_int

PRESET_RECIPES = {
    "dcgan_mnist": {"recipe": "dcgan", "dataset": "mnist", "epochs": 5},
    "dcgan_fashion_mnist": {"recipe": "dcgan", "dataset": "fashion_mnist", "epochs": 5},
    "cgan_mnist": {"recipe": "cgan", "dataset": "mnist", "epochs": 4},
    "cgan_fashion_mnist": {"recipe": "cgan", "dataset": "fashion_mnist", "epochs": 4},
    "wgan_gp_mnist": {"recipe": "wgan_gp", "dataset": "mnist", "epochs": 4},
    "vae_mnist": {"recipe": "vae", "dataset": "mnist", "epochs": 5},
}
SEED, BATCH_SIZE, NUM_SAMPLES = 0, 64, 10_000


def _build(recipe, dataset):
    if recipe in recipes.VAE_RECIPES:
        return recipes.build_vae(recipe, image_shape=(28, 28, 1), latent_dim=16, width=32,
                                 seed=SEED)
    # A conditional preset names its classes: `sample cgan_fashion_mnist --label Sneaker`.
    conditional = recipes.RECIPES[recipe].get("head") is not None
    return recipes.build_gan(recipe, image_shape=(28, 28, 1), latent_dim=64, width=32, seed=SEED,
                             num_classes=10 if conditional else None,
                             class_names=CLASS_NAMES[dataset] if conditional else None)


def preset_spec(name, epochs=None):
    """The recipe of preset `name` (a copy), with `epochs` overriding its own if given.

    Args:
        name: str. A key of `PRESET_RECIPES`.
        epochs: optional int. Replaces the recipe's epochs.

    Example:

    ```python
    preset_spec("dcgan_mnist", epochs=20)  # {"recipe": "dcgan", "dataset": "mnist", "epochs": 20}
    ```
    """
    spec = dict(PRESET_RECIPES[name])
    if epochs is not None:
        spec["epochs"] = epochs
    return spec


def train_preset(name, data_root, out_dir=PRESETS_DIR, epochs=None):
    """Trains one preset and writes its folder; returns the model and its metadata.

    Args:
        name: str. A key of `PRESET_RECIPES`.
        data_root: str. Folder with `mnist/` and `fashion_mnist/` (IDX files).
        out_dir: str. The preset is written to `out_dir/name`.
        epochs: optional int. Overrides the recipe's epochs (e.g. to study how a
            longer-trained source transfers); the metadata records what was used.

    Example:

    ```python
    train_preset("dcgan_mnist", "../shared/data")
    ```
    """
    spec = preset_spec(name, epochs)
    folder = os.path.join(data_root, spec["dataset"])
    train = data.load(folder, batch_size=BATCH_SIZE, seed=SEED)
    model = _build(spec["recipe"], spec["dataset"])
    start = time.time()
    model.fit(train, epochs=spec["epochs"], verbose=2)
    seconds = time.time() - start
    test_images, test_labels = data.load_arrays(folder, split="test")
    reference = metrics.ReferenceStatistics(to_unit_range(test_images).numpy(), spec["dataset"],
                                            test_labels)
    # A conditional model's samples: 1,000 per class in blocks, its accuracy scored.
    scores = metrics.evaluate_model(model, NUM_SAMPLES, reference, seed=SEED)
    if hasattr(model, "reconstruct"):
        held_out = to_unit_range(test_images[:1000]).numpy()
        error = model.reconstruct(held_out) - held_out
        scores["reconstruction_mse"] = float(np.mean(error ** 2))
    metadata = {
        "description": f"{spec['recipe']} recipe trained on {spec['dataset']} (28x28x1)",
        "dataset": spec["dataset"], "image_shape": [28, 28, 1],
        "recipe": {**spec, "batch_size": BATCH_SIZE, "seed": SEED},
        "training_seconds": round(seconds, 1), "training_machine": "2 CPU cores",
        "metrics": {k: (round(v, 5) if isinstance(v, float) else v) for k, v in scores.items()},
        "metrics_note": f"keras_gen.metrics.evaluate, {NUM_SAMPLES} samples vs the test split, "
                        f"{spec['dataset']} classifier features (not InceptionV3)",
    }
    metadata = save_preset(model, os.path.join(out_dir, name), metadata)
    return model, metadata


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="folder with mnist/ and fashion_mnist/")
    parser.add_argument("--presets", nargs="+", default=sorted(PRESET_RECIPES),
                        choices=sorted(PRESET_RECIPES))
    parser.add_argument("--export", help="also export each preset into this saved_models folder")
    parser.add_argument("--epochs", type=positive_int,
                        help="override every recipe's epochs (needs --out)")
    parser.add_argument("--out", default=PRESETS_DIR, help="folder to write the presets into")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.data):  # else a DataError traceback once the first one trains
        parser.error(f"--data {args.data!r} is not a folder; pass the one that holds mnist/ "
                     "and fashion_mnist/ (../shared/data in this repository's layout).")
    # The shipped presets are what their recipes and metadata say; a changed recipe goes elsewhere.
    if args.epochs is not None and os.path.abspath(args.out) == os.path.abspath(PRESETS_DIR):
        parser.error("--epochs changes the shipped recipes; pass --out DIR to write these "
                     "presets somewhere other than the package's own presets folder.")
    for name in args.presets:
        model, metadata = train_preset(name, args.data, out_dir=args.out, epochs=args.epochs)
        print(name, metadata["metrics"], flush=True)
        if args.export:
            export.export_saved_model(model, os.path.join(args.export, name))
            export.write_models_config(args.export)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
