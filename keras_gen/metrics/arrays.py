"""Checks shared by the metric functions: finite features and logits, class ids in range."""

import numpy as np

from keras_gen.utils.arguments import CLASS_IDS_FIX, holds_class_ids


def check_finite(name, array):
    """Returns float64 `array` `(N, ...)` if all its values are finite, else `ValueError`.

    NaN made FID fail inside numpy ("Eigenvalues did not converge"), and KID, IS and the k-NN
    metrics return NaN or a number without a word.

    Args:
        name: str. The argument, named in the message.
        array: array-like whose first axis counts samples.

    Example:

    ```python
    real = check_finite("real_activations", real)
    ```
    """
    array = np.asarray(array, np.float64)
    finite = np.isfinite(array)
    if not finite.all():
        bad = int((~finite).reshape(len(array), -1).any(axis=1).sum()) if array.ndim else 1
        raise ValueError(
            f"{name} holds NaN or infinite values, in {bad} of {len(array) if array.ndim else 1} "
            "rows: the images they come from (a diverged model's samples?) or the network "
            "that computed them gave them. Score finite values only.")
    return array


def check_class_ids(name, classes, num_classes, count=None):
    """Returns `classes` as an int64 array `(count,)` of ids in `[0, num_classes)`, else ValueError.

    Args:
        name: str. The argument, named in the message.
        classes: array-like of class ids.
        num_classes: int. How many classes the logits score.
        count: optional int. How many ids there must be.

    Example:

    ```python
    requested = check_class_ids("requested_labels", requested, logits.shape[1], len(logits))
    ```
    """
    classes = np.asarray(classes)
    if classes.ndim != 1 or (count is not None and len(classes) != count):
        expected = f"({count},)" if count is not None else "(N,)"
        raise ValueError(f"{name} must be one class id per sample, shape {expected}. Received "
                         f"shape {classes.shape}.")
    if not holds_class_ids(classes):  # 0.5 was counted as class 0, or compared as 0.5
        raise ValueError(f"{name} must be class ids; received {classes.dtype} values. "
                         f"{CLASS_IDS_FIX}")
    if classes.size and (classes.min() < 0 or classes.max() >= num_classes):
        raise ValueError(f"{name} must lie in [0, {num_classes}), the classes the logits score. "
                         f"Received values from {classes.min():g} to {classes.max():g}.")
    return classes.astype(np.int64)
