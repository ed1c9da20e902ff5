"""reset_classes: new class embeddings for a conditional preset, everything else carried over."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import networks, transfer
from keras_gen.errors import DataError
from keras_gen.cli import main
from keras_gen.models import VAE, ConditionalGAN
from tests.helpers import (TINY_SHAPE, tiny_cgan, tiny_dataset, tiny_gan, tiny_images,
                           write_png_folder)

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
                for row in after[name][0]:  # averaged in float64: float32's mean differs ~1e-9
                    np.testing.assert_allclose(row, rows.mean(axis=0), rtol=1e-6, atol=1e-8)
            else:
                for mine, kept in zip(weights, after[name]):
                    np.testing.assert_array_equal(mine, kept)
    # All classes start alike: the same noise gives the same image whatever the label.
    z = np.repeat(new.sample_noise(1, seed=4), 3, axis=0)
    images = np.array(new([z, np.array([0, 1, 2])]))
    np.testing.assert_allclose(images[1], images[0], atol=1e-6)
    np.testing.assert_allclose(images[2], images[0], atol=1e-6)

    new.fit(_three_class_dataset(), verbose=0)
    with pytest.raises(DataError, match=r"in \[0, 3\); a batch has labels from 0 to 7"):
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
                                   rtol=1e-6, atol=1e-8)
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


def test_a_blend_matrix_starts_each_new_class_as_its_row_of_old_classes():
    old = tiny_cgan()
    blend = np.zeros((2, 10))
    blend[0, 4] = 1.0  # new class 0 = old class 4
    blend[1, [1, 2]] = [0.25, 0.75]  # new class 1 = a quarter of old 1, three quarters of old 2
    new = transfer.reset_classes(old, 2, init=blend)
    for network in ("generator", "ema_generator"):
        rows = getattr(old, network).get_layer("label_embedding").get_weights()[0]
        np.testing.assert_allclose(
            getattr(new, network).get_layer("label_embedding").get_weights()[0],
            [rows[4], 0.25 * rows[1] + 0.75 * rows[2]], rtol=1e-5, atol=1e-7)
    # So new class 0 draws what old class 4 drew, from the same noise.
    z = new.sample_noise(2, seed=3)
    np.testing.assert_allclose(new([z, np.zeros(2, "int32")]), old([z, np.full(2, 4, "int32")]),
                               atol=1e-5)


def test_acgan_class_head_blends_its_columns():
    old = tiny_cgan("auxiliary", d_norm=None)
    blend = np.full((3, 10), 0.1)
    blend[2] = np.eye(10)[7]
    kernel, bias = old.discriminator.get_layer("class_logit").get_weights()
    new_kernel, new_bias = transfer.reset_classes(old, 3, init=blend).discriminator.get_layer(
        "class_logit").get_weights()
    np.testing.assert_allclose(new_kernel[:, 2], kernel[:, 7], rtol=1e-6)
    np.testing.assert_allclose(new_kernel[:, 0], kernel.mean(-1), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(new_bias, [bias.mean(), bias.mean(), bias[7]], atol=1e-7)


def _posterior_one_class_at_a_time(discriminator, images, num_classes):
    """softmax over y of D(x, y), each y in its own call (class_affinity batches them)."""
    scores = np.concatenate([np.array(discriminator([images, np.full(len(images), k, "int32")]))
                             for k in range(num_classes)], axis=1)
    return np.array(keras.ops.softmax(scores, axis=-1))


@pytest.mark.parametrize("head", ["projection", "auxiliary"])
def test_class_affinity_is_the_sharpened_lift_of_the_pretrained_class_posterior(head):
    cgan = tiny_cgan(head)
    images, labels = tiny_images(12), np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0])
    if head == "projection":
        posterior = _posterior_one_class_at_a_time(cgan.discriminator, images, 10)
    else:
        posterior = np.array(keras.ops.softmax(cgan.discriminator(images)[1], axis=-1))
    overall = posterior.mean(0)
    for temperature in (1.0, 0.5):
        affinity = transfer.class_affinity(cgan, images, labels, num_classes=3,
                                           temperature=temperature, batch_size=5)
        assert affinity.shape == (3, 10)
        for new_class in (0, 1):
            lift = posterior[labels == new_class].mean(0) / overall
            expected = lift ** (1 / temperature) / np.sum(lift ** (1 / temperature))
            np.testing.assert_allclose(affinity[new_class], expected, rtol=1e-4)
        np.testing.assert_allclose(affinity[2], np.full(10, 0.1))  # no images: the old mean
    transfer.reset_classes(cgan, 3, init=affinity).fit(_three_class_dataset(), verbose=0)


def test_class_affinity_picks_the_old_class_whose_share_grows_most():
    cgan = tiny_cgan()
    # A projection along one feature direction d: D(x, y) = psi(x) + k(x) * y, where
    # k(x) = slope * (phi(x) . d) is larger for some images than for others. p(y | x) is
    # proportional to exp(k(x) * y): images with a large k give old class 9 a larger share than
    # the average image does, those with a small k give old class 0 a larger share.
    features = keras.Model(cgan.discriminator.inputs,
                           cgan.discriminator.get_layer("projection").input[1])
    images = tiny_images(16)
    f = np.array(features([images, np.zeros(16, "int32")]))
    direction = f.mean(0) / np.linalg.norm(f.mean(0))
    scores = f @ direction
    slope = 5.0 / (9 * (scores.max() - scores.min()))  # k(x) * 9 spans 5 across the images
    cgan.discriminator.get_layer("label_projection").set_weights(
        [(slope * np.arange(10)[:, None] * direction[None, :]).astype("float32")])
    labels = (scores < np.median(scores)).astype("int32")  # new class 1: the small-k half
    affinity = transfer.class_affinity(cgan, images, labels, temperature=0.5)
    assert affinity[0].argmax() == 9 and affinity[1].argmax() == 0
    assert np.all(np.diff(affinity[0]) > 0) and np.all(np.diff(affinity[1]) < 0)


def test_class_affinity_of_an_untrained_projection_is_uniform():
    cgan = tiny_cgan()
    projection = cgan.discriminator.get_layer("label_projection")
    projection.set_weights([np.zeros_like(w) for w in projection.get_weights()])
    affinity = transfer.class_affinity(cgan, tiny_images(6), np.arange(6) % 2)
    np.testing.assert_allclose(affinity, np.full((2, 10), 0.1), rtol=1e-6)


def test_class_affinity_refuses_bad_input():
    with pytest.raises(ValueError, match="takes a class-conditional GAN"):
        transfer.class_affinity(tiny_gan(), tiny_images(2), [0, 1])
    with pytest.raises(ValueError, match=r"one label per image: expected shape \(4,\), "
                                         r"received \(3,\)"):
        transfer.class_affinity(tiny_cgan(), tiny_images(4), [0, 1, 2])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\). .* from 0 to 2"):
        transfer.class_affinity(tiny_cgan(), tiny_images(3), [0, 1, 2], num_classes=2)
    with pytest.raises(ValueError, match="temperature must be > 0. Received: temperature=0"):
        transfer.class_affinity(tiny_cgan(), tiny_images(2), [0, 1], temperature=0)
    with pytest.raises(ValueError, match="labels must be whole-number class ids; received "
                                         "float64 values such as"):
        transfer.class_affinity(tiny_cgan(), tiny_images(2), [0.5, 1.0])
    # "range() arg 3 must not be zero".
    with pytest.raises(ValueError, match="^batch_size must be a positive int. Received: "
                                         "batch_size=0$"):
        transfer.class_affinity(tiny_cgan(), tiny_images(2), [0, 1], batch_size=0)
    # 0-255 images gave an affinity without a word.
    with pytest.raises(DataError, match=r"^class_affinity takes float images in \[-1, 1\]; "
                                        r"received values from 0 to 255\. Scale 0-255"):
        transfer.class_affinity(tiny_cgan(), np.linspace(0, 255, 2 * 28 * 28).reshape(
            2, 28, 28, 1), [0, 1])


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
    with pytest.raises(ValueError, match=r"shape \(3, 10\). Received: shape \(10, 3\)"):
        transfer.reset_classes(tiny_cgan(), 3, init=np.ones((10, 3)) / 3)
    # A row of ones started its class at 10 times the mean embedding; NaN was named a wrong shape.
    with pytest.raises(ValueError, match=r"^Each row of an init matrix blends old classes: "
                                         r"weights >= 0 that sum to 1 .* Received row sums "
                                         r"\[10\.0, 10\.0\], minimum 1\.$"):
        transfer.reset_classes(tiny_cgan(), 2, init=np.ones((2, 10)))
    negative = np.eye(10)[:2] * 2 - np.eye(10)[2:4]  # rows sum to 1, with a weight of -1
    with pytest.raises(ValueError, match=r"Received row sums \[1\.0, 1\.0\], minimum -1\.$"):
        transfer.reset_classes(tiny_cgan(), 2, init=negative)
    with pytest.raises(ValueError, match=r"row sums \[nan, 1\.0\]"):
        transfer.reset_classes(tiny_cgan(), 2, init=np.vstack([np.full(10, np.nan), np.eye(10)[0]]))
    # Labels one-hot encoded without a class-indexed weight: nothing to resize.
    z, labels = keras.Input((8,)), keras.Input((), dtype="int32")
    one_hot = keras.layers.CategoryEncoding(10, output_mode="one_hot")(labels)
    flat = keras.layers.Dense(28 * 28, activation="tanh")(keras.layers.Concatenate()([z, one_hot]))
    generator = keras.Model([z, labels], keras.layers.Reshape(TINY_SHAPE)(flat), name="one_hot")
    cgan = ConditionalGAN(generator, tiny_cgan().discriminator, num_classes=10)
    with pytest.raises(ValueError, match="generator 'one_hot' has no layer indexed by the 10"):
        transfer.reset_classes(cgan, 3)


def test_cli_finetune_on_a_folder_names_the_classes_by_the_folder(tmp_path, capsys):
    # Without --reset-classes the folder's classes take the preset's labels 0, 1, ...: a named
    # preset's names (cgan_fashion_mnist's "Trouser" for label 1) would name the dogs.
    preset = str(tmp_path / "preset")
    named = tiny_cgan()
    named.class_names = tuple(f"old_{k}" for k in range(10))
    named.save_to_preset(preset)
    pets = tmp_path / "pets"
    write_png_folder(pets, ["cats", "dogs"], per_class=4)
    out = tmp_path / "run"
    assert main(["finetune", preset, "--dataset", str(pets), "--batch-size", "8", "--epochs", "1",
                 "--out", str(out)]) == 0
    assert keras.models.load_model(str(out / "model.keras")).class_names is None
    for label in ("dogs", "1"):
        assert main(["sample", str(out / "model.keras"), "--label", label, "-n", "2",
                     "--out", str(tmp_path / f"{label}.png")]) == 0
    assert main(["sample", str(out / "model.keras"), "--label", "old_1"]) == 2
    assert "not one of the classes in " in capsys.readouterr().err
    # A folder with as many classes as the preset names them all, in the model too.
    ten = tmp_path / "ten"
    write_png_folder(ten, [f"new_{k}" for k in range(10)], per_class=1)
    assert main(["finetune", preset, "--dataset", str(ten), "--batch-size", "5", "--epochs", "1",
                 "--out", str(tmp_path / "ten_run")]) == 0
    assert keras.models.load_model(str(tmp_path / "ten_run" / "model.keras")).class_names == tuple(
        f"new_{k}" for k in range(10))


def test_cli_finetune_on_a_cifar_folder_names_the_classes_by_its_metadata(tmp_path):
    # The CIFAR folder's classes take the preset's labels: its names must replace the preset's.
    from tests.data.test_cifar import CIFAR10_NAMES, write_cifar10

    preset = str(tmp_path / "preset")
    named = tiny_cgan()
    named.class_names = tuple(f"old_{k}" for k in range(10))
    named.save_to_preset(preset)
    folder = write_cifar10(str(tmp_path / "cifar-10-batches-py"), per_batch=2)
    out = tmp_path / "run"
    assert main(["finetune", preset, "--dataset", folder, "--batch-size", "5", "--epochs", "1",
                 "--limit", "10", "--out", str(out)]) == 0
    assert keras.models.load_model(str(out / "model.keras")).class_names == tuple(CIFAR10_NAMES)


def test_cli_finetune_on_a_dataset_without_names_says_it_keeps_the_presets(tmp_path, capsys):
    # An .npz or IDX files name no classes, so the preset's names are kept, and they lie where
    # the labels mean other classes now (cgan_fashion_mnist on digits: "Sneaker" draws a 7).
    # Nothing said so.
    import numpy as np

    preset = str(tmp_path / "preset")
    named = tiny_cgan()
    named.class_names = tuple(f"old_{k}" for k in range(10))
    named.save_to_preset(preset)
    arrays = str(tmp_path / "digits.npz")
    np.savez(arrays, x_train=np.zeros((20, 28, 28), np.uint8), y_train=np.arange(20) % 10)
    args = ["finetune", preset, "--dataset", arrays, "--batch-size", "5", "--epochs", "1"]
    assert main(args + ["--out", str(tmp_path / "run")]) == 0
    assert (f"{arrays!r} names no classes, so the model keeps the preset's names for its labels "
            "(0 old_0, 1 old_1, 2 old_2, ...). If its labels mean other classes, pass "
            "--reset-classes: new classes, unnamed, each starting at the old ones' average.") in (
                capsys.readouterr().out)
    assert keras.models.load_model(str(tmp_path / "run" / "model.keras")).class_names == tuple(
        f"old_{k}" for k in range(10))
    # Names that are the labels' numbers (cgan_mnist's) cannot lie: nothing to say.
    named.class_names = tuple(str(k) for k in range(10))
    named.save_to_preset(preset)
    assert main(args + ["--out", str(tmp_path / "digits_run")]) == 0
    assert "names no classes" not in capsys.readouterr().out


def test_cli_finetune_resets_classes_to_the_dataset_or_says_how(tmp_path, capsys):
    preset = str(tmp_path / "preset")
    tiny_cgan().save_to_preset(preset)
    many = tmp_path / "twelve_classes"
    write_png_folder(many, [f"class_{k:02d}" for k in range(12)], per_class=2)
    args = ["finetune", preset, "--dataset", str(many), "--batch-size", "8", "--epochs", "1"]
    assert main(args + ["--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "has 12 classes (labels 0 to 11)" in err and "Pass --reset-classes" in err
    assert main(args + ["--reset-classes", "--out", str(tmp_path / "b")]) == 0
    tuned = keras.models.load_model(str(tmp_path / "b" / "model.keras"))
    assert tuned.num_classes == 12
    with open(tmp_path / "b" / "classes.json") as handle:  # which label is which subfolder
        assert json.load(handle)["class_names"] == [f"class_{k:02d}" for k in range(12)]
    assert tuned.class_names == tuple(f"class_{k:02d}" for k in range(12))  # and in the model
    assert main(["finetune", "dcgan_mnist", "--dataset", str(many), "--reset-classes",
                 "--out", str(tmp_path / "c")]) == 2
    assert "--reset-classes is for conditional presets" in capsys.readouterr().err
