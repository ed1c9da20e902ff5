"""GAN: the shared model test, sampling, EMA, losses, shape errors and serialisation."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import networks
from keras_gen.models import GAN, VAE
from tests.helpers import (assert_weights_close, run_model_test, tiny_cgan, tiny_dataset,
                           tiny_gan, weights_of)
from tests.models.test_vae import tiny_vae


def test_shared_model_test(tmp_path):
    run_model_test(tiny_gan(), tiny_dataset(), tmp_path)


def test_shared_model_test_without_ema_and_with_spectral_generator(tmp_path):
    run_model_test(tiny_gan(g_norm="spectral", d_norm=None, ema_decay=None), tiny_dataset(),
                   tmp_path)


@pytest.mark.parametrize("loss", ["non_saturating", "least_squares", "hinge", "wasserstein"])
def test_every_loss_trains_and_reports_metrics(loss):
    gan = tiny_gan(loss=loss, d_norm=None)
    logs = gan.fit(tiny_dataset(), epochs=1, verbose=0).history
    assert set(logs) == {"loss", "g_loss", "d_loss", "d_real", "d_fake"}
    assert all(np.isfinite(values[-1]) for values in logs.values())
    np.testing.assert_allclose(logs["loss"][-1], logs["g_loss"][-1] + logs["d_loss"][-1],
                               rtol=1e-5)
    assert gan.gp_weight == (10.0 if loss == "wasserstein" else 0.0)


def test_d_steps_counts_critic_updates():
    gan = tiny_gan(d_steps=3, r1_gamma=1.0)
    gan.fit(tiny_dataset(count=16, batch_size=8), epochs=1, verbose=0)
    assert int(gan.d_optimizer.iterations) == 6 and int(gan.g_optimizer.iterations) == 2


def test_generate_is_reproducible_and_in_range():
    gan = tiny_gan()
    first, again = gan.generate(5, seed=11), gan.generate(5, seed=11)
    np.testing.assert_array_equal(first, again)
    assert first.shape == (5, 28, 28, 1) and np.abs(first).max() <= 1.0
    assert not np.array_equal(first, gan.generate(5, seed=12))
    # Batching does not change the result.
    np.testing.assert_allclose(gan.generate(5, seed=11, batch_size=2), first, atol=1e-6)


def test_call_and_predict_run_the_sampling_generator():
    gan = tiny_gan()
    # -1, 2.0 and "a" failed inside TensorFlow's random op.
    for args, name in (((-1, 0), "num_images"), ((2.0, 0), "num_images"), ((2, "a"), "seed")):
        with pytest.raises(ValueError, match=rf"^{name} must be"):
            gan.sample_noise(*args)
    z = gan.sample_noise(3, seed=0)
    np.testing.assert_allclose(gan.predict(z, verbose=0), gan.ema_generator(z), atol=1e-6)
    np.testing.assert_allclose(gan(z), gan.generate(3, seed=0), atol=1e-6)


def test_ema_follows_the_formula():
    decay = 0.9
    gan = tiny_gan(ema_decay=decay)
    before_ema = weights_of(gan.ema_generator)
    gan.fit(tiny_dataset(count=8, batch_size=8), epochs=1, verbose=0)  # one generator step
    after = gan.generator.weights
    for ema, old, new in zip(gan.ema_generator.weights, before_ema, after):
        if new.trainable:  # averaged
            np.testing.assert_allclose(ema, decay * old + (1 - decay) * np.array(new), atol=1e-6)
        else:  # batch-norm statistics are copied
            np.testing.assert_allclose(ema, new, atol=1e-6)


def test_ema_warmup_ramps_the_decay_from_the_first_step():
    # One generator step: t = 1, so the decay is min(0.9, 2 / 11), not 0.9.
    gan = tiny_gan(ema_decay=0.9)
    gan.ema_warmup = True
    before_ema = weights_of(gan.ema_generator)
    gan.fit(tiny_dataset(count=8, batch_size=8), epochs=1, verbose=0)
    decay = 2 / 11
    for ema, old, new in zip(gan.ema_generator.weights, before_ema, gan.generator.weights):
        if new.trainable:
            np.testing.assert_allclose(ema, decay * old + (1 - decay) * np.array(new), atol=1e-6)
    assert GAN.from_config(gan.get_config()).ema_warmup is True


def test_mismatched_data_names_both_shapes():
    gan = tiny_gan()
    wrong = tf.data.Dataset.from_tensor_slices(np.zeros((8, 32, 32, 3), np.float32)).batch(4)
    with pytest.raises(ValueError, match=r"GAN\.fit takes images of shape \(batch, 28, 28, 1\); "
                                         r"received shape \(None, 32, 32, 3\)"):
        gan.fit(wrong, epochs=1, verbose=0)


def test_mismatched_networks_name_both_shapes():
    with pytest.raises(ValueError, match=r"\(28, 28, 1\).*\(32, 32, 3\)"):
        GAN(networks.dcgan_generator((28, 28, 1), 8, 4),
            networks.dcgan_discriminator((32, 32, 3), 4))


@pytest.mark.parametrize("kwargs, match", [({"loss": "lsgan"}, "loss must be one of"),
                                           ({"d_steps": 0}, "d_steps must be"),
                                           ({"gp_weight": -1.0}, "gp_weight must be"),
                                           # Taken for a weight of 1, and a NaN loss:
                                           ({"r1_gamma": True}, "r1_gamma must be"),
                                           ({"gp_weight": float("nan")}, "gp_weight must be"),
                                           ({"g_optimizer": "not_an_optimizer"}, "optimizer")])
def test_bad_compile_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tiny_gan(**kwargs)


def test_how_the_steps_run_is_checked_at_compile_for_every_family():
    # jit_compile="no" is truthy: Keras compiled the step with XLA. steps_per_execution=0
    # failed in fit with "range() arg 3 must not be zero".
    from tests.models.test_vae import tiny_vaegan

    for model in (tiny_gan(), tiny_vae(), tiny_vaegan()):
        for arguments, message in (({"jit_compile": "no"}, r"^jit_compile must be True, False or "
                                                           r"'auto'\. Received: jit_compile='no'$"),
                                   ({"jit_compile": 1}, r"^jit_compile must be True, False or "
                                                        r"'auto'\. Received: jit_compile=1$"),
                                   ({"steps_per_execution": 0}, r"^steps_per_execution must be a "
                                                                r"positive int"),
                                   ({"run_eagerly": "yes"}, r"^run_eagerly must be True or False")):
            with pytest.raises(ValueError, match=message):
                model.compile(**arguments)
        model.compile(jit_compile=False, steps_per_execution=2)
        assert model.jit_compile is False and model.steps_per_execution == 2


def test_fit_before_compile_says_to_compile_for_every_family():
    # With callbacks, an IndexError in the callback checks; without, Keras' "You must call
    # `compile()`", which does not say that the defaults need no arguments.
    gan, vae = tiny_gan(), tiny_vae()
    for model in (GAN(gan.generator, gan.discriminator), VAE(vae.encoder, vae.decoder)):
        name = type(model).__name__
        for callbacks in (None, [keras.callbacks.TerminateOnNaN()]):
            with pytest.raises(ValueError, match=rf"^This {name} is not compiled: call compile\(\) "
                                                 r"before fit \(with no arguments for the default"):
                model.fit(tiny_dataset(), verbose=0, callbacks=callbacks)
    gan.set_augment(None)  # leaves it uncompiled: the traced step must be rebuilt
    with pytest.raises(ValueError, match=r"set_augment leaves a model uncompiled"):
        gan.fit(tiny_dataset(), verbose=0)
    gan.compile()
    assert np.isfinite(gan.fit(tiny_dataset(), verbose=0).history["d_loss"][-1])


def test_generate_seeds_are_ints_that_fit_int64():
    gan, vae = tiny_gan(), tiny_vae()
    for model in (gan, vae):
        # numpy ints and both ends of int64 are seeds like any other.
        np.testing.assert_array_equal(model.generate(1, seed=np.int64(3)),
                                      model.generate(1, seed=3))
        assert model.generate(1, seed=-2 ** 63).shape == model.generate(1, seed=2 ** 63 - 1).shape
        with pytest.raises(ValueError, match=r"seed must fit int64.*seed=9223372036854775808"):
            model.generate(1, seed=2 ** 63)
        for seed in ["7", 7.0, True]:
            with pytest.raises(ValueError, match="seed must be an int, or None"):
                model.generate(1, seed=seed)


def test_an_unconditional_gan_refuses_labels_with_where_they_are_taken():
    # Python's "GAN.generate() got an unexpected keyword argument 'labels'", where a VAE said
    # "This VAE is not conditional (num_classes=None); drop labels".
    with pytest.raises(ValueError, match=r"^This GAN is not conditional: it draws every class, "
                                         r"not the ones asked for; drop labels\. For images of "
                                         r"chosen classes use a ConditionalGAN: "):
        tiny_gan().generate(4, seed=0, labels=7)
    assert tiny_cgan().generate(4, seed=0, labels=7).shape == (4, 28, 28, 1)


def test_generate_batch_size_is_a_positive_int():
    # It failed with "range() arg 3 must not be zero" (0), "need at least one array to
    # concatenate" (-1) or "'float' object cannot be interpreted as an integer" (2.5).
    for model in (tiny_gan(), tiny_cgan(), tiny_vae()):
        assert model.generate(5, seed=0, batch_size=2).shape == (5, 28, 28, 1)
        for batch_size in (0, -1, 2.5):
            with pytest.raises(ValueError, match=rf"batch_size must be a positive int\. "
                                                 rf"Received: batch_size={batch_size}"):
                model.generate(5, seed=0, batch_size=batch_size)


def test_generate_given_noise_says_how_to_decode_it():
    # gan.generate(z) said "num_images must be a positive int. Received: num_images=array([[...",
    # the whole array printed, and nothing of how to make images from noise of one's own.
    cvae = tiny_vae(num_classes=10)
    for model, fix in ((tiny_gan(), r"call the model on it: gan\.predict\(z\)"),
                       (tiny_cgan(), r"call the model on it: cgan\.predict\(\[z, labels\]\)"),
                       (tiny_vae(), r"decode it: vae\.decode\(z\)"),
                       (cvae, r"decode it: vae\.decode\(z, labels\)")):
        z = np.zeros((2, model.latent_dim), np.float32)
        for noise in (z, tf.constant(z)):
            with pytest.raises(ValueError, match=rf"^{type(model).__name__}\.generate takes how "
                                                 rf"many images to draw \(an int\); received one "
                                                 rf"tensor of shape \(2, {model.latent_dim}\)\. "
                                                 rf"To make images from noise of your own, {fix}"):
                model.generate(noise, seed=0)
    # A count in a tensor or a 0-d array is a count all the same.
    for model in (tiny_gan(), tiny_cgan(), cvae):
        for count in (tf.constant(2), np.array(2), tf.constant(2, tf.int64)):
            assert model.generate(count, seed=0).shape == (2, 28, 28, 1)
    # What the message names works, and matches generate for the same noise.
    gan = tiny_gan()
    np.testing.assert_allclose(gan.predict(gan.sample_noise(3, seed=4), verbose=0),
                               gan.generate(3, seed=4), atol=1e-6)
    labels = np.arange(2)
    z = np.random.default_rng(0).normal(size=(2, cvae.latent_dim)).astype(np.float32)
    assert cvae.decode(z, labels).shape == (2, 28, 28, 1)


def test_integer_datasets_are_refused_before_training():
    # A uint8 dataset trained without an error: d_real ~41 for a GAN, a VAE's loss went to NaN.
    images = np.full((8, 28, 28, 1), 255, np.uint8)
    for model in (tiny_gan(), tiny_vae()):
        name = type(model).__name__
        with pytest.raises(ValueError, match=rf"{name} takes float images in \[-1, 1\]; the "
                                             r"dataset yields uint8 images\. Map them"):
            model.fit(tf.data.Dataset.from_tensor_slices(images).batch(4), epochs=1, verbose=0)
        with pytest.raises(ValueError, match=rf"{name}\.fit takes float images in \[-1, 1\]; "
                                             r"received uint8 values\. Scale"):
            model.fit(images, epochs=1, batch_size=4, verbose=0)
        optimizer = model.g_optimizer if name == "GAN" else model.optimizer
        assert int(optimizer.iterations) == 0  # refused before the first step


def test_loaded_model_keeps_compile_settings(tmp_path):
    gan = tiny_gan(loss="hinge", d_steps=2, r1_gamma=0.5,
                   g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0))
    gan.fit(tiny_dataset(count=8), epochs=1, verbose=0)
    gan.save(tmp_path / "gan.keras")
    loaded = keras.models.load_model(tmp_path / "gan.keras")
    assert (loaded.loss_name, loaded.d_steps, loaded.r1_gamma) == ("hinge", 2, 0.5)
    assert float(loaded.g_optimizer.learning_rate) == pytest.approx(1e-3)
    assert loaded.ema_decay == gan.ema_decay and loaded.seed == gan.seed
    assert_weights_close(weights_of(gan), weights_of(loaded))


def test_jit_compiled_training_is_finite_and_reproducible():
    # XLA's stateless RNG draws other numbers than TensorFlow's kernels for the
    # same seed, so XLA runs are compared with each other, not with graph mode.
    results = []
    for _ in range(2):
        gan = tiny_gan(jit_compile=True, d_norm=None)
        assert gan.jit_compile is True
        logs = gan.fit(tiny_dataset(), epochs=1, verbose=0).history
        assert all(np.isfinite(v[-1]) for v in logs.values())
        results.append(weights_of(gan.generator))
    assert_weights_close(results[0], results[1], atol=0)


def test_noise_of_the_wrong_shape_is_refused_by_call_and_predict():
    # predict on a vector (after one on a batch) failed with "as_list() is not defined on an
    # unknown TensorShape", on the wrong width with a graph error at a MatMul, and a call on
    # (batch, latent_dim, 1) returned images without a word.
    gan, cgan = tiny_gan(), tiny_cgan()
    z = gan.sample_noise(4, seed=0).numpy()
    np.testing.assert_allclose(gan.predict(z, verbose=0), gan(z), atol=1e-6)
    batches = tf.data.Dataset.from_tensor_slices(z).batch(2)
    assert gan.predict(batches, verbose=0).shape == (4, 28, 28, 1)
    assert cgan.predict([z, np.arange(4)], verbose=0).shape == (4, 28, 28, 1)
    cases = [(wrong, rf"takes noise z of shape \(batch, 8\); received shape "
                     rf"{re.escape(str(wrong.shape))}\. Draw it with sample_noise")
             for wrong in (z[0], z[:, :7], z[..., None])]
    # An empty batch came back as images of 4 channels (oneDNN), and predict failed with
    # Keras' UnboundLocalError.
    cases.append((z[:0], r"received an empty batch \(noise z of shape \(0, 8\)\); pass at "
                         r"least one example"))
    for wrong, said in cases:
        with pytest.raises(ValueError, match=rf"^GAN\.predict {said}"):
            gan.predict(wrong, verbose=0)
        with pytest.raises(ValueError, match=f"GAN {said}"):
            gan(wrong)
        with pytest.raises(ValueError, match=rf"^ConditionalGAN\.predict {said}"):
            cgan.predict([wrong, np.arange(len(wrong))], verbose=0)


def test_bad_constructor_arguments():
    g = networks.dcgan_generator((28, 28, 1), 8, 4)
    d = networks.dcgan_discriminator((28, 28, 1), 4)
    with pytest.raises(ValueError, match="ema_decay must be"):
        GAN(g, d, ema_decay=1.5)
    with pytest.raises(ValueError, match="generator must be a keras.Model"):
        GAN("generator", d)
