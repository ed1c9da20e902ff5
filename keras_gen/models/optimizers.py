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


def refuse_shared_optimizers(**optimizers):
    """Raises `ValueError` if one optimizer object is passed for two networks.

    An optimizer keeps moments for the weights it first updates: the second network's step
    failed with Keras' "Unknown variable ... This optimizer can only be called for the variables
    it was originally built with", after the first network's step had run.

    Args:
        **optimizers: each compile argument's name and value (None, a name or an optimizer).

    Example:

    ```python
    refuse_shared_optimizers(g_optimizer=adam, d_optimizer=adam)  # ValueError
    ```
    """
    first_arg = {}
    for arg, optimizer in optimizers.items():
        if isinstance(optimizer, keras.optimizers.Optimizer):
            if id(optimizer) in first_arg:
                raise ValueError(
                    f"{first_arg[id(optimizer)]} and {arg} are the same optimizer object; each "
                    "network needs its own (an optimizer keeps moments for the weights it "
                    "updates). Pass two, e.g. keras.optimizers.Adam(2e-4, beta_1=0.5) each.")
            first_arg[id(optimizer)] = arg


def refuse_single_optimizer_callbacks(model, callbacks):
    """Raises `ValueError` for Keras callbacks that need `model.optimizer`, on a model without one.

    A GAN trains with `g_optimizer` and `d_optimizer` and has no `model.optimizer`, so Keras'
    `ReduceLROnPlateau` and `LearningRateScheduler`, which adjust its learning rate, failed with
    "'NoneType' object has no attribute 'learning_rate'" after the first epoch (a schedule per
    optimizer does their job); `TensorBoard(write_steps_per_second=True)`, which counts its
    iterations, with "... no attribute 'iterations'" at the start; and `SwapEMAWeights`, which
    swaps in its weight average, with "... no attribute 'use_ema'" at the first validation (or
    epoch end, with `swap_on_epoch=True`; without either it did nothing).

    Args:
        model: the model about to `fit`.
        callbacks: `fit`'s `callbacks` argument (None or a list).

    Example:

    ```python
    refuse_single_optimizer_callbacks(gan, [keras.callbacks.ReduceLROnPlateau()])  # ValueError
    ```
    """
    if getattr(model, "optimizer", None) is not None or not isinstance(callbacks, (list, tuple)):
        return
    name = type(model).__name__
    optimizers = [arg for arg in ("e_optimizer", "g_optimizer", "d_optimizer")
                  if getattr(model, arg, None) is not None]
    averages = hasattr(model, "ema_generator")
    for callback in callbacks:
        refused = _needs_model_optimizer(callback, name, optimizers[0], averages)
        if refused:
            what, fix = refused
            raise ValueError(f"{what} model.optimizer, and a {name} has none: it trains with "
                             f"{' and '.join(optimizers)}. {fix}")


def _needs_model_optimizer(callback, name, first_optimizer, averages_generator):
    """What `callback` does with `model.optimizer` and the fix, or None if it does not use it."""
    if isinstance(callback, (keras.callbacks.ReduceLROnPlateau,
                             keras.callbacks.LearningRateScheduler)):
        return (f"{type(callback).__name__} adjusts",
                f"Give each optimizer a learning-rate schedule instead, e.g. {name}.compile("
                f"{first_optimizer}=keras.optimizers.Adam(keras.optimizers.schedules."
                "ExponentialDecay(2e-4, decay_steps=1000, decay_rate=0.5), beta_1=0.5), ...).")
    if isinstance(callback, keras.callbacks.TensorBoard) and callback.write_steps_per_second:
        return ("TensorBoard(write_steps_per_second=True) counts the iterations of",
                "Leave write_steps_per_second off; the progress bar shows the time per step, "
                "and TensorBoard logs every metric without it.")
    if isinstance(callback, keras.callbacks.SwapEMAWeights):
        fix = (f"A {name} averages its generator itself: build it with ema_decay (e.g. "
               f"{name}(..., ema_decay=0.999)), and generate(), the sample grids and exports use "
               "that average." if averages_generator else
               f"A {name} keeps no weight average; leave SwapEMAWeights out.")
        return "SwapEMAWeights swaps in the weight average of", fix
    return None
