"""Checks that a network handed to a model family is one it can read, copy and freeze."""

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
