"""Rebuilding a model's networks from their saved config, frozen blocks included."""

import keras


def deserialize_network(config):
    """`keras.saving.deserialize_keras_object` for a network, with its frozen blocks re-frozen.

    keras_gen's networks are built from named `keras.Sequential` blocks, and
    Keras' `Sequential.from_config` drops the block's own `trainable` flag
    (Keras 3.15): after `freeze(discriminator, up_to="block_0")`, a save and a
    load, `block_0.trainable` was True again while its layers stayed frozen, so
    `transfer.trainable_summary` and `layer.trainable` told the user the block
    trains when it does not. Keras' functional models and plain layers keep
    their flag; this sets it back for every block the config says was frozen.

    Args:
        config: dict or None. A network as `keras.saving.serialize_keras_object` wrote it.

    Returns:
        The network (None for None), with each block's `trainable` as it was saved.

    Example:

    ```python
    discriminator = deserialize_network(config["discriminator"])
    ```
    """
    # Read before deserializing: Keras consumes the config dict as it rebuilds the network.
    frozen = list(_frozen_block_paths(config)) if isinstance(config, dict) else []
    network = keras.saving.deserialize_keras_object(config)
    for path in frozen:
        block = network
        for name in path:
            block = block.get_layer(name)
        block.trainable = False
    return network


def _frozen_block_paths(config, path=()):
    """Yields the name path, from the network down, of each frozen Sequential in `config`."""
    inner = config.get("config")
    if not isinstance(inner, dict):
        return
    if config.get("class_name") == "Sequential" and inner.get("trainable") is False:
        yield path
    for child in inner.get("layers", ()):
        name = child.get("config", {}).get("name") if isinstance(child, dict) else None
        if name is not None:
            yield from _frozen_block_paths(child, path + (name,))
