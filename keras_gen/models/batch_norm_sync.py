"""Batch-norm statistics over the global batch, so N `tf.distribute` replicas train as one."""

import keras


def synchronize_batch_norm(model):
    """Switches every `BatchNormalization` inside `model` to Keras' synchronized batch norm.

    By default Keras normalises each replica's slice of the batch with that
    slice's own mean and variance, so a batch split over N devices trains
    differently from the same batch on one device (the moving statistics drift
    apart too). `synchronized=True` all-reduces the moments over the replicas
    (TensorFlow backend), which is what one device computes. Every keras_gen
    model calls this from `compile()`. With a single replica it changes
    nothing, so one-device runs keep their exact numerics.

    Args:
        model: `keras.Model`. Created in the strategy's scope (its
            `distribute_strategy` decides).

    Returns:
        list of str: the names of the layers switched (empty on one replica).

    Example:

    ```python
    with tf.distribute.MirroredStrategy().scope():
        gan = GAN(generator, discriminator)
        # compile() does this itself; returns ["stem_norm", "norm", ...]
        keras_gen.models.synchronize_batch_norm(gan)
    ```
    """
    if model.distribute_strategy.num_replicas_in_sync <= 1:
        return []
    switched = []
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.BatchNormalization) and not layer.synchronized:
            # Read at call time, and compile() discards any traced step, so this takes effect.
            layer.synchronized = True
            switched.append(layer.name)
    return switched
