"""Optimizer handling shared by the model families that own several optimizers."""

import keras


def default_adam():
    """Adam(2e-4, beta_1=0.5): the DCGAN paper's setting (Radford et al. 2016, section 4).

    Example:

    ```python
    gan.compile(g_optimizer=default_adam(), d_optimizer=default_adam())
    ```
    """
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def prepare_optimizer(model, optimizer, arg):
    """Resolves `optimizer` (default Adam) and wraps it for loss scaling under `mixed_float16`.

    Keras scales the loss automatically only for `compile(optimizer=...)`; a
    model with its own optimizers must wrap each one itself. bfloat16 has
    float32's exponent range and needs no scaling.

    Args:
        model: the `keras.Model` being compiled (its dtype policy decides).
        optimizer: `None`, an identifier or a `keras.optimizers.Optimizer`.
        arg: str. The argument's name, for the error message.

    Returns:
        A `keras.optimizers.Optimizer`.

    Example:

    ```python
    self.g_optimizer = prepare_optimizer(self, g_optimizer, "g_optimizer")
    ```
    """
    optimizer = default_adam() if optimizer is None else keras.optimizers.get(optimizer)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"{arg} must be a keras optimizer. Received: {arg}={optimizer!r}")
    float16 = "mixed_float16" in (model.dtype_policy.name, keras.config.dtype_policy().name)
    if float16 and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer, name=f"{arg}_loss_scale")
    return optimizer
