"""reset_classes: new class embeddings for a conditional preset, everything else carried over."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import networks, transfer
from keras_gen.cli import main
from keras_gen.models import VAE, ConditionalGAN
from tests.helpers import TINY_SHAPE, tiny_cgan, tiny_dataset, tiny_gan, tiny_images

CLASS_LAYERS = {"label_embedding", "label_projection"}


def _weights_by_layer(network):
    return {layer.name: [np.array(w) for w in layer.weights] for layer in network.layers}


def _three_class_dataset(count=16, batch_size=8):
    labels = np.arange(count, dtype=np.int32) % 3
    return tf.data.Dataset.from_tensor_slices((tiny_images(count), labels)).batch(batch_size)


def test_mean_init_starts_every_new_class_at_the_old_average_and_keeps_the_rest():
    old = tiny_cgan()
    old.fit(tiny_dataset(), verbose=0)  # so the EMA copy differs from the generator
    transfer.freeze(old.discriminator, up_to="block_0")
    old.compile(loss="hinge")
    new = transfer.reset_classes(old, 3)

    assert new is not old and new.num_classes == 3 and old.num_classes == 10
    assert new.loss_name == "hinge" and new.ema_decay == old.ema_decay
    assert not new.discriminator.get_layer("block_0").trainable
    for network in ("generator", "discriminator", "ema_generator"):
        before = _weights_by_layer(getattr(old, network))
        after = _weights_by_layer(getattr(new, network))
        for name, weights in before.items():
            if name in CLASS_LAYERS:
                (rows,) = weights  # an Embedding: (10, dim) -> 3 copies of the mean row
                assert after[name][0].shape == (3, rows.shape[1])
                for row in after[name][0]:
                    np.testing.assert_allclose(row, rows.mean(axis=0), rtol=1e-6)
            else:
                for mine, kept in zip(weights, after[name]):
                    np.testing.assert_array_equal(mine, kept)
    # All classes start alike: the same noise gives the same image whatever the label.
    z = np.repeat(new.sample_noise(1, seed=4), 3, axis=0)
    images = np.array(new([z, np.array([0, 1, 2])]))
    np.testing.assert_allclose(images[1], images[0], atol=1e-6)
    np.testing.assert_allclose(images[2], images[0], atol=1e-6)

    new.fit(_three_class_dataset(), verbose=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"lie in \[0, 3\)"):
        new.fit(tiny_dataset(), verbose=0)  # labels up to 9


def test_acgan_head_with_spectral_norm_is_resized_on_its_class_axis(tmp_path):
    old = tiny_cgan("auxiliary", d_norm="spectral")
    new = transfer.reset_classes(old, 4)
    head_before = old.discriminator.get_layer("class_logit_sn").get_weights()
    head_after = new.discriminator.get_layer("class_logit_sn").get_weights()
    # kernel (F, K), bias (K,), spectral norm's u (1, K): each class column is the mean column.
    assert [w.shape[-1] for w in head_after] == [4, 4, 4]
    for before, after in zip(head_before, head_after):
        np.testing.assert_allclose(after, np.repeat(before.mean(-1, keepdims=True), 4, -1),
                                   rtol=1e-6)
    logits, class_logits = new.discriminator(tiny_images(2), training=False)
    assert logits.shape == (2, 1) and class_logits.shape == (2, 4)
    new.fit(_three_class_dataset(), verbose=0)
    folder = str(tmp_path / "four_classes")
    new.save_to_preset(folder)
    loaded = ConditionalGAN.from_preset(folder)
    assert loaded.num_classes == 4
    np.testing.assert_array_equal(loaded.generate(4, labels=3, seed=0),
                                  new.generate(4, labels=3, seed=0))


def test_random_init_draws_distinct_classes():
    old = tiny_cgan()
    keras.utils.set_random_seed(1)
    new = transfer.reset_classes(old, 5, init="random")
    rows = new.generator.get_layer("label_embedding").get_weights()[0]
    assert rows.shape == (5, 8) and not np.allclose(rows[0], rows[1])
    # The EMA copy starts from the same fresh rows, not from the old average.
    np.testing.assert_array_equal(new.ema_generator.get_layer("label_embedding").get_weights()[0],
                                  rows)
    np.testing.assert_array_equal(new.generator.get_layer("block_0").get_weights()[0],
                                  old.generator.get_layer("block_0").get_weights()[0])


def test_bad_requests_are_named():
    with pytest.raises(ValueError, match="takes a class-conditional GAN"):
        transfer.reset_classes(tiny_gan(), 3)
    cvae = VAE(networks.vae_encoder(TINY_SHAPE, 4, 4, num_classes=10),
               networks.vae_decoder(TINY_SHAPE, 4, 4, num_classes=10), num_classes=10)
    with pytest.raises(ValueError, match="takes a class-conditional GAN .* is a VAE"):
        transfer.reset_classes(cvae, 3)  # conditional, but a VAE has no generator/discriminator
    with pytest.raises(ValueError, match="num_classes must be an int >= 2"):
        transfer.reset_classes(tiny_cgan(), 1)
    with pytest.raises(ValueError, match=r"init must be one of \('mean', 'random'\)"):
        transfer.reset_classes(tiny_cgan(), 3, init="zeros")
    # Labels one-hot encoded without a class-indexed weight: nothing to resize.
    z, labels = keras.Input((8,)), keras.Input((), dtype="int32")
    one_hot = keras.layers.CategoryEncoding(10, output_mode="one_hot")(labels)
    flat = keras.layers.Dense(28 * 28, activation="tanh")(keras.layers.Concatenate()([z, one_hot]))
    generator = keras.Model([z, labels], keras.layers.Reshape(TINY_SHAPE)(flat), name="one_hot")
    cgan = ConditionalGAN(generator, tiny_cgan().discriminator, num_classes=10)
    with pytest.raises(ValueError, match="generator 'one_hot' has no layer indexed by the 10"):
        transfer.reset_classes(cgan, 3)


def _write_png_folder(root, classes, per_class=8):
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (28, 28, 1), dtype=np.uint8)
            (root / name / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())


def test_cli_finetune_resets_classes_to_the_dataset_or_says_how(tmp_path, capsys):
    preset = str(tmp_path / "preset")
    tiny_cgan().save_to_preset(preset)
    many = tmp_path / "twelve_classes"
    _write_png_folder(many, [f"class_{k:02d}" for k in range(12)], per_class=2)
    args = ["finetune", preset, "--dataset", str(many), "--batch-size", "8", "--epochs", "1"]
    assert main(args + ["--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "has 12 classes (labels 0 to 11)" in err and "Pass --reset-classes" in err
    assert main(args + ["--reset-classes", "--out", str(tmp_path / "b")]) == 0
    tuned = keras.models.load_model(str(tmp_path / "b" / "model.keras"))
    assert tuned.num_classes == 12
    assert main(["finetune", "dcgan_mnist", "--dataset", str(many), "--reset-classes",
                 "--out", str(tmp_path / "c")]) == 2
    assert "--reset-classes is for conditional presets" in capsys.readouterr().err
