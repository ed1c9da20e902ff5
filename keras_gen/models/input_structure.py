"""Refuses data that a keras_gen model would read wrongly or not at all, before the first step.

keras_gen's losses average over each batch, and its steps read one image tensor (and a label
tensor for conditional models). Keras passes anything else through to the step, where:

- `sample_weight` and `class_weight` (or a dataset's third element) were ignored without a word:
  a GAN or VAE fitted with every weight 0 still trained;
- a dict of arrays, or a list of them, failed with `'dict' object has no attribute 'dtype'`, or
  with a conditional model's "the dataset yields images only", which points at the wrong cause.
"""

import keras

from keras_gen.errors import DataError

_RESAMPLE_HINT = ("To rebalance classes or examples, resample the data instead, e.g. with "
                  "tf.data.Dataset.sample_from_datasets or tf.data.Dataset.rejection_resample.")


def refuse_example_weights(consumer, sample_weight=None, class_weight=None):
    """Raises `DataError` if `sample_weight` or `class_weight` was given: they would be ignored.

    Args:
        consumer: who takes the data, at the head of the error, e.g. `"GAN.fit"`.
        sample_weight: what the call received as `sample_weight`.
        class_weight: what the call received as `class_weight`.

    Raises:
        DataError: naming the argument, with the fix (resampling).

    Example:

    ```python
    refuse_example_weights("GAN.fit", sample_weight=weights)  # DataError
    ```
    """
    for name, value in (("sample_weight", sample_weight), ("class_weight", class_weight)):
        if value is not None:
            raise DataError(f"{consumer} does not take {name}: keras_gen's losses average over "
                            f"each batch, so the weights would be ignored. {_RESAMPLE_HINT}")


def check_element_structure(element, consumer, takes_labels, source, dataset=False):
    """Raises `DataError` unless `element` is images, or `(images, labels)`, with no weights.

    Args:
        element: a batch of a generator or `PyDataset`, or a dataset's `element_spec`.
        consumer: who takes the data, at the head of the error, e.g. `"GAN.fit"`.
        takes_labels: whether the model reads labels (a conditional model); the fix says where
            they go.
        source: what `element` is, for the message, e.g. `"each dataset element"`.
        dataset: whether `element` is a `tf.data.Dataset`'s: a dataset of dicts (TFDS'
            default) is then shown the `map` to pairs.

    Raises:
        DataError: for sample weights in the element, or images that are not one array or
            tensor (see `check_images_structure`), with the fix.

    Example:

    ```python
    check_element_structure(dataset.element_spec, "GAN.fit", False, "each dataset element")
    ```
    """
    images, _, sample_weight = keras.utils.unpack_x_y_sample_weight(element)
    if sample_weight is not None:
        raise DataError(f"{consumer} does not take sample weights, and {source} has a third "
                        f"part, (images, labels, weights): keras_gen's losses average over each "
                        f"batch, so the weights would be ignored. {_RESAMPLE_HINT}")
    whole = images is element  # not an (images, labels) pair
    hint = _dict_dataset_hint(images) if dataset and whole and isinstance(images, dict) else ""
    check_images_structure(images, consumer, takes_labels,
                           source if whole else f"the first part of {source}", hint)


def check_images_structure(images, consumer, takes_labels, source, hint=""):
    """Raises `DataError` if `images` is a dict, list or tuple rather than one array or tensor.

    Anything else passes to Keras as it is (one array, tensor or `TensorSpec`, and what Keras
    reads itself: a `tf.distribute` dataset, a `DataAdapter`, ...).

    Args:
        images: `x` as given, or the images of a batch or of a dataset's `element_spec`.
        consumer: who takes the data, at the head of the error, e.g. `"GAN.fit"`.
        takes_labels: whether the model reads labels (a conditional model); the fix says where
            they go.
        source: where `images` came from, for the message, e.g. `"x"`.
        hint: str. More of the fix, at the end of the message.

    Raises:
        DataError: for a dict, list or tuple of arrays, with the fix.

    Example:

    ```python
    check_images_structure({"images": images}, "GAN.fit", False, "x")  # DataError
    ```
    """
    if not isinstance(images, (dict, list, tuple)):
        return
    if takes_labels:
        fix = ("Pass the labels apart from the images: as y, or as the second part of "
               "(images, labels) pairs in a dataset.")
    else:
        fix = "Pass the images themselves; (images, labels) pairs are fine, the labels unused."
    raise DataError(f"{consumer} takes images as one array or tensor shaped (N, H, W, C); "
                    f"received {describe(images)} as {source}. {fix}{hint and ' ' + hint}")


def _dict_dataset_hint(element):
    """How to turn a dataset of dicts (TFDS' default) into the pairs the models read."""
    def key(word):
        return next((name for name in element if word in str(name).lower()), None)

    image_key, label_key = key("image") or next(iter(element)), key("label")
    parts = f"(e[{image_key!r}], e[{label_key!r}])" if label_key else f"e[{image_key!r}]"
    return (f"E.g. dataset.map(lambda e: {parts}); for TFDS, tfds.load(..., "
            "as_supervised=True), or keras_gen.data.load(name), which also scales the images.")


def describe(value):
    """Names what a caller passed, for an error message: its structure, or one tensor's shape.

    Args:
        value: anything passed as a model's input or data.

    Returns:
        str, e.g. `"a dict with keys ['image', 'label']"` or `"one tensor of shape (4, 8)"`.

    Example:

    ```python
    describe(np.zeros((4, 8)))  # "one tensor of shape (4, 8)"
    ```
    """
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value, key=str)}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    shape = getattr(value, "shape", None)
    if shape is None:
        return f"a value of type {type(value).__name__}"
    # A symbolic tensor in a retraced predict step can have no known rank (and no len()).
    if getattr(shape, "rank", 0) is None:
        return "one tensor of unknown shape"
    return f"one tensor of shape {tuple(shape)}"
