"""`checked_data`: the values a model is given, checked where they enter `fit` (images in
[-1, 1], labels in [0, K)).

A GAN fitted on 0-255 float images, or a conditional model on 1-based labels, trains without an
error and learns nothing of use (measured: a GAN's discriminator told 0-255 images from its tanh
samples at once, `d_real` ~49). `refuse_integer_images` reads only the dtype when the step is
traced, and a value check inside the compiled step is dropped under XLA (tf2xla ignores `Assert`),
which Keras turns on by default on a GPU. So values are checked where they enter `fit`:

- arrays (numpy, tensors) in full, before the first step;
- a `tf.data.Dataset` batch by batch, in a `map` ahead of the step: XLA does not compile it, and it
  leaves the dataset's order alone (peeking at a first batch would start another iteration, which
  reshuffles a seeded dataset differently and changes the run).

- a Python generator or a `keras.utils.PyDataset` batch by batch too, in Python as Keras reads
  it: the generator is wrapped in another, the `PyDataset` in one whose `__getitem__` checks.

The same holds for `fit`'s `validation_data` (a dataset there is checked as it is read, at the end
of the first epoch) and for `evaluate`, whose metrics on 0-255 images (`d_real` ~70) would
otherwise be reported as if they meant something (`checked_fit.CheckedFitMixin` calls these).
"""

import functools
import gc
import re
import types

import keras
import numpy as np
import tensorflow as tf

from keras_gen.errors import DataError
from keras_gen.models.call_inputs import check_image_batch_shape, image_shape_assert
from keras_gen.models.input_structure import check_element_structure, check_images_structure
from keras_gen.models.labels import is_class_id_shape, one_hot_fix
from keras_gen.utils.arguments import CLASS_IDS_FIX, holds_class_ids
from keras_gen.utils.images import (RANGE_SLACK, SCALING_HINT, model_range_images,
                                    warn_if_unit_range)

# What training on [0, 1] images leads to, in the warning about them.
UNIT_RANGE_CONSEQUENCE = "the model learns grey-backed images (generators end in tanh)"
# Marks the assertion messages of the dataset check, so a failure can be told from other errors.
_MARKER = "(keras_gen data check)"
_IMAGE_SHAPE_FIX = ("Load the data at the image size of the model (keras_gen.data.load(..., "
                    "image_size=..., channels=...)), or build the networks for that of the data.")


def checked_data(model, x, y=None, consumer=None, watch=None):
    """Returns `(x, y)` for `fit`, with arrays checked now and a dataset checked as it is read.

    Args:
        model: the keras_gen model that will train; its class names the errors, and its
            `num_classes` (if any) bounds the labels.
        x: what `fit` received as `x`.
        y: what `fit` received as `y`.
        consumer: optional str. Who takes the data, at the head of the errors; default
            `"<class>.fit"`.
        watch: optional `UnitRangeWatch` that a dataset's batches are counted in.

    Returns:
        `(x, y)`; a `tf.data.Dataset` comes back mapped through the check, a generator or a
        `PyDataset` wrapped in one that checks each batch.

    Raises:
        DataError: for images not in one array or tensor, a dataset with sample weights,
            images of another shape (integers told their scaling in the same message), or
            arrays outside the model's range, with the fix. The batches of a dataset, generator
            or `PyDataset` raise inside `fit`; `data_errors_raised_clearly` turns that into a
            `DataError`.

    Example:

    ```python
    x, y = checked_data(gan, images)  # DataError for 0-255 floats
    ```
    """
    consumer = consumer or f"{type(model).__name__}.fit"
    num_classes = getattr(model, "num_classes", None)
    if isinstance(x, tf.data.Dataset):
        check_element_structure(x.element_spec, consumer, num_classes is not None,
                                "each dataset element", dataset=True)
        _check_image_shape(keras.utils.unpack_x_y_sample_weight(x.element_spec)[0],
                           model.image_shape, consumer)
        return _checked_dataset(x, consumer, num_classes, watch, model.image_shape), y
    check = functools.partial(_check_batch, consumer=consumer, num_classes=num_classes,
                              image_shape=model.image_shape)
    if isinstance(x, types.GeneratorType):  # what Keras takes as a generator
        return _checked_generator(x, check), y
    if isinstance(x, keras.utils.PyDataset):
        return _CheckedPyDataset(x, check), y
    check_images_structure(x, consumer, num_classes is not None, "x")
    if isinstance(x, (np.ndarray, tf.Tensor)):
        _check_image_shape(x, model.image_shape, consumer)
        _check_values(x, y, consumer, num_classes)
        # Arrays are looked at whole; a dataset's batches are counted as they are read
        # (UnitRangeWatch). stacklevel 4: the caller of fit, evaluate, ...
        warn_if_unit_range(x, consumer, UNIT_RANGE_CONSEQUENCE, stacklevel=4)
    return x, y


def data_errors_raised_clearly(call, *args, **kwargs):
    """`call(*args, **kwargs)`, with a failed data check inside it raised as one `DataError`.

    TensorFlow raises a dataset's failed check, and a generator's `DataError` raised while
    `tf.data` reads it, as an `InvalidArgumentError` from the iterator, wrapped in "Graph
    execution error:" and the names of the nodes; Keras reads a generator's first batches
    itself, and its `DataError` comes as raised, with the marker of the check.

    The failed call leaves its dataset iterator in reference cycles (its frames, held by the
    error's traceback, and Keras' epoch iterator with its suspended generator), which only a
    garbage collection frees. Deleting a tf.data iterator waits for its autotuning thread, and
    left to a later, automatic collection that wait stalled the process for 5-95 s (seen on two
    busy cores, inside whatever ran next). So the error is dropped, the cycles are collected at
    once, while the iterator is young and its deletion quick, and the `DataError` is raised
    without the old error as its context.

    Args:
        call: the function to run, e.g. `keras.Model.fit`.
        *args: its positional arguments.
        **kwargs: its keyword arguments.

    Returns:
        what `call` returns.

    Example:

    ```python
    history = data_errors_raised_clearly(keras.Model.fit, model, dataset)
    ```
    """
    try:
        return call(*args, **kwargs)
    except tf.errors.InvalidArgumentError as error:
        # A dataset's assertion, or a generator's `DataError` raised through `tf.data`.
        found = re.search(r"(?:assertion failed: \[|DataError: )(.*) " + re.escape(_MARKER),
                          str(error))
        if not found:
            raise
        message = found.group(1)
    except DataError as error:  # a generator's first batches, which Keras reads in Python
        if not str(error).endswith(_MARKER):
            raise
        message = str(error).removesuffix(_MARKER).rstrip()
    gc.collect()  # reached on a failed check only: `error` and its frames are unreachable now
    raise DataError(message)


def _check_label_array(labels, num_classes, consumer):
    if not is_class_id_shape(labels.shape):
        fix = one_hot_fix(labels.shape, "labels.argmax(axis=-1)")
        raise DataError(f"{consumer} takes labels as class ids shaped (N,) or (N, 1); received "
                        f"shape {labels.shape}.{fix}")
    if not holds_class_ids(labels):  # the step casts labels to int32: 0.5 would be class 0
        raise DataError(f"{consumer} takes labels as whole-number class ids; received "
                        f"{labels.dtype} labels such as {labels.reshape(-1)[:3].tolist()}. "
                        f"{CLASS_IDS_FIX}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise DataError(
            f"{consumer} takes labels in [0, {num_classes}); received labels from "
            f"{labels.min()} to {labels.max()}. Shift 1-based labels by -1, or build the model "
            "with num_classes covering them.")


def _checked_dataset(dataset, consumer, num_classes, watch, image_shape):
    spec = dataset.element_spec

    def check(*parts):
        element = parts if isinstance(spec, tuple) else parts[0]
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(element)
        checks = []
        # Integer images are refused by dtype when the step is traced, with their own message;
        # other structures (a dict) by the step, which takes an image tensor.
        if isinstance(images, tf.Tensor) and images.dtype.is_floating:
            checks += _image_range_asserts(images, consumer, watch)
            # Sizes the dataset does not declare (from_generator, a py_function), here ahead
            # of the step: under XLA the step's own check is dropped.
            shape_check = image_shape_assert(images, image_shape, consumer,
                                             f"{_IMAGE_SHAPE_FIX} {_MARKER}")
            checks += [shape_check] if shape_check is not None else []
        if (num_classes is not None and isinstance(labels, tf.Tensor)
                and is_class_id_shape(labels.shape)):
            checks.append(label_range_assert(labels, num_classes, consumer))
            if labels.dtype.is_floating:  # the step's int32 cast would make 0.5 class 0
                checks.append(tf.debugging.Assert(
                    tf.reduce_all(tf.equal(labels, tf.round(labels))),
                    [f"{consumer} takes labels as whole-number class ids; a batch has "
                     f"fractional ones. {_MARKER}"]))
        with tf.control_dependencies(checks):
            return tf.nest.map_structure(tf.identity, element)

    return dataset.map(check, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _check_image_shape(images, image_shape, consumer):
    """Refuses images of another shape before their values, with integers' scaling in the same
    message: `keras.datasets.mnist`'s uint8 `(N, 28, 28)` arrays need both fixes, and were told
    them one error at a time (the scaling, then at the next try the channel axis)."""
    try:
        dtype = tf.as_dtype(getattr(images, "dtype", None))
    except TypeError:  # no dtype, or one TensorFlow has not: the value checks name it
        dtype = None
    scaling = (f"Their values are {dtype.name} as well: scale 0-255 images with images / 127.5 "
               "- 1 (keras_gen.data.transforms.to_unit_range). "
               if dtype is not None and dtype.is_integer else "")
    check_image_batch_shape(images, image_shape, consumer, scaling + _IMAGE_SHAPE_FIX, DataError)


def _check_values(images, labels, consumer, num_classes):
    """Raises `DataError` for images or labels (numpy or eager) outside the model's range."""
    if isinstance(images, (np.ndarray, tf.Tensor)):
        model_range_images(images, consumer)
    if num_classes is not None and isinstance(labels, (np.ndarray, tf.Tensor, list)):
        _check_label_array(np.asarray(labels), num_classes, consumer)


def _check_batch(element, consumer, num_classes, image_shape):
    """`_check_values` for a generator's or `PyDataset`'s batch, its `DataError` marked."""
    images, labels, _ = keras.utils.unpack_x_y_sample_weight(element)
    try:
        check_element_structure(element, consumer, num_classes is not None, "a batch")
        _check_image_shape(images, image_shape, consumer)
        _check_values(images, labels, consumer, num_classes)
    except DataError as error:
        raise DataError(f"{error} {_MARKER}") from None


def _checked_generator(generator, check):
    """Yields the generator's batches, each once `check` has passed it."""
    for element in generator:
        check(element)
        yield element


class _CheckedPyDataset(keras.utils.PyDataset):
    """A `PyDataset` whose batches are checked as Keras reads them, in its workers if any."""

    def __init__(self, dataset, check):
        super().__init__(workers=dataset.workers, use_multiprocessing=dataset.use_multiprocessing,
                         max_queue_size=dataset.max_queue_size)
        self._dataset, self._check = dataset, check

    def __getitem__(self, index):
        element = self._dataset[index]
        self._check(element)
        return element

    @property
    def num_batches(self):
        return self._dataset.num_batches

    def on_epoch_begin(self):
        self._dataset.on_epoch_begin()

    def on_epoch_end(self):
        self._dataset.on_epoch_end()


def _image_range_asserts(images, consumer, watch=None):
    finite = tf.debugging.Assert(tf.reduce_all(tf.math.is_finite(images)), [
        f"{consumer} takes float images in [-1, 1]; a batch has NaN or infinite values. {_MARKER}"])
    with tf.control_dependencies([finite]):  # NaN first: it would also fail the range check
        low, high = tf.reduce_min(images), tf.reduce_max(images)
    # An empty batch's minimum and maximum are +inf and -inf: in range.
    in_range = (((low >= -1 - RANGE_SLACK) & (high <= 1 + RANGE_SLACK))
                | (tf.size(images) == 0))
    message = tf.strings.format(
        f"{consumer} takes float images in [-1, 1]; a batch has values from {{}} to {{}}. "
        f"{SCALING_HINT} {_MARKER}", (low, high))
    return [tf.debugging.Assert(in_range, [message]), *(watch.record(low, high) if watch else [])]


def label_range_assert(labels, num_classes, consumer):
    """An assertion op that fails, with the marked message `data_errors_raised_clearly` finds,
    when a batch's labels leave [0, `num_classes`).

    Args:
        labels: int tensor of class ids.
        num_classes: int. The model's classes.
        consumer: str. Who takes the labels, at the head of the message.

    Example:

    ```python
    with tf.control_dependencies([label_range_assert(labels, 10, "ConditionalGAN.fit")]):
        labels = tf.identity(labels)
    ```
    """
    low, high = tf.reduce_min(labels), tf.reduce_max(labels)
    message = tf.strings.format(
        f"{consumer} takes labels in [0, {num_classes}); a batch has labels from {{}} to {{}}. "
        f"Shift 1-based labels by -1, or build the model with num_classes covering them. "
        f"{_MARKER}", (low, high))
    in_range = ((low >= 0) & (high < num_classes)) | (tf.size(labels) == 0)
    return tf.debugging.Assert(in_range, [message])
