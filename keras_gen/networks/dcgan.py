"""DCGAN generator and discriminator builders (Radford et al. 2016, arXiv:1511.06434).

Both networks are plain functional `keras.Model`s made of named blocks
(`block_0`, `block_1`, ...), each a small `keras.Sequential`, so transfer
learning can freeze or swap whole blocks by name.
"""

import keras

from keras_gen.utils.arguments import check_positive_int, is_int

NORMALIZATIONS = (None, "batch", "spectral")
# The spatial size the generator starts from: halve the image side while it
# stays even and above this, so 28 -> 7, 32 -> 4, 64 -> 4.
_MIN_START_SIZE = 4


def check_image_shape(image_shape):
    """Checks `(size, size, channels)` and returns the generator's `(start_size, num_upsamples)`.

    Args:
        image_shape: tuple. Square, with 1 or 3 channels, a side that halves at least once.

    Raises:
        ValueError: for any other shape, with examples of valid ones.

    Example:

    ```python
    check_image_shape((28, 28, 1))  # (7, 2): a 7x7 start, upsampled twice
    ```
    """
    valid = (
        isinstance(image_shape, (tuple, list))
        and len(image_shape) == 3
        and all(is_int(side) and side > 0 for side in image_shape)
        and image_shape[0] == image_shape[1]
        and image_shape[2] in (1, 3)
    )
    if not valid:
        raise ValueError(
            "image_shape must be (size, size, channels) with channels 1 or 3, e.g. "
            f"(28, 28, 1), (32, 32, 3) or (64, 64, 3). Received: image_shape={image_shape!r}"
        )
    num_upsamples, size = 0, image_shape[0]
    while size % 2 == 0 and size // 2 >= _MIN_START_SIZE:
        size //= 2
        num_upsamples += 1
    if num_upsamples == 0:
        raise ValueError(
            "image_shape must have a side that halves at least once to 4 or more "
            f"(e.g. 28, 32, 64). Received: image_shape={image_shape!r}"
        )
    return size, num_upsamples


def checked_sizes(image_shape, latent_dim, width, normalization):
    """`(image_shape, latent_dim, width)` checked, as Python ints: Keras' layers refuse numpy's.

    Example:

    ```python
    image_shape, latent_dim, width = checked_sizes((28, 28, 1), 64, 32, "batch")
    ```
    """
    check_image_shape(image_shape)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    width = check_positive_int("width", width)
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"normalization must be one of {NORMALIZATIONS}. "
            f"Received: normalization={normalization!r}"
        )
    return tuple(int(side) for side in image_shape), latent_dim, width


def maybe_spectral(layer, normalization):
    """`layer` wrapped in Keras' `SpectralNormalization` when `normalization == "spectral"`.

    Example:

    ```python
    conv = maybe_spectral(keras.layers.Conv2D(64, 4, name="conv"), "spectral")  # "conv_sn"
    ```
    """
    if normalization == "spectral":
        # The power iteration runs in the variables' dtype: under mixed_float16 it ran in
        # float16, where Keras' normalize() clamp 1 / 1e-7 overflows ("RuntimeWarning: overflow
        # encountered in cast" on every fit) and the estimate of sigma loses precision. The
        # wrapped layer keeps the policy's compute dtype.
        variable_dtype = keras.config.dtype_policy().variable_dtype
        return keras.layers.SpectralNormalization(layer, name=f"{layer.name}_sn",
                                                  dtype=variable_dtype)
    return layer


def dcgan_generator(image_shape=(28, 28, 1), latent_dim=100, width=64, normalization="batch",
                    name="generator"):
    """Builds a DCGAN generator mapping `z` to images in [-1, 1].

    A dense projection to `start x start x (width * 2**k)` features, then `k`
    upsampling blocks (4x4 stride-2 transposed convolution, normalisation,
    ReLU) halving the width each time, then a 3x3 convolution with tanh.

    Args:
        image_shape: tuple. `(size, size, channels)`; e.g. `(28, 28, 1)`,
            `(32, 32, 3)`, `(64, 64, 3)`.
        latent_dim: int. Size of the noise vector `z`.
        width: int. Channels of the last block; earlier blocks double it.
        normalization: `"batch"`, `"spectral"` (Keras' `SpectralNormalization`)
            or `None`.
        name: str. Model name.

    Returns:
        A functional `keras.Model` with input `z` `(batch, latent_dim)` and
        output `(batch, *image_shape)`.

    Example:

    ```python
    generator = dcgan_generator((32, 32, 3), latent_dim=128, width=64)
    images = generator(keras.random.normal((4, 128)))  # (4, 32, 32, 3)
    ```
    """
    image_shape, latent_dim, width = checked_sizes(image_shape, latent_dim, width, normalization)
    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, generator_body(z, image_shape, width, normalization), name=name)


def generator_body(x, image_shape, width, normalization, output_activation="tanh"):
    """The DCGAN generator's layers applied to a flat input tensor `x` (noise, or noise and label).

    Args:
        x: symbolic tensor `(batch, features)`.
        image_shape: tuple. `(size, size, channels)`.
        width: int. Channels of the last block.
        normalization: `"batch"`, `"spectral"` or `None`.
        output_activation: str or `None`. `"tanh"` for images in [-1, 1]; `None`
            for unbounded outputs (a VAE decoder's logits or means).

    Returns:
        Symbolic images `(batch, *image_shape)`, float32.

    Example:

    ```python
    z = keras.Input((64,))
    model = keras.Model(z, generator_body(z, (28, 28, 1), 32, "batch"))
    ```
    """
    start, num_blocks = check_image_shape(image_shape)
    stem_channels = width * 2 ** (num_blocks - 1) * 2
    stem_dense = keras.layers.Dense(start * start * stem_channels, use_bias=False,
                                    name="stem_dense")
    stem = [maybe_spectral(stem_dense, normalization)]
    if normalization == "batch":
        stem.append(keras.layers.BatchNormalization(name="stem_norm"))
    stem += [keras.layers.ReLU(name="stem_relu"),
             keras.layers.Reshape((start, start, stem_channels), name="stem_reshape")]
    x = keras.Sequential(stem, name="stem")(x)
    for index in range(num_blocks):
        channels = width * 2 ** (num_blocks - 1 - index)
        conv = keras.layers.Conv2DTranspose(channels, 4, strides=2, padding="same",
                                            use_bias=normalization != "batch", name="conv")
        layers = [maybe_spectral(conv, normalization)]
        if normalization == "batch":
            layers.append(keras.layers.BatchNormalization(name="norm"))
        layers.append(keras.layers.ReLU(name="relu"))
        x = keras.Sequential(layers, name=f"block_{index}")(x)
    to_image = keras.layers.Conv2D(image_shape[-1], 3, padding="same", name="to_image")
    name = output_activation or "linear"
    return keras.layers.Activation(name, dtype="float32", name=name)(to_image(x))


def dcgan_discriminator(image_shape=(28, 28, 1), width=64, normalization="spectral",
                        name="discriminator"):
    """Builds a DCGAN discriminator mapping images to one real/fake logit each.

    `k` downsampling blocks (4x4 stride-2 convolution, normalisation except in
    the first block as in the DCGAN paper, LeakyReLU 0.2) doubling the width
    each time, then a dense logit. Use `normalization=None` or `"spectral"`
    with the Wasserstein-GP loss: batch norm breaks the per-sample gradient
    penalty.

    Args:
        image_shape: tuple. `(size, size, channels)`.
        width: int. Channels of the first block; later blocks double it.
        normalization: `"batch"`, `"spectral"` (Keras' `SpectralNormalization`)
            or `None`.
        name: str. Model name.

    Returns:
        A functional `keras.Model` with input `images` `(batch, *image_shape)`
        and output logits `(batch, 1)` in float32.

    Example:

    ```python
    discriminator = dcgan_discriminator((28, 28, 1), width=64)
    logits = discriminator(keras.ops.zeros((4, 28, 28, 1)))  # (4, 1)
    ```
    """
    image_shape, _, width = checked_sizes(image_shape, 1, width, normalization)
    images = keras.Input(tuple(image_shape), name="images")
    features = discriminator_body(images, image_shape, width, normalization)
    dense = maybe_spectral(keras.layers.Dense(1, name="logit"), normalization)
    logits = keras.layers.Activation("linear", dtype="float32", name="logits")(dense(features))
    return keras.Model(images, logits, name=name)


def discriminator_body(images, image_shape, width, normalization):
    """The DCGAN discriminator's convolutional blocks, flattened: the features its heads read.

    Args:
        images: symbolic tensor `(batch, *image_shape)`.
        image_shape: tuple. `(size, size, channels)`.
        width: int. Channels of the first block.
        normalization: `"batch"`, `"spectral"` or `None`.

    Returns:
        Symbolic features `(batch, features)`.

    Example:

    ```python
    images = keras.Input((28, 28, 1))
    features = discriminator_body(images, (28, 28, 1), 32, "spectral")
    ```
    """
    _, num_blocks = check_image_shape(image_shape)
    x = images
    for index in range(num_blocks):
        conv = keras.layers.Conv2D(width * 2 ** index, 4, strides=2, padding="same",
                                   use_bias=not (normalization == "batch" and index > 0),
                                   name="conv")
        layers = [maybe_spectral(conv, normalization)]
        if normalization == "batch" and index > 0:
            layers.append(keras.layers.BatchNormalization(name="norm"))
        layers.append(keras.layers.LeakyReLU(0.2, name="leaky_relu"))
        x = keras.Sequential(layers, name=f"block_{index}")(x)
    return keras.layers.Flatten(name="flatten")(x)
