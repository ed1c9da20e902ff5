"""`after_batch`: a train step's updates wait for its batch."""

import tensorflow as tf


def after_batch(data):
    """A context in which a train step's ops wait for its batch, under XLA or not.

    Without XLA, TensorFlow runs a step's ops as soon as their own inputs are ready, so the parts
    that read no batch (a GAN's generator update, the optimizers' step counters) ran even when
    reading the batch failed, e.g. when the data check refused it: one step taken on no data.

    Args:
        data: the step's batch, any nest of tensors; `None`s (the absent `y` and
            `sample_weight` of `train_on_batch(x)`) are skipped.

    Example:

    ```python
    with after_batch(data):
        ...  # the step's updates
    ```
    """
    return tf.control_dependencies([part for part in tf.nest.flatten(data) if part is not None])
