"""ConditionalGAN (projection and ACGAN heads): shared model test, labels, errors, distribution."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import networks
from keras_gen.cli import main
from keras_gen.models import ConditionalGAN
from tests.helpers import (TINY_SHAPE, assert_weights_close, batch_norm_layers, run_model_test,
                           tiny_cgan, tiny_dataset, weights_of)


@pytest.mark.parametrize("head", ["projection", "auxiliary"])
def test_shared_model_test(head, tmp_path):
    loaded = run_model_test(tiny_cgan(head), tiny_dataset(), tmp_path,
                            generate_kwargs={"labels": [0, 3, 3, 9]})
    assert loaded.auxiliary == (head == "auxiliary") and loaded.num_classes == 10


def test_labels_steer_the_generator():
    cgan = tiny_cgan()
    threes = cgan.generate(4, labels=3, seed=0)
    np.testing.assert_array_equal(threes, cgan.generate(4, labels=[3, 3, 3, 3], seed=0))
    assert not np.allclose(threes, cgan.generate(4, labels=7, seed=0))
    cycled = cgan.generate(12, seed=0)  # labels 0..9, 0, 1
    np.testing.assert_allclose(cycled[3], cgan.generate(12, labels=np.arange(12) % 10, seed=0)[3])


def test_call_takes_noise_and_labels():
    cgan = tiny_cgan()
    z = cgan.sample_noise(2, seed=5)
    np.testing.assert_allclose(cgan([z, np.array([1, 2])]),
                               cgan.generate(2, labels=[1, 2], seed=5), atol=1e-6)
    with pytest.raises(ValueError, match=r"called on \[z, labels\]"):
        cgan(z)
    # predict on the noise alone said "Received: SymbolicTensor".
    with pytest.raises(ValueError, match=r"received one tensor of shape \(\w+, 8\)\. .*"
                                         r"cgan\.generate\(n, labels=\.\.\.\)"):
        cgan.predict(z, verbose=0)


def test_whole_number_float_labels_are_class_ids_as_fit_takes_them():
    # fit, the metrics and the serving client took [1.0, 2.0]; generate refused them.
    cgan = tiny_cgan()
    np.testing.assert_array_equal(cgan.generate(3, labels=np.array([1.0, 2.0, 9.0]), seed=5),
                                  cgan.generate(3, labels=[1, 2, 9], seed=5))
    with pytest.raises(ValueError, match=r"\[0, 10\)\. Received values from 1\.0 to 10\.0"):
        cgan.generate(2, labels=[1.0, 10.0])


@pytest.mark.parametrize("labels, match", [(10, r"\[0, 10\)\. Received values from 10"),
                                           ([-1, 0, 1, 2], r"\[0, 10\)"),
                                           ([1, 2], r"expected shape \(4,\), received \(2,\)"),
                                           ([0.5, 1, 2, 3], r"must be whole-number class "
                                                            r"ids; received float64 values "
                                                            r"such as \[0\.5, 1\.0, 2\.0\]\. "
                                                            r"Map them to 0, 1"),
                                           ([np.nan, 1, 2, 3], "must be whole-number class ids"),
                                           ([True, False, True, True], r"received bool values"),
                                           # Was "must be integers. Received dtype float64".
                                           ([], r"expected shape \(4,\), received \(0,\)"),
                                           (np.eye(10)[:4], r"received \(4, 10\)\. For one-hot "
                                                            r"labels pass labels\.argmax"),
                                           # Was "labels ['3', 'class_1'] are class names".
                                           ([3, "class_1", 2, 2], r"^labels mix class ids and "
                                                                  r"class names: \[3, 'class_1', "
                                                                  r"2, 2\]\. Pass one kind")])
def test_bad_labels_are_named(labels, match):
    with pytest.raises(ValueError, match=match):
        tiny_cgan().generate(4, labels=labels, seed=0)


def test_generate_takes_labels_and_seed_by_name_so_a_seed_is_not_read_as_labels():
    # generate(4, 3), a GAN's or a VAE's seed second, drew four 3s from a fresh seed.
    cgan = tiny_cgan()
    with pytest.raises(TypeError, match=r"takes 2 positional arguments but 3 were given"):
        cgan.generate(4, 3)
    np.testing.assert_array_equal(cgan.generate(4, seed=3), cgan.generate(4, labels=None, seed=3))


def test_class_names_are_kept_with_the_model_and_taken_as_labels(tmp_path):
    # The names of an image folder's classes lived only in a classes.json beside the model.
    from keras_gen import transfer
    from tests.models.test_vae import tiny_vae

    names = [f"class_{i}" for i in range(10)]
    keras.utils.set_random_seed(0)
    cgan = ConditionalGAN(networks.conditional_dcgan_generator(TINY_SHAPE, 8, 10, 4),
                          networks.projection_discriminator(TINY_SHAPE, 10, 4), num_classes=10,
                          class_names=names)
    np.testing.assert_array_equal(cgan.generate(3, labels="class_7", seed=0),
                                  cgan.generate(3, labels=7, seed=0))
    np.testing.assert_array_equal(cgan.generate(2, labels=["class_1", "class_3"], seed=0),
                                  cgan.generate(2, labels=[1, 3], seed=0))
    cgan.save(tmp_path / "cgan.keras")
    assert keras.models.load_model(tmp_path / "cgan.keras").class_names == tuple(names)
    with pytest.raises(ValueError, match=r"\['birds'\] are not among the model's classes "
                                         r"\['class_0', "):
        cgan.generate(2, labels="birds")
    # A name off by its case or a letter is pointed at: "sneaker" for "Sneaker" was only refused.
    with pytest.raises(ValueError, match=r"\['CLASS_7', 'clas_2'\] are not among the model's "
                                         r"classes \[.*\]\. Did you mean 'class_7', 'class_2'\?$"):
        cgan.generate(2, labels=["CLASS_7", "clas_2"])
    with pytest.raises(ValueError, match=r"^labels 'seven' are class names, but this model has "
                                         r"none \(class_names=None\); pass class ids"):
        tiny_cgan().generate(2, labels="seven")
    for wrong in (names[:9], ["a"] * 10, [*names[:9], ""]):
        with pytest.raises(ValueError, match=r"class_names must be 10 distinct non-empty "
                                             r"strings, one per class"):
            ConditionalGAN(cgan.generator, cgan.discriminator, num_classes=10, class_names=wrong)
    # New classes take new names (or none): the old ones named the old classes.
    assert transfer.reset_classes(cgan, 2).class_names is None
    assert transfer.reset_classes(cgan, 2, class_names=["cats", "dogs"]).class_names == (
        "cats", "dogs")
    # A conditional VAE keeps them too; an unconditional one has none to keep.
    cvae = tiny_vae(num_classes=10, class_names=names)
    np.testing.assert_array_equal(cvae.generate(2, labels="class_4", seed=0),
                                  cvae.generate(2, labels=4, seed=0))
    cvae.save(tmp_path / "cvae.keras")
    assert keras.models.load_model(tmp_path / "cvae.keras").class_names == tuple(names)
    with pytest.raises(ValueError, match=r"this model has none \(num_classes=None\)"):
        tiny_vae(class_names=["a", "b"])


def test_training_needs_labels():
    # Labels out of range: tests/models/test_checked_fit.py.
    cgan = tiny_cgan()
    images_only = tf.data.Dataset.from_tensor_slices(np.zeros((8, 28, 28, 1), np.float32)).batch(4)
    with pytest.raises(ValueError, match="yields images only"):
        cgan.fit(images_only, epochs=1, verbose=0)


def test_generator_must_take_labels():
    with pytest.raises(ValueError, match="takes \\[z, labels\\]"):
        ConditionalGAN(networks.dcgan_generator(TINY_SHAPE, 8, 4),
                       networks.projection_discriminator(TINY_SHAPE, 10, 4), num_classes=10)


@pytest.mark.parametrize("head", ["projection", "auxiliary"])
def test_mirrored_strategy_matches_one_device(head, mirrored_strategy):
    def two_steps(strategy):
        with strategy.scope():
            cgan = tiny_cgan(head, g_norm="batch", d_norm="batch",
                             g_optimizer=keras.optimizers.SGD(0.05),
                             d_optimizer=keras.optimizers.SGD(0.05))
        cgan.fit(tiny_dataset(count=16, batch_size=8), epochs=1, verbose=0)
        return cgan

    mirrored = two_steps(mirrored_strategy)
    single = two_steps(tf.distribute.get_strategy())
    assert all(layer.synchronized for layer in batch_norm_layers(mirrored))
    for part in ("generator", "discriminator", "ema_generator"):
        assert_weights_close(weights_of(getattr(mirrored, part)),
                             weights_of(getattr(single, part)), atol=1e-5)


def test_cli_trains_and_samples_a_class(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "cgan", "--epochs", "1", "--out", str(out), "--width", "4",
                 "--latent-dim", "8", "--limit", "64", "--batch-size", "32"]) == 0
    model = keras.models.load_model(out / "model.keras")
    assert isinstance(model, ConditionalGAN) and model.num_classes == 10
    assert main(["sample", str(out / "model.keras"), "-n", "4", "--label", "3",
                 "--out", str(tmp_path / "threes.png")]) == 0
    assert (tmp_path / "threes.png").exists()
    assert main(["sample", str(out / "model.keras"), "--label", "11",
                 "--out", str(tmp_path / "bad.png")]) == 2
    assert "--label 11 is not a class of " in capsys.readouterr().err
