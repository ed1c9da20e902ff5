"""Catching trainable-flag changes made after `compile()`.

Keras fixes the variables a model trains when it compiles (the optimizers are
built on them and the traced train step captures them), so freezing or
unfreezing a layer afterwards would be silently ignored. keras_gen models
record the flags at compile time and refuse to `fit` until compiled again.
"""


def trainable_snapshot(model):
    """Returns `{id(layer): (path, trainable)}` for every layer inside `model` that has weights.

    Layers are keyed by identity (the generator and its EMA copy share names) and named by
    their path, e.g. `"discriminator/block_0/conv"`.

    Example:

    ```python
    snapshot = trainable_snapshot(gan)
    ```
    """
    return {id(layer): (path, layer.trainable)
            for path, layer in layers_by_path(model) if layer.weights}


def layers_by_path(model, prefix=""):
    """Yields `(path, layer)` for every layer inside `model`, each before the layers inside it.

    Example:

    ```python
    dict(layers_by_path(gan))["discriminator/block_0/conv"]
    ```
    """
    for layer in model._flatten_layers(include_self=False, recursive=False):
        path = f"{prefix}{layer.name}"
        yield path, layer
        yield from layers_by_path(layer, f"{path}/")


def outermost(paths):
    """The sorted `paths` that lie inside none of the others (`"a/b"` lies inside `"a"`).

    Example:

    ```python
    outermost(["d/block_0", "d/block_0/conv", "g/stem"])  # ["d/block_0", "g/stem"]
    ```
    """
    paths = set(paths)
    return sorted(path for path in paths
                  if not any(path.startswith(f"{other}/") for other in paths))


def check_trainable_unchanged(model, snapshot):
    """Raises `RuntimeError` naming the layers whose `trainable` flag changed since `snapshot`.

    A layer that changed with its parent is named by the parent alone: freezing a block
    changes the flag of every layer in it.

    Example:

    ```python
    check_trainable_unchanged(gan, gan._trainable_at_compile)
    ```
    """
    if snapshot is None:
        return
    current = trainable_snapshot(model)
    changed = outermost(path for key, (path, flag) in current.items()
                        if key in snapshot and snapshot[key][1] != flag)
    if changed:
        raise RuntimeError(
            f"Layers changed trainable state after compile(): {changed}. Keras fixes the "
            "trained variables at compile time, so the change would be ignored: call compile() "
            "again before fit()."
        )
