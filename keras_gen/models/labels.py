"""Validation of class labels given to conditional models."""

import numpy as np
import tensorflow as tf


def check_labels(labels, num_classes, count, what="labels"):
    """Validates concrete labels: integers in `[0, num_classes)`, `count` of them.

    Args:
        labels: int, array-like or `None`.
        num_classes: int.
        count: int. How many labels are needed.
        what: str. Named in the error.

    Returns:
        int32 numpy array `(count,)`; an int is repeated, `None` cycles 0..K-1.

    Example:

    ```python
    check_labels(7, 10, 4)  # [7, 7, 7, 7]
    ```
    """
    if labels is None:
        return (np.arange(count) % num_classes).astype(np.int32)
    array = np.asarray(labels)
    if array.ndim == 0:
        array = np.full(count, array)
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{what} must be integers. Received dtype {array.dtype}")
    if array.shape != (count,):
        raise ValueError(
            f"{what} must hold one label per image: expected shape ({count},), "
            f"received {array.shape}."
        )
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(
            f"{what} must lie in [0, {num_classes}). Received values from {array.min()} "
            f"to {array.max()}."
        )
    return array.astype(np.int32)


def is_class_id_shape(shape):
    """Whether labels of `shape` are class ids: `(N,)`, or `(N, 1)` as Keras' sparse losses
    take them (an unknown rank is not).

    Args:
        shape: a tuple or `tf.TensorShape`.

    Example:

    ```python
    is_class_id_shape((8, 1))  # True; (8, 10), one-hot, is False
    ```
    """
    shape = tf.TensorShape(shape)
    return shape.rank == 1 or (shape.rank == 2 and shape[1] == 1)


def one_hot_fix(shape, argmax):
    """The sentence that tells how to turn one-hot labels into class ids, when `shape` could be
    theirs (rank 2); else "".

    Args:
        shape: the refused labels' shape.
        argmax: str. The call that does it for the user's kind of labels.

    Example:

    ```python
    one_hot_fix((8, 10), "labels.argmax(axis=-1)")  # " For one-hot labels pass labels.argmax..."
    ```
    """
    return f" For one-hot labels pass {argmax}." if tf.TensorShape(shape).rank == 2 else ""
