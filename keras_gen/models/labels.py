"""Validation of class labels given to conditional models."""

import numpy as np
import tensorflow as tf

from keras_gen.utils.arguments import CLASS_IDS_FIX, holds_class_ids, name_suggestion


def check_labels(labels, num_classes, count, what="labels", class_names=None):
    """Validates concrete labels: class ids in `[0, num_classes)`, `count` of them.

    Args:
        labels: int, str, array-like or `None`. Strings are class names; floats must be
            whole numbers.
        num_classes: int.
        count: int. How many labels are needed.
        what: str. Named in the error.
        class_names: optional sequence of str. The model's class names, which string labels
            are looked up in.

    Returns:
        int32 numpy array `(count,)`; an int is repeated, `None` cycles 0..K-1.

    Example:

    ```python
    check_labels(7, 10, 4)  # [7, 7, 7, 7]
    check_labels("dogs", 2, 2, class_names=["cats", "dogs"])  # [1, 1]
    ```
    """
    if labels is None:
        return (np.arange(count) % num_classes).astype(np.int32)
    array = np.asarray(labels)
    if array.dtype.kind in "US":
        if isinstance(labels, (list, tuple)) and not all(isinstance(x, str) for x in labels):
            # numpy made the ids strings too: "3" was then looked up as a class name.
            raise ValueError(f"{what} mix class ids and class names: {labels!r:.100}. Pass one "
                             "kind: ids such as [7, 8], or names such as ['Sneaker', 'Bag'].")
        array = _class_ids(array, class_names, what)
    if array.ndim == 0:
        array = np.full(count, array)
    # The count first: an empty list is a float64 array, which was refused as "not integers".
    if array.shape != (count,):
        one_hot = array.ndim == 2 and array.shape[1] > 1
        raise ValueError(
            f"{what} must hold one label per image: expected shape ({count},), "
            f"received {array.shape}."
            f"{one_hot_fix(array.shape, 'labels.argmax(axis=-1)') if one_hot else ''}"
        )
    # Whole-number floats are class ids, as fit, the metrics and the serving client take them
    # (labels read from a CSV are floats); 0.5 and bools are not.
    if array.dtype.kind == "b" or not holds_class_ids(array):
        raise ValueError(f"{what} must be whole-number class ids; received {array.dtype} values "
                         f"such as {array.reshape(-1)[:3].tolist()}. {CLASS_IDS_FIX}")
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(
            f"{what} must lie in [0, {num_classes}). Received values from {array.min()} "
            f"to {array.max()}."
        )
    return array.astype(np.int32)


def _class_ids(names, class_names, what):
    """The class ids of an array of class names."""
    if class_names is None:
        raise ValueError(f"{what} {names.tolist()!r} are class names, but this model has none "
                         "(class_names=None); pass class ids, or build it with class_names.")
    unknown = sorted(set(names.reshape(-1).tolist()) - set(class_names))
    if unknown:
        raise ValueError(f"{what} {unknown!r} are not among the model's classes "
                         f"{list(class_names)!r}.{name_suggestion(unknown, class_names)}")
    ids = {name: index for index, name in enumerate(class_names)}
    return np.vectorize(ids.__getitem__, otypes=[np.int32])(names)


def check_class_names(class_names, num_classes):
    """`class_names` as a tuple of `num_classes` distinct non-empty strings, or None.

    Args:
        class_names: optional sequence of str, one per class, in label order.
        num_classes: int, or None for a model without classes.

    Example:

    ```python
    check_class_names(["cats", "dogs"], 2)  # ("cats", "dogs")
    ```
    """
    if class_names is None:
        return None
    if num_classes is None:
        raise ValueError("class_names name a conditional model's classes; this model has none "
                         "(num_classes=None).")
    names = (class_names,) if isinstance(class_names, str) else tuple(class_names)
    if (len(names) != num_classes or len(set(names)) != len(names)
            or not all(isinstance(name, str) and name for name in names)):
        raise ValueError(f"class_names must be {num_classes} distinct non-empty strings, one per "
                         f"class in label order. Received: class_names={list(names)!r}")
    return names


class NamedClassesMixin:
    """`class_names` of a conditional model, checked (`check_class_names`) whenever set.

    The model sets `num_classes` first. Whoever renames the classes afterwards (`keras-gen
    finetune` on an image folder) goes through the same check as the constructor.

    Example:

    ```python
    cgan.class_names = ["cats", "dogs"]  # ValueError unless cgan.num_classes == 2
    ```
    """

    @property
    def class_names(self):
        """The classes' names in label order (a tuple of str), or None."""
        return self._class_names

    @class_names.setter
    def class_names(self, names):
        self._class_names = check_class_names(names, self.num_classes)


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
