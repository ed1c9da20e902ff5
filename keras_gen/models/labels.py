"""Validation of class labels given to conditional models."""

import numpy as np


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
