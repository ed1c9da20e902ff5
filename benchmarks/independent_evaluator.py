"""The shipped presets scored by evaluators that share nothing with keras_gen's classifiers.

Issue 5 is checked by scoring every preset's samples with an independent evaluator, which must
agree with the metadata's claims in rank and class coverage. This benchmark asks such
evaluators, side by side with the metadata (the baseline: keras_gen's own domain classifier):

- `pca_pixels`: pixels reduced to 50 principal components (scikit-learn, fitted on the train
  split); classes from a 5-nearest-neighbour classifier in that space (as the test suite does).
- `mlp_s1`, ...: the 256 hidden units of a one-layer perceptron trained here on the pixels,
  once per `--mlp-seeds` seed (1 by default).
- `lenet_s0`, `lenet_s1`, ...: the 256-unit dense layer of a LeNet-style CNN trained here (5x5
  convolutions without batch norm, flattened, not pooled globally: another architecture than
  keras_gen's classifier, pixels in [0, 1]), once per `--cnn-seeds` seed. Its training is not
  bit-reproducible on a CPU (the perceptron's is), so each seed is also a rerun: how far its FIDs
  move between seeds is how much an evaluator's own training decides.

For each dataset it prints every preset's FID (10,000 samples of a seed the metadata did not use,
against the test split), whether each evaluator ranks the presets as the metadata does, and the
ratio of the FIDs of the presets ranked next to each other (how far apart the evaluator puts
them: a ratio near 1 is a ranking that another evaluator could turn round). It also prints the
smallest share of any class among the samples (the metadata says all 10 classes are covered) and,
for conditional presets, how often the samples show the class asked for.

`--preset-dir DIR` scores the presets in DIR (as `python -m keras_gen.presets.train --out DIR`
writes them) in place of the shipped ones of the same names, beside the other shipped ones.

Usage:
    python benchmarks/independent_evaluator.py [--data ../shared/data] [--num-samples 10000]
                                               [--cnn-seeds 0 1 2] [--mlp-seeds 1]
                                               [--preset-dir DIR]
                                               [--datasets fashion_mnist]
Writes benchmarks/results/independent_evaluator.json (or --results).
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402

from keras_gen import data, metrics, presets  # noqa: E402
from keras_gen.presets.io import presets_in  # noqa: E402
from keras_gen.utils import to_uint8, write_json_atomic  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "data")
RESULTS = os.path.join(HERE, "results", "independent_evaluator.json")
SAMPLE_SEED = 11  # the metadata's samples and the test suite's (7) came from other seeds


def pixels(images):
    """uint8 `(N, 28, 28, 1)` images as float32 `(N, 28, 28, 1)` in [0, 1]."""
    return images.astype(np.float32) / 255.0


def pca_evaluator(train, labels):
    """`(features, classify)` functions of uint8 images: PCA-50 of the pixels and a 5-NN."""
    flat = pixels(train).reshape(len(train), -1)
    pca = PCA(50, random_state=0).fit(flat)
    knn = KNeighborsClassifier(5).fit(pca.transform(flat), labels)

    def features(images):
        return pca.transform(pixels(images).reshape(len(images), -1))

    return features, lambda images: knn.predict(features(images))


def keras_evaluator(layers, train, labels, epochs, seed):
    """`(features, classify)` of a network `layers + [dense 256 "features", dense 10]` trained
    on `train` (uint8) for `epochs`."""
    keras.utils.set_random_seed(seed)
    network = keras.Sequential([keras.Input((28, 28, 1)), *layers,
                                keras.layers.Dense(256, activation="relu", name="features"),
                                keras.layers.Dropout(0.5),
                                keras.layers.Dense(10, name="logits")])
    network.compile(keras.optimizers.SGD(0.05, momentum=0.9),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(pixels(train), labels, batch_size=128, epochs=epochs, verbose=0)
    embed = keras.Model(network.inputs, network.get_layer("features").output)

    def features(images):
        return embed.predict(pixels(images), batch_size=1000, verbose=0)

    def classify(images):
        return network.predict(pixels(images), batch_size=1000, verbose=0).argmax(axis=1)

    return features, classify


def lenet_layers():
    return [keras.layers.Conv2D(20, 5, activation="relu"), keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(50, 5, activation="relu"), keras.layers.MaxPooling2D(2),
            keras.layers.Flatten()]


def build_evaluators(train, labels, cnn_seeds, mlp_seeds):
    """`{name: (features, classify)}`: PCA, a perceptron per seed and a LeNet per seed."""
    evaluators = {"pca_pixels": pca_evaluator(train, labels)}
    for seed in mlp_seeds:
        evaluators[f"mlp_s{seed}"] = keras_evaluator([keras.layers.Flatten()], train, labels,
                                                     epochs=10, seed=seed)
    for seed in cnn_seeds:
        evaluators[f"lenet_s{seed}"] = keras_evaluator(lenet_layers(), train, labels, epochs=5,
                                                       seed=seed)
    return evaluators


def presets_to_score(preset_dir):
    """`({name: metadata}, {name: name or folder})`: the shipped presets, those in `preset_dir`
    (if given) in place of the shipped ones of their names."""
    replacing = presets_in(preset_dir) if preset_dir else {}
    recorded = {**presets.list(), **replacing}
    return recorded, {name: os.path.join(preset_dir, name) if name in replacing else name
                      for name in recorded}


def samples_of(name_or_dir, num_samples):
    """uint8 samples of a preset and the labels asked for (None if unconditional)."""
    model = presets.load_preset(name_or_dir)
    if getattr(model, "num_classes", None):
        requested = np.arange(num_samples) % model.num_classes
        return to_uint8(model.generate(num_samples, labels=requested, seed=SAMPLE_SEED)), requested
    return to_uint8(model.generate(num_samples, seed=SAMPLE_SEED)), None


def score_dataset(dataset, names, where, args):
    """`{"accuracy": {evaluator: test accuracy}, "presets": {name: {evaluator: scores}}}`."""
    folder = os.path.join(args.data, dataset)
    train, train_labels = data.load_arrays(folder, split="train")
    test, test_labels = data.load_arrays(folder, split="test")
    evaluators = build_evaluators(train, train_labels, args.cnn_seeds, args.mlp_seeds)
    result = {"accuracy": {}, "presets": {name: {} for name in names}}
    samples = {name: samples_of(where[name], args.num_samples) for name in names}
    for evaluator, (features, classify) in evaluators.items():
        result["accuracy"][evaluator] = float((classify(test) == test_labels).mean())
        reference = features(test)
        for name, (images, requested) in samples.items():
            classes = classify(images)
            scores = {"fid": metrics.frechet_inception_distance(reference, features(images)),
                      "smallest_class_share": float(np.bincount(classes, minlength=10).min()
                                                    / len(classes))}
            if requested is not None:
                scores["conditional_accuracy"] = float((classes == requested).mean())
            result["presets"][name][evaluator] = scores
    return result


def report(dataset, names, metadata, result):
    """Prints `result` beside `metadata`; returns `{evaluator: same ranking as the metadata}`."""
    evaluators = list(result["accuracy"])
    order = sorted(names, key=lambda name: metadata[name]["metrics"]["fid"])
    accuracy = ", ".join(f"{e} {a:.3f}" for e, a in result["accuracy"].items())
    print(f"\n{dataset}: evaluators' test accuracy {accuracy}")
    print(f"{'preset':<22}{'metadata':>10}" + "".join(f"{e:>12}" for e in evaluators)
          + "   smallest class share, conditional accuracy (lowest of any evaluator)")
    for name in order:
        scores = result["presets"][name]
        extra = f"{min(scores[e]['smallest_class_share'] for e in evaluators):.3f}"
        if "conditional_accuracy" in scores[evaluators[0]]:
            extra += f", {min(scores[e]['conditional_accuracy'] for e in evaluators):.3f}"
        print(f"{name:<22}{metadata[name]['metrics']['fid']:>10.3f}"
              + "".join(f"{scores[e]['fid']:>12.3f}" for e in evaluators) + f"   {extra}")
    agreement = {}
    for evaluator in evaluators:
        ranked = sorted(names, key=lambda name: result["presets"][name][evaluator]["fid"])
        agreement[evaluator] = ranked == order
    print("same ranking as the metadata: "
          + ", ".join(f"{e} {'yes' if same else 'NO'}" for e, same in agreement.items()))
    for better, worse in zip(order, order[1:]):
        ratios = [result["presets"][worse][e]["fid"] / result["presets"][better][e]["fid"]
                  for e in evaluators]
        recorded = metadata[worse]["metrics"]["fid"] / metadata[better]["metrics"]["fid"]
        print(f"FID ratio {worse} / {better}: metadata {recorded:.2f}x, "
              + ", ".join(f"{e} {r:.2f}x" for e, r in zip(evaluators, ratios)))
    return agreement


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=DATA, help="folder with mnist/ and fashion_mnist/")
    parser.add_argument("--num-samples", type=int, default=10000)
    parser.add_argument("--preset-dir", default=None,
                        help="presets to score in place of the shipped ones of their names")
    parser.add_argument("--results", default=RESULTS, help="JSON file to write")
    parser.add_argument("--cnn-seeds", type=int, nargs="*", default=[0, 1, 2],
                        help="one LeNet evaluator trained per seed (none: --cnn-seeds alone)")
    parser.add_argument("--mlp-seeds", type=int, nargs="*", default=[1],
                        help="one perceptron evaluator trained per seed")
    parser.add_argument("--datasets", nargs="+", default=["mnist", "fashion_mnist"],
                        choices=["mnist", "fashion_mnist"])
    args = parser.parse_args()
    recorded, where = presets_to_score(args.preset_dir)
    results = {"args": vars(args), "sample_seed": SAMPLE_SEED, "presets": where,
               "datasets": {}}
    for dataset in args.datasets:
        names = [name for name in recorded if recorded[name]["dataset"] == dataset]
        result = score_dataset(dataset, names, where, args)
        result["same_ranking"] = report(dataset, names, recorded, result)
        result["metadata_fid"] = {name: recorded[name]["metrics"]["fid"] for name in names}
        results["datasets"][dataset] = result
        write_json_atomic(args.results, results)
    print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
