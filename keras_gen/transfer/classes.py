"""`reset_classes`: give a pretrained conditional GAN new classes and keep everything else."""

import keras
import numpy as np

from keras_gen.models import ConditionalGAN
from keras_gen.models.labels import check_labels
from keras_gen.networks.conditional import check_num_classes
from keras_gen.utils.arguments import check_positive_int
from keras_gen.utils.images import model_range_images

INITS = ("mean", "random")


def _class_axis(layer, num_classes):
    """The axis of `layer`'s weights indexed by class, or None when the layer is class-free.

    The class-indexed layers of keras_gen's conditional networks are the label
    embeddings (`Embedding(input_dim=K)`: the generator's `label_embedding`, the
    projection discriminator's `label_projection`) and the ACGAN class head
    (`Dense(units=K)`, possibly inside `SpectralNormalization`).
    """
    if isinstance(layer, keras.layers.Embedding) and layer.input_dim == num_classes:
        return 0
    inner = layer.layer if isinstance(layer, keras.layers.SpectralNormalization) else layer
    if isinstance(inner, keras.layers.Dense) and inner.units == num_classes:
        return -1
    return None


def _resized_layer(layer, num_classes):
    """A fresh copy of a class-indexed layer, built for `num_classes` classes."""
    config = layer.get_config()
    if isinstance(layer, keras.layers.Embedding):
        config["input_dim"] = num_classes
    elif isinstance(layer, keras.layers.SpectralNormalization):
        config["layer"] = {**config["layer"],
                           "config": {**config["layer"]["config"], "units": num_classes}}
    else:
        config["units"] = num_classes
    return layer.__class__.from_config(config)


def _rebuilt(network, old_classes, new_classes):
    """`network` with its class-indexed layers resized (fresh weights everywhere)."""
    def clone_layer(layer):
        if _class_axis(layer, old_classes) is not None:
            return _resized_layer(layer, new_classes)
        return layer.__class__.from_config(layer.get_config())

    return keras.models.clone_model(network, clone_function=clone_layer)


def _layer_pairs(old, new):
    """`(old, new)` for two networks of the same structure, outer layers before inner ones."""
    yield old, new
    for old_layer, new_layer in zip(getattr(old, "layers", []), getattr(new, "layers", [])):
        yield from _layer_pairs(old_layer, new_layer)


def _blend(matrix, weight, axis):
    """`weight`'s class slices along `axis` mixed by the float64 `matrix` (new, old)."""
    mixed = np.tensordot(matrix, np.moveaxis(weight, axis, 0), axes=1)
    return np.moveaxis(mixed, 0, axis).astype(weight.dtype)


def _transfer_weights(source, target, old_classes, new_classes, init):
    """Copies `source`'s weights and frozen layers into the resized `target`.

    The class rows start from `init`.
    """
    # Configs do not carry `trainable` through nested blocks (a frozen `Sequential`
    # block comes back trainable), so copy it layer by layer, outer before inner.
    for old_layer, new_layer in _layer_pairs(source, target):
        new_layer.trainable = old_layer.trainable
    for old_layer, new_layer in zip(source.layers, target.layers):
        axis = _class_axis(old_layer, old_classes)
        if axis is None:
            new_layer.set_weights(old_layer.get_weights())
        elif not isinstance(init, str):
            # Every new class starts as a blend of the old ones (a row of `init`), so the
            # pretrained networks see inputs like those they were trained on; the classes then
            # part with the data.
            new_layer.set_weights([
                _blend(init, weight, axis) if weight.shape[axis] == old_classes else weight
                for weight in old_layer.get_weights()])


def _blend_matrix(init, new_classes, old_classes):
    """`init` as `_transfer_weights` takes it: "random", or a `(new, old)` blend matrix."""
    if isinstance(init, str):
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS} or a (num_classes, old classes) "
                             f"matrix such as class_affinity's. Received: init={init!r}")
        return np.full((new_classes, old_classes), 1.0 / old_classes) if init == "mean" else init
    matrix = np.asarray(init, dtype="float64")
    if matrix.shape != (new_classes, old_classes):
        raise ValueError(f"An init matrix has one row of blend weights per new class and one "
                         f"column per old class: shape ({new_classes}, {old_classes}). "
                         f"Received: shape {matrix.shape}")
    # A row of ones started its class at 10 times the old classes' mean embedding, and NaN was
    # named as a wrong shape.
    sums = matrix.sum(axis=1)
    if not np.all(np.isfinite(matrix)) or np.any(matrix < 0) or not np.allclose(sums, 1.0):
        raise ValueError(f"Each row of an init matrix blends old classes: weights >= 0 that sum "
                         f"to 1 (divide each row by its sum; class_affinity's rows do). Received "
                         f"row sums {np.round(sums, 4).tolist()}, minimum {matrix.min():g}.")
    return matrix


def class_affinity(model, images, labels, num_classes=None, temperature=0.25, batch_size=256):
    """How much more each new class looks like each of a conditional GAN's own classes.

    The pretrained discriminator's class posterior `p(y | x)` (the softmax over its classes
    of the projection term, or of the ACGAN class head) is averaged over the images of each
    new class `c` and divided by its average over all the images: the lift
    `p(y | c) / p(y)`, which says which old classes set `c` apart. (Across domains the raw
    posterior is dominated by one old class for every image: `cgan_mnist` puts 0.7-0.8 of
    most Fashion-MNIST classes on "0". As the lift counts relative change, an old class the
    discriminator seldom picks weighs in where its share grows.) Each row is the lift to
    the power `1 / temperature`, normalised to sum to 1. Passed as
    `reset_classes(..., init=affinity)`, every new class starts as the blend of old classes
    that its images resemble, as in cGANTransfer (Shahbazi et al. 2021, "Efficient
    Conditional GAN Transfer with Knowledge Propagation across Classes"), instead of all
    starting alike at the old classes' mean. Measured on `cgan_mnist` <-> `cgan_fashion_mnist`
    (benchmarks/README.md): ahead of the mean for the first ~150 steps, level or behind from ~225.

    Args:
        model: a keras_gen `ConditionalGAN` (the pretrained one, before `reset_classes`).
        images: float array `(N, H, W, C)` in [-1, 1]: the new dataset's images.
        labels: int array `(N,)`: their new classes, in `[0, num_classes)`.
        num_classes: optional int. The new number of classes (default `max(labels) + 1`).
        temperature: float > 0. Lower makes each row pick fewer old classes; 1 keeps the
            lift's proportions.
        batch_size: int. Images per discriminator call.

    Returns:
        float64 array `(num_classes, model.num_classes)` whose rows sum to 1 (a new class
        without images gets the uniform row, i.e. the old classes' mean).

    Example:

    ```python
    affinity = transfer.class_affinity(cgan, images, labels)
    cgan = transfer.reset_classes(cgan, affinity.shape[0], init=affinity)
    ```
    """
    if not isinstance(model, ConditionalGAN):
        raise ValueError(f"class_affinity takes a class-conditional GAN (ConditionalGAN); "
                         f"{model.name!r} is a {type(model).__name__}.")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0. Received: temperature={temperature!r}")
    batch_size = check_positive_int("batch_size", batch_size)
    # 0-255 images gave an affinity without a word, from what the discriminator never saw.
    images = model_range_images(images, "class_affinity")
    if len(images) == 0:
        raise ValueError("class_affinity needs at least one image of the new dataset.")
    num_classes = int(np.max(labels)) + 1 if num_classes is None else num_classes
    num_classes = check_num_classes(num_classes)
    labels = check_labels(labels, num_classes, len(images))
    # A posterior that underflowed to 0 everywhere must not make the lift 0 / 0.
    posterior = _class_posterior(model, images, batch_size) + 1e-12
    lift = np.ones((num_classes, model.num_classes))
    for new_class in np.unique(labels):
        lift[new_class] = posterior[labels == new_class].mean(axis=0) / posterior.mean(axis=0)
    # The power in log space, shifted by each row's maximum: no overflow at low temperatures.
    logits = np.log(lift) / temperature
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


def _class_posterior(model, images, batch_size):
    """`p(y | x)` over the model's own classes by its discriminator: `(len(images), K)`."""
    old_classes = model.num_classes
    posteriors = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        if model.auxiliary:
            scores = model.discriminator(batch, training=False)[1]
        else:
            # D(x, y) for every old class y: the unconditional term is the same for all y,
            # so the softmax over y is that of the projection term alone.
            repeated = np.repeat(batch, old_classes, axis=0)
            classes = np.tile(np.arange(old_classes, dtype="int32"), len(batch))
            scores = np.reshape(model.discriminator([repeated, classes], training=False),
                                (len(batch), old_classes))
        posteriors.append(keras.ops.convert_to_numpy(keras.ops.softmax(
            keras.ops.cast(scores, "float32"), axis=-1)))
    return np.concatenate(posteriors).astype("float64")


def _check_class_layers(networks, num_classes):
    """Refuses networks (role -> network) without a layer indexed by their classes."""
    for role, network in networks.items():
        if not any(_class_axis(layer, num_classes) is not None for layer in network.layers):
            raise ValueError(
                f"The {role} {network.name!r} has no layer indexed by the {num_classes} classes "
                "(an Embedding with input_dim, or a Dense with units, equal to num_classes), so "
                "its classes cannot be reset. Build it with keras_gen.networks."
            )


def reset_classes(model, num_classes, init="mean", class_names=None):
    """Returns a copy of a conditional GAN with new, untrained classes and all other weights kept.

    For fine-tuning a class-conditional preset on a dataset whose classes differ from the
    preset's, in number or in meaning (class 0 of `cgan_mnist` is a zero; of a clothing
    dataset, a T-shirt). The label embeddings of the generator (and of its EMA copy) and of
    the projection discriminator, or the ACGAN class head, are rebuilt for `num_classes`
    classes; every other weight, frozen layer and the compile settings carry over. Call
    `prepare_finetune` (or `compile`) on the result before `fit`.

    Args:
        model: a keras_gen `ConditionalGAN` (e.g. from `ConditionalGAN.from_preset`).
        num_classes: int >= 2. The new number of classes.
        init: `"mean"` (default) starts every new class at the average of the old ones, so the
            first samples look like the preset's "average class" and the classes then separate
            as the labelled data pulls them apart. `"random"` draws the class weights afresh with
            the layers' own initializers (seed them with `keras.utils.set_random_seed`). A
            `(num_classes, model.num_classes)` matrix starts new class `c` as the blend of old
            classes in row `c` (`"mean"` is the matrix of `1 / model.num_classes`); see
            `class_affinity`.
        class_names: optional list of `num_classes` str: the new classes' names (the preset's
            names, if any, are dropped with its classes).

    Returns:
        A new `ConditionalGAN`; the input model is left unchanged. The preset's
        `preset_metadata` is not carried over: its quality was measured on the old classes.

    Raises:
        ValueError: `model` is not conditional, `num_classes` is not an int >= 2, `init` is
            unknown or a matrix of the wrong shape, or a network has no class-indexed layer.

    Example:

    ```python
    cgan = ConditionalGAN.from_preset("cgan_mnist")     # 10 digit classes
    cgan = transfer.reset_classes(cgan, num_classes=3)  # e.g. a folder with 3 class subfolders
    transfer.prepare_finetune(cgan, ada=True)
    cgan.fit(keras_gen.data.load("my_folder/", batch_size=64), epochs=20)
    ```
    """
    if not isinstance(model, ConditionalGAN):
        raise ValueError(f"reset_classes takes a class-conditional GAN (ConditionalGAN); "
                         f"{model.name!r} is a {type(model).__name__}.")
    num_classes = check_num_classes(num_classes)
    old_classes = model.num_classes
    init = _blend_matrix(init, num_classes, old_classes)
    networks = {"generator": model.generator, "discriminator": model.discriminator}
    _check_class_layers(networks, old_classes)
    rebuilt = {role: _rebuilt(network, old_classes, num_classes)
               for role, network in networks.items()}
    for role, network in networks.items():
        _transfer_weights(network, rebuilt[role], old_classes, num_classes, init)
    copy = _model_around(model, rebuilt, num_classes, class_names)
    if model.ema_generator is not None:  # the averaged weights are the better start for samples
        _transfer_weights(model.ema_generator, copy.ema_generator, old_classes, num_classes, init)
    return copy


def _model_around(model, networks, num_classes, class_names):
    """A model like `model` (settings, augmentation, compile) around the resized networks."""
    config = model.get_config()
    for key in ("generator", "discriminator", "augment"):
        config.pop(key)
    config["num_classes"], config["class_names"] = num_classes, class_names
    augment = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(model.augment))
    copy = type(model)(generator=networks["generator"], discriminator=networks["discriminator"],
                       augment=augment, **config)
    compile_config = model.get_compile_config()
    if compile_config:
        copy.compile_from_config(compile_config)
    return copy
