"""Stateless, replica-consistent random draws for training steps.

Training noise is a pure function of `(seed, step counter)`: no hidden global
state, identical after a restore from backup, and identical whether a global
batch runs on one device or is split across `tf.distribute` replicas (each
replica draws the whole global batch and keeps its own slice).
"""

import secrets

import tensorflow as tf

from keras_gen.utils.arguments import is_int

# Separate random streams inside one training step.
(STREAM_D_NOISE, STREAM_D_ALPHA, STREAM_G_NOISE, STREAM_D_LABELS, STREAM_G_LABELS,
 STREAM_D_AUG_REAL, STREAM_D_AUG_FAKE, STREAM_G_AUG) = range(8)
_NUM_STREAMS = 8


def step_seed(seed, counter, stream):
    """Returns a stateless seed `[seed, counter * 8 + stream]` as int64 `(2,)`.

    Args:
        seed: int. The model's base seed.
        counter: int64 tensor. A step counter, e.g. an optimizer's `iterations`.
        stream: int. Which draw within the step (`STREAM_*`).

    Returns:
        int64 tensor `(2,)` for `tf.random.stateless_*`.

    Example:

    ```python
    seed = step_seed(0, optimizer.iterations, STREAM_G_NOISE)
    ```
    """
    counter = tf.cast(tf.convert_to_tensor(counter), tf.int64)
    return tf.stack([tf.constant(seed, tf.int64), counter * _NUM_STREAMS + stream])


def replica_slice_draw(draw, local_batch, seed):
    """Draws the global batch with `draw(global_batch, seed)` and keeps this replica's rows.

    Args:
        draw: callable `(num_rows, seed) -> tensor (num_rows, ...)`.
        local_batch: int tensor. This replica's batch size.
        seed: int64 tensor `(2,)`.

    Returns:
        This replica's `(local_batch, ...)` rows of the global draw.

    Example:

    ```python
    z = replica_slice_draw(lambda n, s: tf.random.stateless_normal((n, 64), s), batch, seed)
    ```
    """
    context = tf.distribute.get_replica_context()
    num_replicas = context.num_replicas_in_sync if context is not None else 1
    replica_id = context.replica_id_in_sync_group if context is not None else 0
    everything = draw(local_batch * num_replicas, seed)
    start = tf.cast(replica_id, tf.int32) * local_batch
    return everything[start : start + local_batch]


def replica_seed(seed):
    """Makes a `(2,)` seed distinct per `tf.distribute` replica (for per-example augmentations).

    Example:

    ```python
    augmented = augment(images, replica_seed(step_seed(0, step, STREAM_D_AUG_REAL)))
    ```
    """
    context = tf.distribute.get_replica_context()
    replica_id = context.replica_id_in_sync_group if context is not None else 0
    return seed + tf.stack([tf.constant(0, tf.int64),
                            tf.cast(replica_id, tf.int64) * 1_000_003])


def sampling_seed(seed):
    """The seed `generate()` draws its noise with: `seed` once checked, or a fresh one for `None`.

    Args:
        seed: `None`, or an int (Python or numpy) that fits int64.

    Returns:
        int.

    Example:

    ```python
    z = tf.random.stateless_normal((4, 64), seed=[sampling_seed(7), 0])
    ```
    """
    if seed is None:
        return secrets.randbits(31)
    if not is_int(seed):
        raise ValueError(f"seed must be an int, or None for a fresh one. Received: seed={seed!r}")
    if not -2 ** 63 <= seed < 2 ** 63:
        raise ValueError(f"seed must fit int64, [-2**63, 2**63 - 1]. Received: seed={seed}")
    return int(seed)
