"""`CheckedFitMixin`: `fit`, `evaluate`, `train_on_batch` and `test_on_batch` refuse what would
train or score without an error and mean nothing, then run Keras' own.

What the models cannot read as given is refused first (`input_structure`): sample and class
weights, which the losses would ignore, and images in a dict or a list. Then the values of the
data are checked where they enter (`data_check`: images in [-1, 1], labels in [0, K)), the
training data's and `fit`'s `validation_data` alike.
"""

import inspect
import types

import keras
import tensorflow as tf

from keras_gen.errors import DataError
from keras_gen.models.data_check import (UNIT_RANGE_CONSEQUENCE, checked_data,
                                         data_errors_raised_clearly, label_range_assert)
from keras_gen.models.input_structure import refuse_example_weights
from keras_gen.models.labels import is_class_id_shape, one_hot_fix
from keras_gen.models.network_check import check_trainable_outputs
from keras_gen.models.optimizers import refuse_single_optimizer_callbacks
from keras_gen.models.saving_mixin import refuse_legacy_checkpoints
from keras_gen.models.trainable_guard import check_trainable_unchanged
from keras_gen.models.unit_range_watch import UnitRangeWatch


class CheckedFitMixin:
    """Gives a keras_gen model a `fit` that checks what it is about to train on, then trains.

    It refuses a model that is not compiled, network outputs the losses cannot train
    (`network_check`), trainable flags changed since `compile()` (`trainable_guard`), Keras
    callbacks that need a single `model.optimizer` (`optimizers`), checkpoints to the legacy
    `.h5` format (`saving_mixin`) and example weights (`input_structure`), checks the values of
    the training and validation data (`checked_data`) and raises a failed check as one
    `DataError`.
    `evaluate`, `train_on_batch` and `test_on_batch` check their data the same way
    (`train_on_batch` the network outputs and trainable flags too).

    Example:

    ```python
    class GAN(PresetMixin, CheckedFitMixin, keras.Model):
        ...
    ```
    """

    def fit(self, *args, **kwargs):
        """`keras.Model.fit`, after the checks above; it takes the same arguments."""
        if not self.compiled:
            # Else an IndexError in the callback checks below (with callbacks), or Keras'
            # "You must call `compile()`", which does not say that the defaults need no arguments.
            raise ValueError(f"This {type(self).__name__} is not compiled: call compile() before "
                             "fit (with no arguments for the default optimizers and loss). "
                             "set_augment leaves a model uncompiled, so compile() again after it.")
        check_trainable_outputs(self)
        check_trainable_unchanged(self, getattr(self, "_trainable_at_compile", None))
        given = _arguments(keras.Model.fit, self, args, kwargs)
        if isinstance(given.get("x"), (tf.data.Dataset, tf.distribute.DistributedDataset,
                                       types.GeneratorType)):
            # Keras ignores shuffle for these, and since 3.15 warns "`shuffle=True` was passed"
            # when it is left at its default, True: on every plain `fit(dataset)`.
            given.setdefault("shuffle", False)
        refuse_single_optimizer_callbacks(self, given.get("callbacks"))
        refuse_legacy_checkpoints(self, given.get("callbacks"))
        _check_data_arguments(self, given, "fit")
        if given.get("validation_data") is not None:
            given["validation_data"] = _checked_validation_data(self, given["validation_data"])
        return data_errors_raised_clearly(super().fit, **given)

    def evaluate(self, *args, **kwargs):
        """`keras.Model.evaluate`, with its data checked as `fit` checks it; same arguments."""
        given = _arguments(keras.Model.evaluate, self, args, kwargs)
        private = given.pop("kwargs", {})  # what Keras' own `fit` passes
        # Inside `fit`, validation batches come from data that `fit` has already checked.
        if not private.get("_use_cached_eval_dataset"):
            _check_data_arguments(self, given, "evaluate")
        return data_errors_raised_clearly(super().evaluate, **given, **private)

    def train_on_batch(self, *args, **kwargs):
        """`keras.Model.train_on_batch`, after `fit`'s checks; it takes the same arguments."""
        check_trainable_outputs(self)
        check_trainable_unchanged(self, getattr(self, "_trainable_at_compile", None))
        given = _arguments(keras.Model.train_on_batch, self, args, kwargs)
        _check_data_arguments(self, given, "train_on_batch")
        return super().train_on_batch(**given)

    def test_on_batch(self, *args, **kwargs):
        """`keras.Model.test_on_batch`, with its data checked as `fit` checks it."""
        given = _arguments(keras.Model.test_on_batch, self, args, kwargs)
        _check_data_arguments(self, given, "test_on_batch")
        return super().test_on_batch(**given)


def _arguments(method, model, args, kwargs):
    """`method(model, *args, **kwargs)`'s arguments by name, without `self`.

    So `sample_weight` or `validation_data` is found however it was passed.
    """
    given = inspect.signature(method).bind(model, *args, **kwargs).arguments
    del given["self"]
    return given


def _check_data_arguments(model, given, method):
    """Checks the data in `given` (a call's arguments by name) in place, for `model.<method>`.

    Example weights are refused (`input_structure`); `x` and `y` become `checked_data`'s.
    """
    consumer = f"{type(model).__name__}.{method}"
    refuse_example_weights(consumer, given.get("sample_weight"), given.get("class_weight"))
    watch, callbacks = None, given.get("callbacks") or []
    if (method in ("fit", "evaluate") and isinstance(given.get("x"), tf.data.Dataset)
            and isinstance(callbacks, (list, tuple))):  # not a CallbackList of the user's
        # A dataset's [0, 1] images are counted as read and warned about after the first epoch.
        watch = UnitRangeWatch(consumer, UNIT_RANGE_CONSEQUENCE)
        given["callbacks"] = [*callbacks, watch]
    given["x"], given["y"] = checked_data(model, given.get("x"), given.get("y"), consumer, watch)


def step_labels(model, labels):
    """A conditional model's labels inside its train/test step: int32, class ids shaped `(N,)`.

    Labels shaped `(N, 1)`, as Keras' sparse losses take them and `keras.datasets.cifar10`
    gives them, are flattened. The shape is checked when the step is traced (one-hot labels
    would otherwise fail in a network with Keras' "Invalid input shape"); the range only without
    XLA, which drops assertions: `fit` has already checked arrays, datasets, generators and
    `PyDataset`s; this catches what bypasses it (a custom loop calling `train_step`).

    Args:
        model: the model; `num_classes` and `jit_compile` are read.
        labels: the batch's labels tensor.

    Returns:
        int32 tensor `(N,)`.

    Example:

    ```python
    labels = step_labels(self, labels)  # in _unpack
    ```
    """
    consumer = type(model).__name__
    if labels.shape.rank is None:  # from_generator with TensorSpec(None): "Cannot iterate ..."
        raise DataError(
            f"{consumer} takes labels as class ids shaped (batch,) or (batch, 1); the dataset "
            "does not declare their rank. Declare it, e.g. tf.TensorSpec((None,), tf.int32) in "
            "from_generator's output_signature.")
    if not is_class_id_shape(labels.shape):
        fix = one_hot_fix(labels.shape, "tf.argmax(labels, axis=-1)")
        raise DataError(
            f"{consumer} takes labels as class ids shaped (batch,) or (batch, 1); the dataset "
            f"yields shape {tuple(labels.shape)}.{fix}")
    labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
    if model.jit_compile:
        return labels
    with tf.control_dependencies([label_range_assert(labels, model.num_classes, consumer)]):
        return tf.identity(labels)


def _checked_validation_data(model, validation_data):
    """`fit`'s `validation_data` (a dataset, or a tuple `(x, y[, sample_weight])`), checked."""
    # No apostrophe: TensorFlow escapes it in an assertion's message.
    consumer = f"validation_data of {type(model).__name__}.fit"
    if not isinstance(validation_data, tuple):
        return checked_data(model, validation_data, consumer=consumer)[0]
    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(validation_data)
    refuse_example_weights(consumer, sample_weight)
    return keras.utils.pack_x_y_sample_weight(*checked_data(model, x, y, consumer=consumer))
