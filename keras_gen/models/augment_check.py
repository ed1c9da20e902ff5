"""The check that a GAN's `augment` is a layer the train step can call as `layer(images, seed)`."""

import inspect

import keras

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def check_augment(augment):
    """Returns `augment` if it is None or a Keras layer called as `layer(images, seed)`.

    The train step calls it so, inside the traced step: a string failed there with "'str'
    object is not callable", a `Dense` with "got multiple values for argument 'training'",
    and Keras' own `RandomFlip` with "takes 2 positional arguments but 3 were given".

    Args:
        augment: what was passed as `GAN(augment=...)` or to `set_augment`.

    Raises:
        TypeError: for anything else, naming the layers that fit.

    Example:

    ```python
    self.augment = check_augment(augment)
    ```
    """
    if augment is None:
        return None
    arguments = []
    if isinstance(augment, keras.layers.Layer):
        arguments = [parameter.name for parameter in
                     inspect.signature(augment.call).parameters.values()
                     if parameter.kind in _POSITIONAL]
    if len(arguments) < 2 or arguments[1] in ("training", "mask"):
        raise TypeError(
            "augment must be a Keras layer called as layer(images, seed) (a (2,) int seed), "
            "such as keras_gen.transfer.AdaptiveAugment() or DiffAugment(), or None; received "
            f"{augment!r}. Keras' preprocessing layers (RandomFlip, ...) take no seed: apply "
            "them in a layer whose call(images, seed) passes the seed on.")
    return augment
