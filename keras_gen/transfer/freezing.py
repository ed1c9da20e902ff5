"""Freezing and unfreezing named blocks, and a summary of what trains."""

import keras

from keras_gen.models.trainable_guard import layers_by_path, outermost
from keras_gen.utils.arguments import is_int


def _select(model, up_to=None, layers=None, predicate=None):
    chosen = [arg is not None for arg in (up_to, layers, predicate)]
    if sum(chosen) != 1:
        raise ValueError("Pass exactly one of up_to='block_k', layers=[names] or predicate=fn.")
    _check_model(model, "freeze and unfreeze take")
    if predicate is not None and not callable(predicate):
        raise TypeError(f"predicate must be a function of a layer that returns True to select "
                        f"it, e.g. predicate=lambda layer: layer.name.startswith('block_'). "
                        f"Received: predicate={predicate!r}; for names, pass layers=[...].")
    if isinstance(layers, str):
        raise ValueError(f"layers must be a list of layer names. Received: layers={layers!r}; "
                         f"pass layers=[{layers!r}].")
    averages = _moving_averages(model)
    if layers is not None:
        for name in layers:
            if name in averages:
                raise ValueError(
                    f"{name} is the generator's moving average: it follows the generator's "
                    f"weights and is never trained by gradient, so it stays frozen. To choose "
                    f"what trains, freeze or unfreeze gan.generator (or gan.discriminator).")
    names = [layer.name for layer in model.layers]
    if up_to is not None:
        if up_to not in names:
            blocks = [n for n in names if n.startswith("block_")]
            raise ValueError(
                f"{model.name} has no layer {up_to!r}; its blocks are {blocks}."
                f"{_wrapper_hint(model, f'up_to={up_to!r}')}")
        # Everything from the input up to and including the named block.
        return [layer for layer in model.layers[: names.index(up_to) + 1]
                if not isinstance(layer, keras.layers.InputLayer) and layer.name not in averages]
    if layers is not None:
        missing = [name for name in layers if name not in names]
        if missing:
            raise ValueError(f"{model.name} has no layers {missing}; it has {names}."
                             f"{_wrapper_hint(model, f'layers={layers!r}')}")
        return [model.get_layer(name) for name in layers]
    return [layer for layer in model.layers if layer.name not in averages and predicate(layer)]


def _moving_averages(model):
    """Names of `model`'s layers that hold a moving average (a GAN's `ema_generator`)."""
    average = getattr(model, "ema_generator", None)
    return {average.name} if average is not None else set()


def _check_model(model, taker):
    if not isinstance(model, keras.Model):
        raise TypeError(f"{taker} a keras.Model (a network such as gan.discriminator); "
                        f"received a {type(model).__name__}.")


# The attributes through which the model families hold their networks.
_NETWORK_ATTRIBUTES = ("generator", "discriminator", "encoder", "decoder")


def _wrapper_hint(model, selection):
    """What to say when `model` is a GAN or VAE wrapper: its blocks are inside its networks.

    The networks are named by the attributes that hold them (a conditional preset's generator
    is named `conditional_generator` but held as `model.generator`); the moving average, which
    never trains, is left out.
    """
    held = [f"model.{attribute}" for layer in model.layers for attribute in _NETWORK_ATTRIBUTES
            if isinstance(layer, keras.Model) and getattr(model, attribute, None) is layer]
    if not held:
        return ""
    example = "model.discriminator" if "model.discriminator" in held else held[0]
    listed = held[0] if len(held) == 1 else f"{', '.join(held[:-1])} and {held[-1]}"
    return (f" {model.name} holds the networks {listed}: freeze inside one, e.g. "
            f"freeze({example}, {selection}).")


def freeze(model, up_to=None, layers=None, predicate=None):
    """Makes layers non-trainable, chosen by block name, by names, or by a predicate.

    keras_gen networks are built from named blocks (`stem`, `block_0`,
    `block_1`, ...), so `freeze(discriminator, up_to="block_1")` freezes the
    input side through `block_1`. Frozen `BatchNormalization` layers run in
    inference mode (Keras 3 ties BN's mode to `trainable`), so their
    statistics stay those of the pretrained data. Call `compile()` again
    afterwards: the optimizers and the compiled step are fixed at compile time.

    Args:
        model: `keras.Model`. A network (not the GAN wrapper).
        up_to: optional str. Freeze layers from the input through this one.
        layers: optional list of str. Freeze exactly these layers.
        predicate: optional callable `layer -> bool`.

    Returns:
        list of str. The names of the layers frozen.

    Example:

    ```python
    freeze(gan.discriminator, up_to="block_1")  # FreezeD
    gan.compile(...)
    ```
    """
    selected = _select(model, up_to, layers, predicate)
    for layer in selected:
        _set_trainable(layer, False)
    return [layer.name for layer in selected]


def unfreeze(model, up_to=None, layers=None, predicate=None):
    """Makes layers trainable again; the same selection rules as `freeze`, or every layer.

    With no selection (none of `up_to`, `layers` and `predicate`) every layer is unfrozen,
    undoing FreezeD, say. Call `compile()` again afterwards, as after `freeze`.

    Args:
        model: `keras.Model`. A network (not the GAN wrapper).
        up_to: optional str. Unfreeze layers from the input through this one.
        layers: optional list of str. Unfreeze exactly these layers.
        predicate: optional callable `layer -> bool`.

    Returns:
        list of str. The names of the layers unfrozen.

    Example:

    ```python
    unfreeze(gan.discriminator, layers=["block_1"])
    unfreeze(gan.discriminator)  # all of it
    ```
    """
    if up_to is None and layers is None and predicate is None:  # it was refused: "exactly one"
        predicate = _every_layer
    selected = _select(model, up_to, layers, predicate)
    for layer in selected:
        _set_trainable(layer, True)
    return [layer.name for layer in selected]


def _set_trainable(layer, value):
    """Sets `trainable` on `layer` and on every layer inside it.

    Keras' setter does recurse, but TensorFlow's attribute tracking skips `layer.trainable =
    True` on a layer that already is, before the setter runs: a layer frozen inside a
    trainable block stayed frozen.
    """
    for inner in layer._flatten_layers(include_self=True, recursive=True):
        inner.trainable = value


def frozen_layers(model):
    """Paths of the frozen layers inside `model`: a frozen block is named, not its layers.

    A GAN's moving-average generator is left out: it is never trained by gradient.

    Args:
        model: `keras.Model`. A GAN, VAE or other wrapper, or one network.

    Returns:
        sorted list of str, e.g. `["discriminator/block_0"]` after FreezeD on one block.

    Example:

    ```python
    prepare_finetune(gan, freeze_d=1)
    frozen_layers(gan)  # ["discriminator/block_0"]
    ```
    """
    _check_model(model, "frozen_layers takes")
    averages = _moving_averages(model)
    return outermost(path for path, layer in layers_by_path(model)
                     if layer.weights and not layer.trainable
                     and path.split("/")[0] not in averages)


def _every_layer(layer):
    return not isinstance(layer, keras.layers.InputLayer)


def trainable_summary(model):
    """Lists each top-level layer with its trainable flag and parameter counts.

    Args:
        model: `keras.Model`.

    Returns:
        list of dicts `{"layer", "trainable", "trainable_params", "frozen_params"}`.
        `frozen_params` counts every weight that no optimizer updates, Keras' "non-trainable
        params": a frozen layer's, and also the ones that never train by gradient in any layer
        (batch norm's moving statistics, spectral norm's power-iteration vector), so a network
        with nothing frozen can show some.

    Example:

    ```python
    for row in trainable_summary(gan.discriminator): print(row)
    ```
    """
    _check_model(model, "trainable_summary takes")

    def count(weights):
        return int(sum(keras.ops.size(w) for w in weights))

    return [{"layer": layer.name, "trainable": bool(layer.trainable),
             "trainable_params": count(layer.trainable_weights),
             "frozen_params": count(layer.non_trainable_weights)} for layer in model.layers]


def freeze_discriminator_blocks(gan, num_blocks):
    """FreezeD (Mo et al. 2020): freeze the discriminator's lowest `num_blocks` blocks.

    "Freeze the Discriminator: a Simple Baseline for Fine-Tuning GANs": fine-tune
    a pretrained GAN with the discriminator's lower layers fixed, so the small
    target set cannot overfit the generic features they learned.

    Args:
        gan: a keras_gen GAN (or anything with a `discriminator`).
        num_blocks: int >= 1. How many blocks, from `block_0`, to freeze.

    Returns:
        list of str. The frozen layers.

    Example:

    ```python
    freeze_discriminator_blocks(gan, 1)
    gan.compile(...)
    ```
    """
    check_discriminator_blocks(gan, num_blocks)
    return freeze(gan.discriminator, up_to=f"block_{num_blocks - 1}")


def check_discriminator_blocks(gan, num_blocks):
    """Raises unless `gan` has a discriminator with at least `num_blocks` (>= 1) blocks.

    `freeze_discriminator_blocks` checks this, and `keras-gen finetune` before it reads the
    dataset.

    Args:
        gan: a model with a `discriminator` (GAN, ConditionalGAN, VAEGAN).
        num_blocks: int. How many blocks FreezeD is to freeze.

    Example:

    ```python
    check_discriminator_blocks(GAN.from_preset("dcgan_mnist"), 9)  # ValueError: it has 2
    ```
    """
    if not isinstance(getattr(gan, "discriminator", None), keras.Model):
        # A discriminator passed itself failed with "'Functional' object has no attribute".
        raise TypeError(f"freeze_discriminator_blocks takes the GAN (it freezes "
                        f"gan.discriminator's blocks); received a {type(gan).__name__} without "
                        "a discriminator. To freeze a network's blocks directly, use "
                        "freeze(network, up_to='block_0').")
    blocks = [layer.name for layer in gan.discriminator.layers if layer.name.startswith("block_")]
    if not is_int(num_blocks) or not 1 <= num_blocks <= len(blocks):
        raise ValueError(f"Cannot freeze {num_blocks!r} discriminator blocks: this one has "
                         f"{len(blocks)} ({', '.join(blocks)}). Pass 1 to {len(blocks)} "
                         "(FreezeD: `freeze_d=` in prepare_finetune, `--freeze-d` in the CLI).")
