"""Catching trainable-flag changes made after `compile()`.

Keras fixes the variables a model trains when it compiles (the optimizers are
built on them and the traced train step captures them), so freezing or
unfreezing a layer afterwards would be silently ignored. keras_gen models
record the flags at compile time and refuse to `fit` until compiled again.
"""


def trainable_snapshot(model):
    """Returns `{id(layer): (layer name, trainable)}` for every layer inside `model`.

    Layers are keyed by identity: the generator and its EMA copy share names.

    Example:

    ```python
    snapshot = trainable_snapshot(gan)
    ```
    """
    return {id(layer): (layer.name, layer.trainable)
            for layer in model._flatten_layers(include_self=False) if layer.weights}


def check_trainable_unchanged(model, snapshot):
    """Raises `RuntimeError` naming the layers whose `trainable` flag changed since `snapshot`.

    Example:

    ```python
    check_trainable_unchanged(gan, gan._trainable_at_compile)
    ```
    """
    if snapshot is None:
        return
    current = trainable_snapshot(model)
    changed = sorted(name for key, (name, flag) in current.items()
                     if key in snapshot and snapshot[key][1] != flag)
    if changed:
        raise RuntimeError(
            f"Layers changed trainable state after compile(): {changed}. Keras fixes the trained "
            "variables at compile time, so the change would be ignored: call compile() again "
            "before fit()."
        )
