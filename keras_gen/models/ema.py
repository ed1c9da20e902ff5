"""Exponential moving average of a network's weights, safe under `tf.distribute`."""

import tensorflow as tf


def update_moving_average(average_model, model, decay):
    """Moves `average_model`'s weights toward `model`'s: `avg = decay * avg + (1 - decay) * w`.

    Trainable weights are averaged; non-trainable state (batch-norm moving
    statistics) is copied, as it already is an average. The update runs in a
    cross-replica `merge_call`, so mirrored variables stay in sync under
    `tf.distribute` strategies. Used for generator EMA (Karras et al. 2018,
    "Progressive Growing of GANs", section A.1; Yazici et al. 2019).

    Args:
        average_model: `keras.Model`. Holds the averages; same architecture.
        model: `keras.Model`. The model being trained.
        decay: float in [0, 1). Weight of the old average.

    Returns:
        None.

    Example:

    ```python
    update_moving_average(ema_generator, generator, decay=0.999)
    ```
    """
    if len(average_model.weights) != len(model.weights):
        raise ValueError(
            f"average_model has {len(average_model.weights)} weights but model has "
            f"{len(model.weights)}; they must share one architecture."
        )
    # Pair by position in `weights`: the average model is frozen, so its own
    # trainable/non-trainable split does not match the trained model's.
    pairs = [(a.value, w.value, w.trainable) for a, w in zip(average_model.weights, model.weights)]

    def blend(average, weight):
        return average.assign(decay * average + (1.0 - decay) * tf.cast(weight, average.dtype))

    def copy(average, weight):  # Non-trainable weights (BatchNorm statistics) are copied.
        return average.assign(tf.cast(weight, average.dtype))

    def apply(strategy):
        for average, weight, trainable in pairs:
            strategy.extended.update(average, blend if trainable else copy, args=(weight,),
                                     group=False)

    context = tf.distribute.get_replica_context()
    if context is None:  # Already in cross-replica context.
        apply(tf.distribute.get_strategy())
    else:
        context.merge_call(apply)
