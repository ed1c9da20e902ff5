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
    layer, activation = _output_activation(discriminator)
    if activation in (keras.activations.sigmoid, keras.activations.softmax):
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
    layer, activation = _output_activation(generator)
    if activation in (keras.activations.sigmoid, keras.activations.softmax,
                      keras.activations.relu):
        raise ValueError(
            f"The generator {generator.name!r} ends in an activation without negative values "
            f"(layer {layer.name!r}), but keras_gen's images lie in [-1, 1]: end it with "
            "activation='tanh' (as keras_gen.networks' generators do).")


def check_decoder_output(decoder, likelihood):
    """Raises `ValueError` if a VAE decoder's output activation contradicts its likelihood.

    `"bernoulli"` reads the outputs as logits, so a sigmoid, softmax, tanh or ReLU on them
    bounded the logits and trained the wrong likelihood without a word; `"gaussian"` reads them as
    means of images in [-1, 1], which a sigmoid, softmax or ReLU output never reaches below 0.

    Args:
        decoder: `keras.Model` whose first output is the decoded images.
        likelihood: str. `"bernoulli"` or `"gaussian"`.

    Example:

    ```python
    check_decoder_output(networks.vae_decoder((28, 28, 1), 16), "bernoulli")  # passes: logits
    ```
    """
    layer, activation = _output_activation(decoder)
    wrong = {"bernoulli": (keras.activations.sigmoid, keras.activations.softmax,
                           keras.activations.tanh, keras.activations.relu),
             "gaussian": (keras.activations.sigmoid, keras.activations.softmax,
                          keras.activations.relu)}[likelihood]
    if activation in wrong:
        fix = ("reads the decoder's outputs as logits: remove that activation (or use "
               "likelihood='gaussian' for means in [-1, 1])" if likelihood == "bernoulli" else
               "reads the decoder's outputs as means of images in [-1, 1]: end it with "
               "activation='tanh' or none")
        raise ValueError(
            f"The decoder {decoder.name!r} ends in {activation.__name__} (layer {layer.name!r}), "
            f"but likelihood={likelihood!r} {fix}.")


def check_trainable_outputs(model):
    """Raises `ValueError` for network outputs that `model`'s losses cannot train, with the fix.

    Run by `fit` and `train_on_batch`, not by the constructor, so a model saved with such a
    network still loads (to look at, or to export) and only training it is refused.

    Args:
        model: a keras_gen `GAN`, `ConditionalGAN`, `VAE` or `VAEGAN`.

    Example:

    ```python
    check_trainable_outputs(gan)  # before gan.fit(...)
    ```
    """
    if getattr(model, "decoder", None) is not None:
        check_decoder_output(model.decoder, model.likelihood)
    elif getattr(model, "generator", None) is not None:
        check_image_output(model.generator)
    if getattr(model, "discriminator", None) is not None:
        check_logit_output(model.discriminator)


def _output_activation(network):
    """`(layer, activation function)` computing `network`'s first output (None if unknown)."""
    layer = getattr(getattr(network.outputs[0], "_keras_history", None), "operation", None)
    if isinstance(layer, keras.layers.Softmax):
        return layer, keras.activations.softmax
    if isinstance(layer, keras.layers.ReLU):
        return layer, keras.activations.relu
    return layer, getattr(layer, "activation", None)


def check_label_classes(role, network, num_classes):
    """Raises `ValueError` if `network` embeds its labels for another number of classes.

    A conditional network reads its labels (its second input) through an `Embedding` of
    `input_dim` classes. A model given another `num_classes` was accepted: the labels past the
    embedding failed at the first step on a CPU, and on a GPU, whose gather gives zeros for an
    index out of range, trained those classes on an all-zero embedding without a word.

    Args:
        role: str. What the network is for, for the message.
        network: `keras.Model` (checked by `check_network`).
        num_classes: int. The model's number of classes.

    Example:

    ```python
    check_label_classes("generator", conditional_dcgan_generator(num_classes=3), 4)  # raises
    ```
    """
    labels = network.inputs[1] if len(network.inputs) > 1 else None
    sizes = sorted({layer.input_dim for layer in network.layers
                    if isinstance(layer, keras.layers.Embedding) and labels is not None
                    and layer.input is labels})
    if sizes and sizes != [num_classes]:
        raise ValueError(
            f"The {role} {network.name!r} embeds labels of {sizes[0]} classes, but "
            f"num_classes={num_classes}. Build the networks with num_classes={num_classes}, or "
            f"pass num_classes={sizes[0]}.")


def check_encoder_decoder_pair(encoder, decoder):
    """Raises `ValueError` unless the decoder takes the encoder's latents and makes its images.

    Mismatched or swapped networks were accepted and failed at the first step inside Keras.

    Args:
        encoder: `keras.Model`. Images (or `[images, labels]`) -> `[z_mean, z_log_var]`.
        decoder: `keras.Model`. Latents (or `[z, labels]`) -> images.

    Example:

    ```python
    check_encoder_decoder_pair(networks.vae_encoder((28, 28, 1), 2),
                               networks.vae_decoder((28, 28, 1), 2))
    ```
    """
    outputs = [tuple(output.shape) for output in encoder.outputs]
    if len(outputs) != 2 or outputs[0] != outputs[1] or len(outputs[0]) != 2:
        raise ValueError(f"The encoder must return [z_mean, z_log_var], each (batch, latent_dim); "
                         f"{encoder.name!r} returns shapes {outputs}. Build it with "
                         "networks.vae_encoder (and the decoder with networks.vae_decoder).")
    latent, image_shape = outputs[0][-1], tuple(encoder.inputs[0].shape[1:])
    takes, makes = tuple(decoder.inputs[0].shape[1:]), tuple(decoder.outputs[0].shape[1:])
    if takes != (latent,) or makes != image_shape:
        raise ValueError(f"The decoder must take the encoder's latents, ({latent},), and make its "
                         f"images, {image_shape}; {decoder.name!r} takes {takes} and makes "
                         f"{makes}. Build both for the same latent_dim and image_shape.")
