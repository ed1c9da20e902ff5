"""Keras' dtype policy for one block of work: what `keras-gen train --precision` trains in."""

import contextlib

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
    if name not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}. Received: {name!r}")
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)
