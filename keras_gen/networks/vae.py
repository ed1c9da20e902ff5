"""Convolutional VAE encoder and decoder builders (optionally class-conditional).

The encoder reuses the DCGAN discriminator body and the decoder the DCGAN
generator body, so blocks keep the `block_k` names transfer learning freezes by.
"""

import keras

from keras_gen.networks.conditional import check_num_classes
from keras_gen.networks.dcgan import checked_sizes, discriminator_body, generator_body


def _labels_input(num_classes):
    """`(the labels input, num_classes as an int)`, or `(None, None)` for no labels."""
    if num_classes is None:
        return None, None
    return keras.Input((), dtype="int32", name="labels"), check_num_classes(num_classes)


def vae_encoder(image_shape=(28, 28, 1), latent_dim=16, width=32, num_classes=None,
                name="encoder"):
    """Builds a convolutional encoder `images -> [z_mean, z_log_var]`.

    With `num_classes`, a conditional-VAE encoder: a learned label embedding is
    joined with the image features (Sohn et al. 2015, "Learning Structured
    Output Representation using Deep Conditional Generative Models").

    Args:
        image_shape: tuple. `(size, size, channels)`.
        latent_dim: int. Latent size.
        width: int. Channels of the first block.
        num_classes: optional int. Makes the encoder take `[images, labels]`.
        name: str. Model name.

    Returns:
        A functional `keras.Model` with outputs `[z_mean, z_log_var]`, each `(batch, latent_dim)`.

    Example:

    ```python
    encoder = vae_encoder((28, 28, 1), latent_dim=2)
    ```
    """
    image_shape, latent_dim, width = checked_sizes(image_shape, latent_dim, width, None)
    images = keras.Input(tuple(image_shape), name="images")
    labels, num_classes = _labels_input(num_classes)
    features = discriminator_body(images, image_shape, width, None)
    if labels is not None:
        embedded = keras.layers.Embedding(num_classes, 16, name="label_embedding")(labels)
        features = keras.layers.Concatenate(name="join_label")([features, embedded])
    hidden = keras.layers.Dense(256, activation="relu", name="hidden")(features)
    z_mean = keras.layers.Dense(latent_dim, dtype="float32", name="z_mean")(hidden)
    z_log_var = keras.layers.Dense(latent_dim, dtype="float32", name="z_log_var")(hidden)
    inputs = images if labels is None else [images, labels]
    return keras.Model(inputs, [z_mean, z_log_var], name=name)


def vae_decoder(image_shape=(28, 28, 1), latent_dim=16, width=32, num_classes=None,
                name="decoder"):
    """Builds a convolutional decoder `z -> image logits` (unbounded, float32).

    The VAE reads the outputs as Bernoulli logits or Gaussian means, as its
    `likelihood` says. With `num_classes`, the decoder takes `[z, labels]`.

    Args:
        image_shape: tuple. `(size, size, channels)`.
        latent_dim: int. Latent size.
        width: int. Channels of the last block.
        num_classes: optional int. Makes the decoder take `[z, labels]`.
        name: str. Model name.

    Returns:
        A functional `keras.Model` with output `(batch, *image_shape)`.

    Example:

    ```python
    decoder = vae_decoder((28, 28, 1), latent_dim=2)
    ```
    """
    image_shape, latent_dim, width = checked_sizes(image_shape, latent_dim, width, None)
    z = keras.Input((latent_dim,), name="z")
    labels, num_classes = _labels_input(num_classes)
    x = z
    if labels is not None:
        embedded = keras.layers.Embedding(num_classes, 16, name="label_embedding")(labels)
        x = keras.layers.Concatenate(name="join_label")([z, embedded])
    outputs = generator_body(x, image_shape, width, None, output_activation=None)
    return keras.Model(z if labels is None else [z, labels], outputs, name=name)


def feature_discriminator(image_shape=(28, 28, 1), width=32, normalization=None,
                          name="feature_discriminator"):
    """A DCGAN discriminator that also returns its last feature layer (for VAE-GAN).

    Args:
        image_shape: tuple. `(size, size, channels)`.
        width: int. Channels of the first block.
        normalization: `"batch"`, `"spectral"` or `None`.
        name: str. Model name.

    Returns:
        A functional `keras.Model`: `images -> [logits (batch, 1), features (batch, F)]`.

    Example:

    ```python
    discriminator = feature_discriminator((28, 28, 1))
    logits, features = discriminator(images)
    ```
    """
    image_shape, _, width = checked_sizes(image_shape, 1, width, normalization)
    images = keras.Input(tuple(image_shape), name="images")
    features = discriminator_body(images, image_shape, width, normalization)
    logits = keras.layers.Dense(1, dtype="float32", name="logits")(features)
    features = keras.layers.Activation("linear", dtype="float32", name="features")(features)
    return keras.Model(images, [logits, features], name=name)
