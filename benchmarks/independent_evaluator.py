"""The shipped presets scored by evaluators that share nothing with keras_gen's classifiers.

Issue 5 is checked by scoring every preset's samples with an independent evaluator, which must
agree with the metadata's claims in rank and class coverage. This benchmark asks three such
evaluators, side by side with the metadata (the baseline: keras_gen's own domain classifier):

- `pca_pixels`: pixels reduced to 50 principal components (scikit-learn, fitted on the train
  split); classes from a 5-nearest-neighbour classifier in that space (as the test suite does).
- `mlp`: the 256 hidden units of a one-layer perceptron trained here on the pixels.
- `lenet`: the 256-unit dense layer of a LeNet-style CNN trained here (5x5 convolutions without
  batch norm, flattened, not pooled globally: another architecture than keras_gen's classifier,
  another seed, pixels in [0, 1]).

For each dataset it prints every preset's FID (10,000 samples of a seed the metadata did not use,
against the test split), whether each evaluator ranks the presets as the metadata does, and the
ratio of the FIDs of the presets ranked next to each other (how far apart the evaluator puts
them: a ratio near 1 is a ranking that another evaluator could turn round). It also prints the
smallest share of any class among the samples (the metadata says all 10 classes are covered) and,
for conditional presets, how often the samples show the class asked for.

Usage:
    python benchmarks/independent_evaluator.py [--data ../shared/data] [--num-samples 10000]
Writes benchmarks/results/independent_evaluator.json.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402

from keras_gen import data, metrics, presets  # noqa: E402
from keras_gen.utils import to_uint8, write_json_atomic  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "data")
RESULTS = os.path.join(HERE, "results", "independent_evaluator.json")
SAMPLE_SEED = 11  # the metadata's samples and the test suite's (7) came from other seeds
EVALUATORS = ("pca_pixels", "mlp", "lenet")


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


def build_evaluators(train, labels):
    mlp = [keras.layers.Flatten()]
    lenet = [keras.layers.Conv2D(20, 5, activation="relu"), keras.layers.MaxPooling2D(2),
             keras.layers.Conv2D(50, 5, activation="relu"), keras.layers.MaxPooling2D(2),
             keras.layers.Flatten()]
    return {"pca_pixels": pca_evaluator(train, labels),
            "mlp": keras_evaluator(mlp, train, labels, epochs=10, seed=1),
            "lenet": keras_evaluator(lenet, train, labels, epochs=5, seed=2)}


def samples_of(name, num_samples):
    """uint8 samples of preset `name` and the labels asked for (None if unconditional)."""
    model = presets.load_preset(name)
    if getattr(model, "num_classes", None):
        requested = np.arange(num_samples) % model.num_classes
        return to_uint8(model.generate(num_samples, labels=requested, seed=SAMPLE_SEED)), requested
    return to_uint8(model.generate(num_samples, seed=SAMPLE_SEED)), None


def score_dataset(dataset, names, args):
    """`{"accuracy": {evaluator: test accuracy}, "presets": {name: {evaluator: scores}}}`."""
    folder = os.path.join(args.data, dataset)
    train, train_labels = data.load_arrays(folder, split="train")
    test, test_labels = data.load_arrays(folder, split="test")
    evaluators = build_evaluators(train, train_labels)
    result = {"accuracy": {}, "presets": {name: {} for name in names}}
    samples = {name: samples_of(name, args.num_samples) for name in names}
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


def ranking(scores_by_name, key):
    return sorted(scores_by_name, key=key)


def report(dataset, names, shipped, result):
    recorded = ranking(names, lambda name: shipped[name]["metrics"]["fid"])
    accuracy = ", ".join(f"{e} {a:.3f}" for e, a in result["accuracy"].items())
    print(f"\n{dataset}: evaluators' test accuracy {accuracy}")
    print(f"{'preset':<22}{'metadata':>10}" + "".join(f"{e:>12}" for e in EVALUATORS)
          + "   smallest class share, conditional accuracy (lenet)")
    for name in recorded:
        scores = result["presets"][name]
        lenet = scores["lenet"]
        extra = f"{lenet['smallest_class_share']:.3f}"
        if "conditional_accuracy" in lenet:
            extra += f", {lenet['conditional_accuracy']:.3f}"
        print(f"{name:<22}{shipped[name]['metrics']['fid']:>10.3f}"
              + "".join(f"{scores[e]['fid']:>12.3f}" for e in EVALUATORS) + f"   {extra}")
    agreement = {}
    for evaluator in EVALUATORS:
        ranked = ranking(names, lambda name: result["presets"][name][evaluator]["fid"])
        agreement[evaluator] = ranked == recorded
    print("same ranking as the metadata: "
          + ", ".join(f"{e} {'yes' if same else 'NO'}" for e, same in agreement.items()))
    for better, worse in zip(recorded, recorded[1:]):
        ratios = [shipped[worse]["metrics"]["fid"] / shipped[better]["metrics"]["fid"]] + [
            result["presets"][worse][e]["fid"] / result["presets"][better][e]["fid"]
            for e in EVALUATORS]
        print(f"FID ratio {worse} / {better}: metadata {ratios[0]:.2f}x, "
              + ", ".join(f"{e} {r:.2f}x" for e, r in zip(EVALUATORS, ratios[1:])))
    return agreement


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=DATA, help="folder with mnist/ and fashion_mnist/")
    parser.add_argument("--num-samples", type=int, default=10000)
    args = parser.parse_args()
    shipped = presets.list()
    results = {"args": vars(args), "sample_seed": SAMPLE_SEED, "datasets": {}}
    for dataset in ("mnist", "fashion_mnist"):
        names = [name for name in shipped if shipped[name]["dataset"] == dataset]
        result = score_dataset(dataset, names, args)
        result["same_ranking"] = report(dataset, names, shipped, result)
        result["metadata_fid"] = {name: shipped[name]["metrics"]["fid"] for name in names}
        results["datasets"][dataset] = result
        write_json_atomic(RESULTS, results)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
