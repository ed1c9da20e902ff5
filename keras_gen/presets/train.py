"""Trains, scores and saves the shipped presets (reproducible: fixed seeds and recipes).

Usage:
    python -m keras_gen.presets.train --data ../shared/data [--presets dcgan_mnist ...]
        [--export saved_models]

Each preset trains its recipe on the train split of `--data/<dataset>`, is scored with
`keras_gen.metrics.evaluate` (10,000 samples; the shipped domain classifier; the test split as
reference) and is written to `keras_gen/presets/<name>/` with its metadata.
"""

import argparse
import os
import time

import numpy as np

from keras_gen import data, export, metrics, recipes
from keras_gen.data.transforms import to_unit_range
from keras_gen.presets.io import PRESETS_DIR, save_preset

PRESET_RECIPES = {
    "dcgan_mnist": {"recipe": "dcgan", "dataset": "mnist", "epochs": 5},
    "dcgan_fashion_mnist": {"recipe": "dcgan", "dataset": "fashion_mnist", "epochs": 5},
    "cgan_mnist": {"recipe": "cgan", "dataset": "mnist", "epochs": 4},
    "cgan_fashion_mnist": {"recipe": "cgan", "dataset": "fashion_mnist", "epochs": 4},
    "wgan_gp_mnist": {"recipe": "wgan_gp", "dataset": "mnist", "epochs": 2},
    "vae_mnist": {"recipe": "vae", "dataset": "mnist", "epochs": 5},
}
SEED, BATCH_SIZE, NUM_SAMPLES = 0, 64, 10_000


def _build(recipe):
    if recipe in recipes.VAE_RECIPES:
        return recipes.build_vae(recipe, image_shape=(28, 28, 1), latent_dim=16, width=32, seed=SEED)
    return recipes.build_gan(recipe, image_shape=(28, 28, 1), latent_dim=64, width=32, seed=SEED,
                             num_classes=10)


def train_preset(name, data_root, out_dir=PRESETS_DIR):
    """Trains one preset and writes its folder; returns its metadata.

    Example:

    ```python
    train_preset("dcgan_mnist", "../shared/data")
    ```
    """
    spec = PRESET_RECIPES[name]
    folder = os.path.join(data_root, spec["dataset"])
    train = data.load(folder, batch_size=BATCH_SIZE, seed=SEED)
    model = _build(spec["recipe"])
    start = time.time()
    model.fit(train, epochs=spec["epochs"], verbose=2, shuffle=False)
    seconds = time.time() - start
    test_images, test_labels = data.load_arrays(folder, split="test")
    reference = metrics.ReferenceStatistics(to_unit_range(test_images).numpy(), spec["dataset"],
                                            test_labels)
    requested = np.repeat(np.arange(10), NUM_SAMPLES // 10)
    if getattr(model, "num_classes", None):
        samples = model.generate(NUM_SAMPLES, labels=requested, seed=SEED)
        scores = metrics.evaluate(samples, reference, requested_labels=requested)
    else:
        scores = metrics.evaluate(model.generate(NUM_SAMPLES, seed=SEED), reference)
    if hasattr(model, "reconstruct"):
        held_out = to_unit_range(test_images[:1000]).numpy()
        scores["reconstruction_mse"] = float(np.mean((model.reconstruct(held_out) - held_out) ** 2))
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
    parser.add_argument("--presets", nargs="+", default=sorted(PRESET_RECIPES))
    parser.add_argument("--export", help="also export each preset into this saved_models folder")
    args = parser.parse_args(argv)
    for name in args.presets:
        model, metadata = train_preset(name, args.data)
        print(name, metadata["metrics"], flush=True)
        if args.export:
            export.export_saved_model(model, os.path.join(args.export, name))
            export.write_models_config(args.export)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
