"""Exponential moving average of a network's weights, safe under `tf.distribute`."""

import keras
import tensorflow as tf


def moving_average_copy(model):
    """A frozen copy of `model` (same architecture and weights) to hold its moving average.

    Args:
        model: `keras.Model`. The network to average.

    Returns:
        `keras.Model` named `ema_<model.name>`, not trainable.

    Example:

    ```python
    ema_generator = moving_average_copy(generator)
    ```
    """
    average = keras.models.clone_model(model)
    average.name = f"ema_{model.name}"
    average.set_weights(model.get_weights())
    average.trainable = False
    return average


def warmed_up_decay(decay, step):
    """`min(decay, (1 + step) / (10 + step))`, the ramp of `tf.train.ExponentialMovingAverage`.

    Early in a run (or a fine-tuning run) the average then follows the fast changes
    instead of lagging about `1 / (1 - decay)` steps behind.

    Args:
        decay: float in [0, 1). The decay the ramp rises to.
        step: int or scalar tensor. Updates done so far (`num_updates`).

    Returns:
        float32 scalar tensor.

    Example:

    ```python
    warmed_up_decay(0.999, 1)  # 2 / 11
    ```
    """
    step = tf.cast(step, tf.float32)
    return tf.minimum(decay, (1.0 + step) / (10.0 + step))


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
