"""Class-conditional DCGAN networks: a label-embedding generator and two discriminator heads.

- `conditional_dcgan_generator`: `[z, labels] -> images`, the label embedding joined with `z`.
- `projection_discriminator`: `[images, labels] -> logits`, with the projection head of
  Miyato & Koyama 2018 ("cGANs with Projection Discriminator"):
  `D(x, y) = psi(phi(x)) + embed(y) . phi(x)`.
- `auxiliary_classifier_discriminator`: `images -> [logits, class_logits]`, the ACGAN head of
  Odena et al. 2017 ("Conditional Image Synthesis with Auxiliary Classifier GANs").
"""

import keras

from keras_gen.networks.dcgan import (checked_sizes, discriminator_body,
                                      generator_body, maybe_spectral)
from keras_gen.utils.arguments import check_positive_int, is_int


def check_num_classes(num_classes):
    """Returns `num_classes` as an int if it is an integer >= 2, else raises a `ValueError`.

    Example:

    ```python
    num_classes = check_num_classes(10)
    ```
    """
    if not is_int(num_classes) or num_classes < 2:
        raise ValueError(f"num_classes must be an int >= 2. Received: num_classes={num_classes!r}")
    return int(num_classes)  # Keras' layers and JSON configs refuse numpy integers


def conditional_dcgan_generator(image_shape=(28, 28, 1), latent_dim=100, num_classes=10, width=64,
                                normalization="batch", embedding_dim=None,
                                name="conditional_generator"):
    """Builds a DCGAN generator conditioned on a class label.

    The label's learned embedding (`embedding_dim`, default `latent_dim`) is
    concatenated with `z`; the rest is the DCGAN generator (named blocks).

    Args:
        image_shape: tuple. `(size, size, channels)`.
        latent_dim: int. Noise size.
        num_classes: int. Number of classes.
        width: int. Channels of the last block.
        normalization: `"batch"`, `"spectral"` or `None`.
        embedding_dim: optional int. Label embedding size.
        name: str. Model name.

    Returns:
        A functional `keras.Model` with inputs `[z (batch, latent_dim), labels (batch,) int32]`.

    Example:

    ```python
    generator = conditional_dcgan_generator((28, 28, 1), latent_dim=64, num_classes=10)
    sevens = generator([keras.random.normal((4, 64)), keras.ops.full((4,), 7)])
    ```
    """
    image_shape, latent_dim, width = checked_sizes(image_shape, latent_dim, width, normalization)
    num_classes = check_num_classes(num_classes)
    # 0 was taken for the default, -1 and 2.5 failed inside Keras' Embedding.
    embedding_dim = (latent_dim if embedding_dim is None
                     else check_positive_int("embedding_dim", embedding_dim))
    z = keras.Input((latent_dim,), name="z")
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = keras.layers.Embedding(num_classes, embedding_dim, name="label_embedding")(labels)
    joined = keras.layers.Concatenate(name="join_label")([z, embedded])
    return keras.Model([z, labels], generator_body(joined, image_shape, width, normalization),
                       name=name)


def projection_discriminator(image_shape=(28, 28, 1), num_classes=10, width=64,
                             normalization="spectral", name="projection_discriminator"):
    """Builds a DCGAN discriminator with a class-projection head (Miyato & Koyama 2018).

    `logits = dense(phi(x)) + sum(embed(y) * phi(x))`, where `phi` is the
    DCGAN convolutional body.

    Args:
        image_shape: tuple. `(size, size, channels)`.
        num_classes: int. Number of classes.
        width: int. Channels of the first block.
        normalization: `"batch"`, `"spectral"` or `None`.
        name: str. Model name.

    Returns:
        A functional `keras.Model`: `[images, labels] -> logits (batch, 1)`.

    Example:

    ```python
    discriminator = projection_discriminator((28, 28, 1), num_classes=10, width=32)
    ```
    """
    image_shape, _, width = checked_sizes(image_shape, 1, width, normalization)
    num_classes = check_num_classes(num_classes)
    images = keras.Input(tuple(image_shape), name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    features = discriminator_body(images, image_shape, width, normalization)
    unconditional = maybe_spectral(keras.layers.Dense(1, name="logit"), normalization)(features)
    embedded = keras.layers.Embedding(num_classes, features.shape[-1],
                                      name="label_projection")(labels)
    projection = keras.layers.Dot(axes=-1, name="projection")([embedded, features])
    summed = keras.layers.Add(name="add_projection")([unconditional, projection])
    logits = keras.layers.Activation("linear", dtype="float32", name="logits")(summed)
    return keras.Model([images, labels], logits, name=name)


def auxiliary_classifier_discriminator(image_shape=(28, 28, 1), num_classes=10, width=64,
                                       normalization="spectral", name="acgan_discriminator"):
    """Builds a DCGAN discriminator with an auxiliary class head (ACGAN, Odena et al. 2017).

    Args:
        image_shape: tuple. `(size, size, channels)`.
        num_classes: int. Number of classes.
        width: int. Channels of the first block.
        normalization: `"batch"`, `"spectral"` or `None`.
        name: str. Model name.

    Returns:
        A functional `keras.Model`: `images -> [logits (batch, 1), class_logits (batch, K)]`.

    Example:

    ```python
    discriminator = auxiliary_classifier_discriminator((28, 28, 1), num_classes=10)
    ```
    """
    image_shape, _, width = checked_sizes(image_shape, 1, width, normalization)
    num_classes = check_num_classes(num_classes)
    images = keras.Input(tuple(image_shape), name="images")
    features = discriminator_body(images, image_shape, width, normalization)
    logit = maybe_spectral(keras.layers.Dense(1, name="logit"), normalization)(features)
    classes = maybe_spectral(keras.layers.Dense(num_classes, name="class_logit"),
                             normalization)(features)
    logits = keras.layers.Activation("linear", dtype="float32", name="logits")(logit)
    class_logits = keras.layers.Activation("linear", dtype="float32", name="class_logits")(classes)
    return keras.Model(images, [logits, class_logits], name=name)
