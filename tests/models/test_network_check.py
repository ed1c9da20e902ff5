"""Networks the models cannot train, refused: mismatched classes and shapes, networks without
defined inputs, and outputs the losses cannot train (keras_gen/models/network_check.py)."""

import keras
import pytest

from keras_gen import networks
from keras_gen.models import GAN, VAE, ConditionalGAN
from tests.helpers import tiny_images


def test_networks_that_do_not_fit_together_are_refused_when_the_model_is_made():
    """Each was accepted and failed at the first step inside Keras, or trained wrongly."""
    from keras_gen.models import VAEGAN

    shape = (28, 28, 1)
    g3, d3 = (networks.conditional_dcgan_generator(shape, 8, 3, 4),
              networks.projection_discriminator(shape, 3, 4))
    # Labels past the embedding: an error on a CPU, an all-zero embedding on a GPU.
    with pytest.raises(ValueError, match=r"^The generator 'conditional_generator' embeds labels "
                                         r"of 3 classes, but num_classes=4\. Build the networks "
                                         r"with num_classes=4, or pass num_classes=3\.$"):
        ConditionalGAN(g3, d3, num_classes=4)
    with pytest.raises(ValueError, match=r"^The discriminator 'projection_discriminator' embeds "
                                         r"labels of 3 classes, but num_classes=4"):
        ConditionalGAN(networks.conditional_dcgan_generator(shape, 8, 4, 4), d3, num_classes=4)
    with pytest.raises(ValueError, match=r"returns 5 class logits for num_classes=3"):
        ConditionalGAN(g3, networks.auxiliary_classifier_discriminator(shape, 5, 4), num_classes=3)
    with pytest.raises(ValueError, match=r"returns 1 output\(s\) for num_classes=3"):
        ConditionalGAN(g3, networks.dcgan_discriminator(shape, 4), num_classes=3)
    with pytest.raises(ValueError, match=r"^A GAN's generator takes noise only .* these take 2 and "
                                         r"2 inputs\. For networks that take labels, use "
                                         r"ConditionalGAN"):
        GAN(g3, d3)
    assert ConditionalGAN(g3, d3, num_classes=3).num_classes == 3
    encoder, decoder = networks.vae_encoder(shape, 4, 4, 3), networks.vae_decoder(shape, 4, 4, 3)
    with pytest.raises(ValueError, match=r"^The encoder 'encoder' embeds labels of 3 classes, but "
                                         r"num_classes=5"):
        VAE(encoder, decoder, num_classes=5)
    with pytest.raises(ValueError, match=r"^The decoder must take the encoder's latents, \(4,\), "
                                         r"and make its images, \(28, 28, 1\); 'decoder' takes "
                                         r"\(6,\) and makes \(28, 28, 1\)"):
        VAE(networks.vae_encoder(shape, 4, 4), networks.vae_decoder(shape, 6, 4))
    with pytest.raises(ValueError, match=r"makes \(32, 32, 3\)\. Build both for the same"):
        VAE(networks.vae_encoder(shape, 4, 4), networks.vae_decoder((32, 32, 3), 4, 4))
    with pytest.raises(ValueError, match=r"^The encoder must return \[z_mean, z_log_var\]"):
        VAE(networks.vae_decoder(shape, 4, 4), networks.vae_encoder(shape, 4, 4))  # swapped
    # NaN made every loss NaN from the first step; a negative gamma rewarded bad reconstructions.
    unconditional = networks.vae_encoder(shape, 4, 4), networks.vae_decoder(shape, 4, 4)
    for beta in (float("nan"), True):
        with pytest.raises(ValueError, match=rf"^beta must be a float >= 0\. Received: "
                                             rf"beta={beta!r}$"):
            VAE(*unconditional, beta=beta)
    with pytest.raises(ValueError, match=r"^gamma must be a float >= 0\. Received: gamma=-1$"):
        VAEGAN(*unconditional, networks.feature_discriminator(shape, 4), gamma=-1)


def test_networks_without_defined_inputs_are_refused_with_how_to_build_them():
    # A Sequential without keras.Input, or a subclassed model, failed inside the constructor:
    # "Sequential model ... has no defined inputs yet", "'Generator' object has no attribute
    # 'inputs'".
    class Generator(keras.Model):
        def call(self, z):
            return keras.ops.reshape(z, (-1, 28, 28, 1))

    d = networks.dcgan_discriminator((28, 28, 1), 4)
    how = (r"has no defined inputs and outputs, which keras_gen reads \(latent size, image "
           r"shape\) and copies\. Build it as a functional model, or as a keras\.Sequential "
           r"that starts with keras\.Input\(shape\)")
    unbuilt = keras.Sequential([keras.layers.Dense(28 * 28), keras.layers.Reshape((28, 28, 1))],
                               name="unbuilt")
    with pytest.raises(ValueError, match=rf"^The generator 'unbuilt' \(Sequential\) {how}"):
        GAN(unbuilt, d)
    with pytest.raises(ValueError, match=rf"^The generator 'mine' \(Generator\) {how}"):
        GAN(Generator(name="mine"), d)
    with pytest.raises(ValueError, match=rf"^The decoder 'mine' \(Generator\) {how}"):
        VAE(networks.vae_encoder((28, 28, 1), 8, 4), Generator(name="mine"))
    with pytest.raises(ValueError, match=rf"^The generator 'mine' \(Generator\) {how}"):
        ConditionalGAN(Generator(name="mine"), d, num_classes=10)
    # With keras.Input first, the same Sequential trains.
    built = keras.Sequential([keras.Input((8,)), keras.layers.Dense(28 * 28, activation="tanh"),
                              keras.layers.Reshape((28, 28, 1))])
    gan = GAN(built, d)
    gan.compile()
    gan.fit(tiny_images(8), batch_size=4, verbose=0)
    assert gan.latent_dim == 8 and int(gan.g_optimizer.iterations) == 2


def _ends_in(*layers, input_shape=(28, 28, 1)):
    return keras.Sequential([keras.Input(input_shape), *layers], name="mine")


def _refused_before_training(model, match, tmp_path):
    """`fit` and `train_on_batch` refuse `model` (`match`) before a step; it saves and loads."""
    model.compile()
    images = tiny_images(8)
    with pytest.raises(ValueError, match=match):
        model.fit(images, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=match):
        model.train_on_batch(images[:4])
    optimizer = getattr(model, "d_optimizer", None) or model.optimizer
    assert int(optimizer.iterations) == 0
    # Not refused by the constructor: a file saved with such a network still loads.
    model.save(tmp_path / "model.keras")
    keras.models.load_model(tmp_path / "model.keras")


def test_network_outputs_the_losses_cannot_train_are_refused_by_fit(tmp_path):
    # Each trained without a word: a discriminator with 10 logits or a sigmoid (the losses
    # average over every non-batch axis and take logits), a generator without negative values
    # (images lie in [-1, 1]), a decoder whose activation contradicts its likelihood.
    g = networks.dcgan_generator((28, 28, 1), 8, 4)
    d = networks.dcgan_discriminator((28, 28, 1), 4)
    _refused_before_training(GAN(g, _ends_in(keras.layers.Flatten(), keras.layers.Dense(10))),
                             r"^The discriminator 'mine' must return one logit per image \(or per "
                             r"patch\), shape \(batch, 1\); its output has shape \(None, 10\)\. "
                             r"End it with ", tmp_path)
    for head in ([keras.layers.Dense(1, activation="sigmoid")],
                 [keras.layers.Dense(1), keras.layers.Activation("sigmoid")]):
        _refused_before_training(GAN(g, _ends_in(keras.layers.Flatten(), *head)),
                                 r"^The discriminator 'mine' ends in a sigmoid or softmax \(layer "
                                 r"'.*'\), but the GAN losses take logits", tmp_path)
    for end in ("sigmoid", "relu"):
        image = [keras.layers.Dense(28 * 28), keras.layers.Reshape((28, 28, 1)),
                 keras.layers.Activation(end)]
        _refused_before_training(GAN(_ends_in(*image, input_shape=(8,)), d),
                                 r"^The generator 'mine' ends in an activation without negative "
                                 r"values .*lie in \[-1, 1\]: end it with activation='tanh'",
                                 tmp_path)
    encoder = networks.vae_encoder((28, 28, 1), 8, 4)
    for end, likelihood in (("sigmoid", "bernoulli"), ("tanh", "bernoulli"), ("relu", "bernoulli"),
                            ("relu", "gaussian"), ("sigmoid", "gaussian")):
        image = [keras.layers.Dense(28 * 28), keras.layers.Reshape((28, 28, 1)),
                 keras.layers.Activation(end)]
        _refused_before_training(
            VAE(encoder, _ends_in(*image, input_shape=(8,)), likelihood=likelihood),
            rf"^The decoder 'mine' ends in {end} \(layer '.*'\), but likelihood='{likelihood}' "
            r"reads the ", tmp_path)
    # A logit per patch, averaged by the losses, trains.
    patches = GAN(g, _ends_in(keras.layers.Conv2D(1, 4, 4)))  # (batch, 7, 7, 1)
    patches.compile()
    patches.fit(tiny_images(8), batch_size=4, verbose=0)
    assert int(patches.d_optimizer.iterations) == 2
