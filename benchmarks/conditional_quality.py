"""Does a conditional model draw the class it is asked for? Do VAEs reconstruct held-out digits?

Trains the `cgan` and `acgan` recipes on MNIST (../shared/data/mnist) for a few epochs, asks each
for 1,000 images of every class and reports the shipped MNIST classifier's conditional accuracy
(an independent judge: it was trained separately, on real data only) with FID/coverage. Trains the
`vae` recipe on the same data and reports, for 1,000 held-out test digits, how often a
reconstruction is nearer (L2) to its own input than to any other of those digits.

Usage:
    python benchmarks/conditional_quality.py [--epochs 3]
Writes benchmarks/results/conditional_quality.json.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from keras_gen import data, metrics, recipes  # noqa: E402
from keras_gen.data.transforms import to_unit_range  # noqa: E402
from keras_gen.utils import write_json_atomic  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "data", "mnist")
RESULTS = os.path.join(HERE, "results", "conditional_quality.json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--data", default=MNIST)
    args = parser.parse_args()

    train = data.load(args.data, batch_size=64, seed=0)
    test_images, test_labels = data.load_arrays(args.data, split="test")
    test_images = to_unit_range(test_images).numpy()
    reference = metrics.ReferenceStatistics(test_images, "mnist", test_labels)
    results = {"epochs": args.epochs}
    for recipe in ("cgan", "acgan"):
        model = recipes.build_gan(recipe, image_shape=(28, 28, 1), num_classes=10)
        start = time.time()
        model.fit(train, epochs=args.epochs, verbose=2, shuffle=False)
        seconds = time.time() - start
        # 1,000 samples per class in blocks, each scored against its class.
        scores = metrics.evaluate_model(model, 10_000, reference, seed=0, kid_subsets=20)
        results[recipe] = {"training_seconds": round(seconds, 1), **scores}
        print(recipe, {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()})

    vae = recipes.build_vae("vae", image_shape=(28, 28, 1))
    vae.fit(train, epochs=args.epochs, verbose=2, shuffle=False)
    held_out = test_images[:1000]
    recon = vae.reconstruct(held_out)
    flat_recon, flat_inputs = recon.reshape(1000, -1), held_out.reshape(1000, -1)
    distances = ((flat_recon ** 2).sum(1)[:, None] + (flat_inputs ** 2).sum(1)[None]
                 - 2 * flat_recon @ flat_inputs.T)
    own_nearest = float(np.mean(distances.argmin(axis=1) == np.arange(1000)))
    results["vae"] = {"own_input_is_nearest": own_nearest,
                      "mean_squared_error": float(np.mean((recon - held_out) ** 2))}
    print("vae", results["vae"])
    write_json_atomic(RESULTS, results)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
