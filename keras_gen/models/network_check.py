"""Checks that a network handed to a model family is one it can read, copy, freeze and train."""

import keras


def check_network(role, network):
    """Returns `network` if it is a `keras.Model` with defined inputs and outputs.

    The model families read their networks' input and output shapes (the latent size, the
    image shape), copy the generator for its moving average, and freeze named blocks. A
    functional model, or a `keras.Sequential` that starts with `keras.Input`, has all that; a
    Sequential without an input or a subclassed model failed deep inside with Keras' "has no
    defined inputs yet" or "'G' object has no attribute 'inputs'".

    Args:
        role: str. What the network is for (`"generator"`, `"encoder"`, ...), for the message.
        network: the object passed as that network.

    Returns:
        `network`.

    Raises:
        ValueError: for anything else, saying how to build the network.

    Example:

    ```python
    generator = check_network("generator", keras.Sequential([keras.Input((64,)), ...]))
    ```
    """
    if not isinstance(network, keras.Model):
        raise ValueError(f"{role} must be a keras.Model. Received: {role}={network!r}")
    try:
        defined = bool(network.inputs) and bool(network.outputs)
    except AttributeError:  # an unbuilt Sequential, or a subclassed model
        defined = False
    if not defined:
        raise ValueError(
            f"The {role} {network.name!r} ({type(network).__name__}) has no defined inputs and "
            "outputs, which keras_gen reads (latent size, image shape) and copies. Build it as "
            "a functional model, or as a keras.Sequential that starts with keras.Input(shape), "
            "e.g. keras.Sequential([keras.Input((64,)), ...]); keras_gen.networks' builders do.")
    return network


def check_logit_output(discriminator):
    """Raises `ValueError` unless the discriminator's first output is logits, one per image.

    The adversarial losses average over every axis but the batch, so a patch discriminator
    (`(batch, h, w, 1)`) works, but a classifier's `(batch, 10)` trained without a word, and so
    did a sigmoid or softmax on the output (the losses take logits, as `from_logits=True`).

    Args:
        discriminator: `keras.Model` whose first output is the adversarial logit.

    Example:

    ```python
    check_logit_output(networks.dcgan_discriminator((28, 28, 1)))  # passes: (batch, 1) logits
    ```
    """
    shape = tuple(discriminator.outputs[0].shape)
    if len(shape) > 1 and shape[-1] != 1:
        raise ValueError(
            f"The discriminator {discriminator.name!r} must return one logit per image (or per "
            f"patch), shape (batch, 1); its output has shape {shape}. End it with "
            "keras.layers.Dense(1); for class-conditional training use ConditionalGAN.")
    layer = _output_layer(discriminator)
    squashing = (keras.activations.sigmoid, keras.activations.softmax)
    if isinstance(layer, keras.layers.Softmax) or getattr(layer, "activation", None) in squashing:
        raise ValueError(
            f"The discriminator {discriminator.name!r} ends in a sigmoid or softmax "
            f"(layer {layer.name!r}), but the GAN losses take logits (as from_logits=True): "
            "remove that activation, e.g. keras.layers.Dense(1) without activation=.")


def check_image_output(generator):
    """Raises `ValueError` if the generator's image output ends in an activation that cannot be < 0.

    keras_gen's images lie in [-1, 1]; a sigmoid, softmax or ReLU output (images in [0, 1],
    from tutorials on [0, 1] data) can never match half of that range, and trained without a
    word while the discriminator told the two apart by sign.

    Args:
        generator: `keras.Model` whose first output is the images.

    Example:

    ```python
    check_image_output(networks.dcgan_generator((28, 28, 1)))  # passes: tanh
    ```
    """
    layer = _output_layer(generator)
    non_negative = (keras.activations.sigmoid, keras.activations.softmax, keras.activations.relu)
    if isinstance(layer, (keras.layers.Softmax, keras.layers.ReLU)) or getattr(
            layer, "activation", None) in non_negative:
        raise ValueError(
            f"The generator {generator.name!r} ends in an activation without negative values "
            f"(layer {layer.name!r}), but keras_gen's images lie in [-1, 1]: end it with "
            "activation='tanh' (as keras_gen.networks' generators do).")


def _output_layer(network):
    """The layer that computes `network`'s first output (None if Keras does not record it)."""
    return getattr(getattr(network.outputs[0], "_keras_history", None), "operation", None)
