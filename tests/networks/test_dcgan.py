"""DCGAN builders: shapes, named blocks, normalisation choices and bad arguments."""

import keras
import numpy as np
import pytest

from keras_gen import networks


@pytest.mark.parametrize("shape, blocks", [((28, 28, 1), 2), ((32, 32, 3), 3), ((64, 64, 3), 4)])
@pytest.mark.parametrize("normalization", [None, "batch", "spectral"])
def test_shapes_and_named_blocks(shape, blocks, normalization):
    generator = networks.dcgan_generator(shape, latent_dim=8, width=4, normalization=normalization)
    discriminator = networks.dcgan_discriminator(shape, width=4, normalization=normalization)
    assert generator.output_shape == (None, *shape)
    assert discriminator.output_shape == (None, 1)
    expected = [f"block_{i}" for i in range(blocks)]
    for model in (generator, discriminator):
        names = [layer.name for layer in model.layers]
        assert [name for name in names if name.startswith("block_")] == expected
    images = generator(np.zeros((2, 8), np.float32))
    assert np.all(np.abs(np.asarray(images)) <= 1.0)  # tanh range


def test_normalization_layers_are_keras_own():
    spectral = networks.dcgan_discriminator((28, 28, 1), width=4, normalization="spectral")
    block = spectral.get_layer("block_1")
    assert isinstance(block.layers[0], keras.layers.SpectralNormalization)
    batch = networks.dcgan_discriminator((28, 28, 1), width=4, normalization="batch")
    assert any(isinstance(layer, keras.layers.BatchNormalization)
               for layer in batch.get_layer("block_1").layers)
    # DCGAN leaves the discriminator's first block unnormalised.
    assert not any(isinstance(layer, keras.layers.BatchNormalization)
                   for layer in batch.get_layer("block_0").layers)
    plain = networks.dcgan_generator((28, 28, 1), 8, 4, normalization=None)
    normalizations = (keras.layers.BatchNormalization, keras.layers.SpectralNormalization)
    assert not any(isinstance(layer, normalizations)
                   for block in plain.layers if isinstance(block, keras.Sequential)
                   for layer in block.layers)


def test_width_doubles_through_the_discriminator():
    discriminator = networks.dcgan_discriminator((32, 32, 3), width=4, normalization=None)
    channels = [discriminator.get_layer(f"block_{i}").output_shape[-1] for i in range(3)]
    assert channels == [4, 8, 16]


@pytest.mark.parametrize("bad", [(28, 28), (28, 32, 1), (28, 28, 2), (7, 7, 1), "28"])
def test_bad_image_shape_is_named(bad):
    with pytest.raises(ValueError, match="image_shape"):
        networks.dcgan_generator(bad)


@pytest.mark.parametrize("kwargs, name", [({"latent_dim": 0}, "latent_dim"),
                                          ({"width": -1}, "width"),
                                          ({"normalization": "layer"}, "normalization")])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        networks.dcgan_generator((28, 28, 1), **kwargs)


def test_conditional_generator_embeds_labels_in_the_size_asked_for():
    sized = networks.conditional_dcgan_generator(latent_dim=8, width=4, embedding_dim=3)
    assert sized.get_layer("label_embedding").output_dim == 3
    default = networks.conditional_dcgan_generator(latent_dim=8, width=4)
    assert default.get_layer("label_embedding").output_dim == 8  # latent_dim
    # 0 was taken for the default; -1 and 2.5 failed inside Keras' Embedding.
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match=rf"^embedding_dim must be a positive int\. "
                                             rf"Received: embedding_dim={bad}$"):
            networks.conditional_dcgan_generator(latent_dim=8, width=4, embedding_dim=bad)
