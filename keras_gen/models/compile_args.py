"""Refuses `keras.Model.compile()` arguments that a keras_gen model would ignore.

keras_gen's models compute their own losses and report their own metrics in `train_step`, so
Keras' `loss`, `loss_weights`, `metrics` and `weighted_metrics` were ignored without a word: a
VAE compiled with `loss="mse"` trained on its ELBO, and `metrics=["mae"]` logged nothing. A GAN's
`compile(optimizer=...)`, the Keras habit, was a bare `TypeError` that did not say what to pass.
"""

import warnings

from keras_gen.utils.arguments import check_bool, check_positive_int

# How `keras.Model.compile` runs the steps; `check_execution_args` checks them.
EXECUTION_ARGS = ("jit_compile", "steps_per_execution", "run_eagerly")

# The `keras.Model.compile` arguments that a model computing its own loss and metrics ignores.
IGNORED = ("loss", "loss_weights", "metrics", "weighted_metrics")

_OWN_LOSS_HINT = {
    "VAE": "Choose the reconstruction term with VAE(..., likelihood=...) (\"bernoulli\", or "
           "\"gaussian\" for half the squared error) and the KL weight with beta.",
}


def refuse_ignored_compile_args(model, given, optimizers=None, takes_loss=False):
    """Raises for `compile()` arguments `model` would ignore, with the fix; returns the rest.

    Args:
        model: the keras_gen model being compiled; its class names the errors.
        given: dict. The keyword arguments its `compile` does not take by name.
        optimizers: optional list of the model's optimizer arguments (`["g_optimizer",
            "d_optimizer"]`) when it has several; `optimizer=` is then refused with them.
        takes_loss: whether `model.compile` has a `loss` of its own (a GAN's loss name),
            so that `loss` is not in `given`.

    Returns:
        `given` without the ignored arguments left at `None` (a loaded model's compile config
        holds `loss=None`, `metrics=None`), for `keras.Model.compile`.

    Raises:
        TypeError: for `optimizer=` on a model with several optimizers, or any other argument
            such a model does not take (its `compile` passes none on to Keras).
        ValueError: for a `loss`, `loss_weights`, `metrics` or `weighted_metrics` that is set.

    Example:

    ```python
    refuse_ignored_compile_args(vae, {"loss": "mse"})  # ValueError: VAE.compile does not ...
    ```
    """
    name = type(model).__name__
    if optimizers and "optimizer" in given:
        arguments = ", ".join(f"{arg}=..." for arg in optimizers)
        raise TypeError(f"{name}.compile takes one optimizer per network, not optimizer=: pass "
                        f"{arguments} (each defaults to Adam(2e-4, beta_1=0.5)).")
    rest = dict(given)
    for arg in IGNORED:
        if arg == "loss" and takes_loss:
            continue
        value = rest.pop(arg, None)
        if value is None:
            continue
        if arg.endswith("metrics"):
            why = ("reports its own metrics (its loss and the loss's terms) and computes no "
                   "compiled ones")
            fix = ("Measure generated images in a callback instead, e.g. "
                   "keras_gen.callbacks.QualityMonitor.")
        else:
            why = "computes and weighs its own loss"
            fix = _OWN_LOSS_HINT.get(name, "Its constructor and compile arguments set the loss.")
        raise ValueError(f"{name}.compile does not take {arg}: the model {why}, so {arg}="
                         f"{value!r} would be ignored. {fix}")
    if optimizers and rest:
        raise TypeError(f"{name}.compile() got unexpected keyword arguments {sorted(rest)}")
    return rest


def check_execution_args(jit_compile="auto", steps_per_execution=1, run_eagerly=False):
    """Raises `ValueError` for how-to-run `compile` arguments that Keras takes unchecked.

    `jit_compile="no"` is truthy, so Keras compiled the step with XLA; `steps_per_execution=0`
    failed in `fit` with "range() arg 3 must not be zero".

    Args:
        jit_compile: True, False or `"auto"`.
        steps_per_execution: int >= 1.
        run_eagerly: bool, or None (not set).

    Example:

    ```python
    check_execution_args(jit_compile="no")  # ValueError
    ```
    """
    is_auto = isinstance(jit_compile, str) and jit_compile == "auto"  # not an array's ==
    if not (isinstance(jit_compile, bool) or is_auto):
        raise ValueError(f"jit_compile must be True, False or 'auto'. Received: "
                         f"jit_compile={jit_compile!r}")
    check_positive_int("steps_per_execution", steps_per_execution)
    if run_eagerly is not None:  # a GAN's saved compile config holds None, Keras' "not set"
        check_bool("run_eagerly", run_eagerly, ValueError)


def without_ignored_compile_args(model, config):
    """A saved compile config without the arguments `model` ignores, which older files may hold.

    Before `refuse_ignored_compile_args`, `vae.compile("adam", loss="mse")` was accepted (and the
    loss ignored), and such a `.keras` file holds it: loading it would now fail. It loads, with
    a warning, compiled as it trained.

    Args:
        model: the keras_gen model being loaded; its class names the warning.
        config: dict. The deserialized compile config.

    Returns:
        `config` without the ignored arguments that were set.

    Example:

    ```python
    self.compile(**without_ignored_compile_args(self, config))
    ```
    """
    dropped = {arg: config[arg] for arg in IGNORED if config.get(arg) is not None}
    if dropped:
        warnings.warn(f"This {type(model).__name__} was saved compiled with {dropped}, which it "
                      "ignored in training and no longer accepts; it loads without them.",
                      stacklevel=2)
    return {arg: value for arg, value in config.items() if arg not in dropped}
