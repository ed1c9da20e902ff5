"""Keras' dtype policies: one for a block of work (`keras-gen train --precision`), and a saved
model rebuilt in another (`keras-gen finetune` and `export --precision`, `from_preset(dtype=)`)."""

import contextlib
import copy

import keras

# Keras' policies that train keras_gen's models (variables stay float32 in all three).
# mixed_bfloat16 is faster on CPUs with AMX and on recent GPUs and TPUs; mixed_float16 is for
# GPUs, where the models' optimizers are loss-scaled (a CPU has few float16 kernels: far slower).
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


@contextlib.contextmanager
def dtype_policy(name):
    """Sets Keras' global dtype policy to `name` inside the block and restores it after.

    Layers take the global policy when they are made, so a model built inside the block computes
    in `name` for good (and saves it in its `.keras` file); restoring it keeps the rest of the
    process, a notebook or a test session, in the policy it had.

    Args:
        name: str. One of `PRECISIONS`.

    Example:

    ```python
    with dtype_policy("mixed_bfloat16"):
        gan = recipes.build_gan("dcgan")
        gan.fit(dataset, epochs=5)
    ```
    """
    _check_precision(name)
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def deserialize_in_policy(config, name):
    """Builds the model a serialized config describes, computing in `name` whatever it names.

    A saved model names the policy of every layer (a preset trained in float32 names float32 on
    each), so deserializing it inside `dtype_policy` alone changes nothing. This rewrites those
    names as building the networks inside `dtype_policy(name)` would have set them:
    - The layers a network outputs (a Functional's outputs, a Sequential's last layer) keep
      theirs. keras_gen's networks make them float32, as Keras' mixed-precision guide advises,
      so the losses see float32. The blocks inside a network (keras_gen's `block_k`) are not
      networks: their last layers compute like the rest.
    - A `SpectralNormalization` wrapper takes the variables' dtype, as `maybe_spectral` sets it
      (its power iteration overflowed in float16).
    - Every other layer, and the model itself, computes in `name`.

    Args:
        config: dict. `keras.saving.serialize_keras_object(model)`, or a preset's model config.
        name: str. One of `PRECISIONS`.

    Returns:
        The new model, with fresh weights (its variables are float32 in every policy, so
        `set_weights` takes the weights of the model it was serialized from).

    Example:

    ```python
    config = keras.saving.serialize_keras_object(gan)
    fast = deserialize_in_policy(config, "mixed_bfloat16")
    fast.set_weights(gan.get_weights())
    ```
    """
    _check_precision(name)
    config = copy.deepcopy(config)
    _set_policies(config, keras.DTypePolicy(name))
    with dtype_policy(name):  # what names no policy (Functional, Input, Sequential) takes it
        return keras.saving.deserialize_keras_object(config)


def model_in_policy(model, name):
    """The same model, weights and compile settings, computing in `name`; `model` if it does.

    A `.keras` file or preset trained in float32 fine-tunes in `mixed_bfloat16` (`keras-gen
    finetune --precision`); one trained in `mixed_bfloat16` exports to serve in float32 on CPUs
    without bfloat16 units (`keras-gen export --precision`). The optimizers' state is not
    carried over (fine-tuning starts fresh ones anyway).

    Args:
        model: a built keras_gen model (`GAN`, `ConditionalGAN`, `VAE`, `VAEGAN`).
        name: str. One of `PRECISIONS`.

    Returns:
        A new model computing in `name`, or `model` itself if it already does.

    Example:

    ```python
    gan = model_in_policy(keras_gen.saving.load_model("runs/dcgan/model.keras"), "mixed_bfloat16")
    ```
    """
    _check_precision(name)
    if model.dtype_policy.name == name:
        return model
    # The config holds the compile settings too: deserializing compiles the new model with them.
    new = deserialize_in_policy(keras.saving.serialize_keras_object(model), name)
    new.set_weights(model.get_weights())
    return new


def _check_precision(name):
    if name not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}. Received: {name!r}")


def _set_policies(node, policy, nested=False):
    """Sets `policy` on the layer configs inside `node` (see `deserialize_in_policy`).

    `nested`: `node` lies inside a network's layers, so a Functional or Sequential there is a
    block (keras_gen's `block_k`), whose last layer computes like the rest, not a network.
    """
    if isinstance(node, list):
        for item in node:
            _set_policies(item, policy, nested)
        return
    if not isinstance(node, dict):
        return
    layer = node.get("config")
    if "class_name" not in node or not isinstance(layer, dict):
        for value in node.values():
            _set_policies(value, policy, nested)
        return
    if _is_policy(layer.get("dtype")):
        own = (keras.DTypePolicy(policy.variable_dtype)
               if node["class_name"] == "SpectralNormalization" else policy)
        layer["dtype"] = keras.saving.serialize_keras_object(own)
    outputs = set() if nested else _output_names(node["class_name"], layer)
    for key, value in layer.items():
        if key == "layers":  # a network's layers: its outputs keep their policy
            _set_policies([child for child in value if _layer_name(child) not in outputs],
                          policy, nested=True)
        elif key != "dtype":
            _set_policies(value, policy, nested)


def _is_policy(dtype):
    """Whether a layer config's `dtype` is a serialized `DTypePolicy` (an Input's is a str)."""
    return isinstance(dtype, dict) and dtype.get("class_name") == "DTypePolicy"


def _layer_name(layer_config):
    return layer_config.get("name", layer_config.get("config", {}).get("name"))


def _output_names(class_name, config):
    """The names of the layers a network config outputs: a Functional's `output_layers`, a
    Sequential's last layer; none for other layers."""
    if class_name == "Sequential":
        layers = config.get("layers") or []
        return {_layer_name(layers[-1])} if layers else set()
    if class_name != "Functional":
        return set()
    outputs = config.get("output_layers") or []
    if outputs and isinstance(outputs[0], str):  # one output: ["logits", 0, 0]
        outputs = [outputs]
    return {entry[0] for entry in outputs}
