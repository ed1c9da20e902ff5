"""Shared test helpers: tiny seeded models and the one model test every family passes."""

import contextlib
import json
import os
import re
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gen
from keras_gen import data, networks
from keras_gen.data.transforms import to_unit_range
from keras_gen.models import GAN, ConditionalGAN

TINY_SHAPE = (28, 28, 1)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(os.path.dirname(REPO_ROOT), "shared", "data")
MNIST = os.path.join(SHARED_DATA, "mnist")


def needs_shared(*names):
    """Skips a test unless ../shared/data, beside this checkout, holds each dataset of `names`
    ("mnist", "fashion_mnist": the real ones), as CI and the project's machines do."""
    missing = [name for name in names if not os.path.isdir(os.path.join(SHARED_DATA, name))]
    return pytest.mark.skipif(bool(missing), reason=f"../shared/data/{', '.join(missing)} is "
                                                    "not beside this checkout")


needs_mnist = needs_shared("mnist")

# `keras-gen train`'s options for a run of seconds: a tiny model on 64 images, a grid and a
# checkpoint every epoch.
TINY_TRAIN = ["--width", "4", "--latent-dim", "8", "--limit", "64", "--batch-size", "32",
              "--grid-every", "1", "--checkpoint-every", "1"]


def read_strict_json(path):
    """The JSON in file `path`, read as jq and JavaScript's JSON.parse read it: the bare words
    NaN and Infinity, which Python's json reads and writes, are refused (they are not JSON)."""
    def refuse(word):
        raise ValueError(f"not JSON: {word}")

    with open(path) as handle:
        return json.load(handle, parse_constant=refuse)


def wait_until(condition, timeout=10.0, interval=0.1):
    """Polls `condition()` until it holds or `timeout` seconds pass; the caller asserts after.

    For what a server does in the background (a rescan, a load), which a test cannot join.
    """
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(interval)


def real_mnist(split, count, offset=0):
    """`count` images of ../shared/data/mnist's `split` from `offset`, in [-1, 1], and labels."""
    images, labels = data.load_arrays(MNIST, split=split)
    return to_unit_range(images[offset:offset + count]).numpy(), labels[offset:offset + count]


def tiny_images(count=16, shape=TINY_SHAPE, seed=0):
    """Deterministic float32 images in [-1, 1]."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, size=(count, *shape)).astype(np.float32)


def tiny_dataset(count=16, batch_size=8, shape=TINY_SHAPE, seed=0):
    """An unshuffled `(images, labels)` dataset, so runs are exactly repeatable."""
    images = tiny_images(count, shape, seed)
    labels = np.arange(count, dtype=np.int32) % 10
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    return dataset.batch(batch_size, drop_remainder=True)


def tiny_gan(shape=TINY_SHAPE, latent_dim=8, width=4, g_norm="batch", d_norm="spectral",
             ema_decay=0.9, seed=0, **compile_kwargs):
    """A compiled GAN small enough to train in milliseconds, weights fixed by `seed`."""
    keras.utils.set_random_seed(seed)
    gan = GAN(networks.dcgan_generator(shape, latent_dim, width, g_norm),
              networks.dcgan_discriminator(shape, width, d_norm), ema_decay=ema_decay, seed=seed)
    gan.compile(**compile_kwargs)
    return gan


def tiny_cgan(head="projection", g_norm="batch", d_norm="spectral", seed=0, ema_decay=0.9,
              **compile_kwargs):
    """A compiled 10-class ConditionalGAN (projection or `"auxiliary"` head), seeded by `seed`."""
    keras.utils.set_random_seed(seed)
    generator = networks.conditional_dcgan_generator(TINY_SHAPE, 8, 10, 4, g_norm)
    if head == "projection":
        discriminator = networks.projection_discriminator(TINY_SHAPE, 10, 4, d_norm)
    else:
        discriminator = networks.auxiliary_classifier_discriminator(TINY_SHAPE, 10, 4, d_norm)
    cgan = ConditionalGAN(generator, discriminator, num_classes=10, ema_decay=ema_decay, seed=seed)
    cgan.compile(**compile_kwargs)
    return cgan


def weights_of(model):
    return [np.array(w) for w in model.weights]


def batch_norm_layers(model):
    """Every `BatchNormalization` inside `model`, so a test can ask how they compute statistics."""
    layers = [layer for layer in model._flatten_layers(include_self=False)
              if isinstance(layer, keras.layers.BatchNormalization)]
    assert layers, f"{model.name} has no batch norm: the test would check nothing"
    return layers


def _variables_of(optimizer):
    return [np.array(v) for v in optimizer.variables]


def assert_weights_close(a, b, atol=1e-6):
    assert len(a) == len(b)
    for left, right in zip(a, b):
        np.testing.assert_allclose(left, right, atol=atol)


def run_model_test(model, dataset, tmp_path, generate_kwargs=None):
    """The test every model family passes.

    1. config round trip: `from_config(get_config())` rebuilds an equal config;
    2. two `fit` steps on tiny data, with finite, reported metrics;
    3. `.keras` round trip: identical samples for a seed, optimizer state kept,
       and training continues after loading;
    4. export round trip: a SavedModel whose every signature matches the Keras
       model through TF Serving's session loader path.
    """
    from keras_gen import export
    generate_kwargs = generate_kwargs or {}
    config = model.get_config()
    rebuilt = type(model).from_config(config)
    assert keras.saving.serialize_keras_object(rebuilt)["config"] == \
        keras.saving.serialize_keras_object(model)["config"]

    history = model.fit(dataset.take(2), epochs=1, verbose=0)
    for name, values in history.history.items():
        assert np.isfinite(values[-1]), (name, values)
    assert {m.name for m in model.metrics} <= set(history.history)

    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(model.generate(4, seed=3, **generate_kwargs),
                                  loaded.generate(4, seed=3, **generate_kwargs))
    optimizers = [name for name in ("optimizer", "e_optimizer", "g_optimizer", "d_optimizer")
                  if getattr(model, name, None) is not None]
    assert optimizers
    for name in optimizers:
        assert int(getattr(loaded, name).iterations) == int(getattr(model, name).iterations)
        assert_weights_close(_variables_of(getattr(model, name)),
                             _variables_of(getattr(loaded, name)))
    counter = getattr(loaded, optimizers[-1]).iterations
    before = int(counter)
    loaded.fit(dataset.take(1), epochs=1, verbose=0)
    assert int(counter) == before + 1
    exported = export.export_saved_model(loaded, os.path.join(tmp_path, "saved_model"))
    assert os.path.exists(os.path.join(exported, "saved_model.pb"))  # verified on export
    return loaded


def write_png_folder(root, classes, per_class=8):
    """Writes `root/<class>/<i>.png`: `per_class` random 28x28 grey images per class name."""
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (28, 28, 1), dtype=np.uint8)
            (root / name / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())


__all__ = ["keras_gen", "run_model_test", "tiny_dataset", "tiny_gan", "tiny_images"]


def fenced_blocks(text, language):
    """The bodies of the ```<language> code blocks in a Markdown text (or docstring)."""
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def read_repo_file(path):
    """The text of a file of the repository, by its path from the repository root."""
    with open(os.path.join(REPO_ROOT, path), encoding="utf-8") as file:
        return file.read()


@contextlib.contextmanager
def hand_edited_models_config(saved_models_dir):
    """Yields `models.config`'s entries, `{model name: ModelConfig}`, to edit as a user edits the
    file by hand (a canary's versions, labels); writes the file back when the block ends."""
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    path = os.path.join(saved_models_dir, "models.config")
    with open(path) as handle:
        config = text_format.Parse(handle.read(), model_server_config_pb2.ModelServerConfig())
    yield {entry.name: entry for entry in config.model_config_list.config}
    with open(path, "w") as handle:
        handle.write(text_format.MessageToString(config))
