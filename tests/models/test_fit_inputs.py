"""What `fit` takes besides its values: images as one array or in (images, labels) pairs, no
example weights, datasets of any declared size, one optimizer per learning-rate callback."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.errors import DataError
from keras_gen.models.input_structure import describe
from tests.helpers import tiny_cgan, tiny_gan, tiny_images, weights_of
from tests.models.fit_data import batches, models_of_every_family, steps_taken
from tests.models.test_vae import tiny_vae, tiny_vaegan


def test_learning_rate_callbacks_need_one_optimizer_and_schedules_do_the_job(tmp_path):
    # They failed after the first epoch with "'NoneType' object has no attribute ...".
    callbacks = [keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5)]
    for model, optimizers in [(tiny_gan(), "g_optimizer and d_optimizer"),
                              (tiny_cgan(), "g_optimizer and d_optimizer"),
                              (tiny_vaegan(), "e_optimizer and g_optimizer and d_optimizer")]:
        name = type(model).__name__
        with pytest.raises(ValueError, match=rf"^ReduceLROnPlateau adjusts model\.optimizer, and "
                                             rf"a {name} has none: it trains with {optimizers}\. "
                                             r"Give each optimizer a learning-rate schedule"):
            model.fit(tiny_images(8), np.arange(8) % 10, batch_size=4, callbacks=callbacks,
                      verbose=0)
        assert set(steps_taken(model)) == {0}
    with pytest.raises(ValueError, match=r"^LearningRateScheduler adjusts model\.optimizer"):
        tiny_gan().fit(tiny_images(8), callbacks=[
            keras.callbacks.LearningRateScheduler(lambda epoch, rate: rate)], verbose=0)
    # It failed at the start: "'NoneType' object has no attribute 'iterations'".
    with pytest.raises(ValueError, match=r"^TensorBoard\(write_steps_per_second=True\) counts "
                                         r"the iterations of model\.optimizer, and a GAN has none"
                                         r".* Leave write_steps_per_second off"):
        tiny_gan().fit(tiny_images(8), callbacks=[keras.callbacks.TensorBoard(
            str(tmp_path), write_steps_per_second=True)], verbose=0)
    # It failed at the first validation: "'NoneType' object has no attribute 'use_ema'".
    with pytest.raises(ValueError, match=r"^SwapEMAWeights swaps in the weight average of "
                                         r"model\.optimizer, and a ConditionalGAN has none.* A "
                                         r"ConditionalGAN averages its generator itself: build it "
                                         r"with ema_decay"):
        tiny_cgan().fit(tiny_images(8), np.arange(8) % 10, callbacks=[
            keras.callbacks.SwapEMAWeights(swap_on_epoch=True)], verbose=0)
    with pytest.raises(ValueError, match=r"A VAEGAN keeps no weight average; leave "
                                         r"SwapEMAWeights out\.$"):
        tiny_vaegan().fit(tiny_images(8), callbacks=[keras.callbacks.SwapEMAWeights()],
                          verbose=0)
    vae = tiny_vae()  # one optimizer: Keras' callbacks work as they are
    vae.fit(tiny_images(8), batch_size=4, epochs=2, callbacks=callbacks, verbose=0)
    # The rest of TensorBoard reads no model.optimizer: a GAN's metrics are logged per batch.
    tiny_gan().fit(tiny_images(8), batch_size=4, callbacks=[keras.callbacks.TensorBoard(
        str(tmp_path / "gan"), update_freq="batch", histogram_freq=1)], verbose=0)
    logged = {value.tag for path in (tmp_path / "gan" / "train").iterdir()
              for event in tf.compat.v1.train.summary_iterator(str(path))
              for value in event.summary.value}
    assert {"batch_d_loss", "batch_g_loss", "epoch_d_real"} <= logged, logged
    # What the message suggests: after 4 steps, 2e-4 halved every 2 steps is 2e-4 / 4 = 5e-5.
    scheduled = [keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(
        2e-4, decay_steps=2, decay_rate=0.5), beta_1=0.5) for _ in range(2)]
    gan = tiny_gan(g_optimizer=scheduled[0], d_optimizer=scheduled[1])
    gan.fit(tiny_images(8), batch_size=4, epochs=2, verbose=0)
    for optimizer in (gan.g_optimizer, gan.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(5e-5)


def test_example_weights_are_refused_rather_than_ignored():
    # The losses average over each batch: a GAN or VAE fitted with every weight 0 still trained.
    images, labels, zeros = tiny_images(8), np.arange(8, dtype=np.int32), np.zeros(8, np.float32)
    weighted = batches(images, labels, zeros)
    for model in (*models_of_every_family(), *models_of_every_family(num_classes=10)):
        name = type(model).__name__
        before = weights_of(model)
        ignored = r"would be ignored\. To rebalance classes or examples, resample the data"
        for call, argument in [
                (lambda: model.fit(images, labels, sample_weight=zeros, verbose=0),
                 "fit does not take sample_weight"),
                (lambda: model.fit(images, labels, class_weight={0: 0.0}, verbose=0),
                 "fit does not take class_weight"),
                (lambda: model.train_on_batch(images, labels, zeros),
                 "train_on_batch does not take sample_weight"),
                (lambda: model.test_on_batch(images, labels, sample_weight=zeros),
                 "test_on_batch does not take sample_weight"),
                (lambda: model.evaluate(images, labels, 4, 0, zeros),  # positionally too
                 "evaluate does not take sample_weight")]:
            with pytest.raises(DataError, match=rf"^{name}\.{argument}: .* {ignored}"):
                call()
        with pytest.raises(DataError, match=rf"^validation_data of {name}\.fit does not take "
                                            r"sample_weight"):
            model.fit(images, labels, validation_data=(images, labels, zeros), verbose=0)
        with pytest.raises(DataError, match=rf"^{name}\.fit does not take sample weights, and "
                                            r"each dataset element has a third part, \(images, "
                                            rf"labels, weights\): .* {ignored}"):
            model.fit(weighted, verbose=0)
        with pytest.raises(DataError, match=r"and a batch has a third part"):
            model.fit((batch for batch in [(images, labels, zeros)]), verbose=0)
        assert set(steps_taken(model)) == {0}
        for left, right in zip(before, weights_of(model), strict=True):
            np.testing.assert_array_equal(left, right)


def test_describe_names_a_structure_or_a_tensors_shape():
    assert describe({"label": 1, "image": 2}) == "a dict with keys ['image', 'label']"
    assert describe((1, 2, 3)) == "a tuple of 3 items"
    assert describe(np.zeros((4, 8))) == "one tensor of shape (4, 8)"
    assert describe(tf.TensorSpec((None, 8))) == "one tensor of shape (None, 8)"
    # What a retraced predict step hands call(): len() of its shape raises.
    assert describe(tf.TensorSpec(None)) == "one tensor of unknown shape"
    assert describe(3) == "a value of type int"


def test_images_in_a_dict_or_list_are_refused_with_the_fix():
    # They failed inside the step: "'dict' object has no attribute 'dtype'" (GAN, VAE), or
    # "the dataset yields images only" for a conditional GAN, which had labels in the dict.
    images, labels = tiny_images(8), np.arange(8, dtype=np.int32)
    as_dict = {"images": images, "labels": labels}
    # A dataset of dicts (TFDS' default) is told how to map its elements to pairs.
    to_pairs = (r" E\.g\. dataset\.map\(lambda e: \(e\['images'\], e\['labels'\]\)\); for TFDS, "
                r"tfds\.load\(\.\.\., as_supervised=True\)")
    cases = [  # each a function, so every model gets a fresh generator
        (lambda: as_dict, "a dict with keys \\['images', 'labels'\\] as x", "$"),
        (lambda: list(images), "a list of 8 items as x", "$"),
        (lambda: tf.data.Dataset.from_tensor_slices(as_dict).batch(4),
         "a dict with keys \\['images', 'labels'\\] as each dataset element", to_pairs),
        (lambda: tf.data.Dataset.from_tensor_slices(({"images": images}, labels)).batch(4),
         "a dict with keys \\['images'\\] as the first part of each dataset element", "$"),
        (lambda: (batch for batch in [({"images": images}, labels)]),
         "a dict with keys \\['images'\\] as the first part of a batch", "$"),
    ]
    fixes = {False: r"Pass the images themselves; \(images, labels\) pairs are fine, the labels "
                    r"unused\.",
             True: r"Pass the labels apart from the images: as y, or as the second part of "
                   r"\(images, labels\) pairs in a dataset\."}
    for model in (*models_of_every_family(), *models_of_every_family(num_classes=10)):
        name = type(model).__name__
        fix = fixes[getattr(model, "num_classes", None) is not None]
        for data, received, then in cases:
            with pytest.raises(DataError, match=rf"^{name}\.fit takes images as one array or "
                                                rf"tensor shaped \(N, H, W, C\); received "
                                                rf"{received}\. {fix}{then}"):
                model.fit(data(), verbose=0)
        assert set(steps_taken(model)) == {0}


def test_what_keras_reads_itself_still_passes_the_structure_check(mirrored_strategy):
    # The check refuses dicts, lists and tuples only: a tf.distribute dataset, which Keras takes
    # as it is, was refused as "received a DistributedDataset as x" by its first version.
    with mirrored_strategy.scope():
        gan = tiny_gan()
    distributed = mirrored_strategy.experimental_distribute_dataset(batches(tiny_images(8)))
    gan.fit(distributed, verbose=0)
    assert gan.g_optimizer.iterations.numpy() == 2


def test_datasets_without_declared_image_sizes_train_and_wrong_sizes_are_refused_by_the_step():
    # A dataset from from_generator or a py_function declares no sizes: its right-sized images
    # were refused ("images have shape (None, None, None)", or "Cannot iterate over a shape with
    # unknown rank"), and so was any second fit on data of another shape.
    def unsized(images):
        return tf.data.Dataset.from_generator(
            lambda: iter([images[:4], images[4:]]),
            output_signature=tf.TensorSpec((None, None, None, None), tf.float32),
        ).apply(tf.data.experimental.assert_cardinality(2))  # else Keras warns "ran out of data"

    for model in (*models_of_every_family(), tiny_gan(jit_compile=True)):
        history = model.fit(unsized(tiny_images(8)), epochs=1, verbose=0).history
        assert all(np.isfinite(values[-1]) for values in history.values())
        assert all(steps >= 2 for steps in steps_taken(model))
        # Checked ahead of the step, which XLA compiles without its own check.
        with pytest.raises(DataError, match=rf"^{type(model).__name__}\.fit takes images of "
                                            r"shape \(batch, 28, 28, 1\); received shape "
                                            r"\[4 32 32 1\]\. Load the data at the image size "
                                            r"of the model \(keras_gen\.data\.load"):
            model.fit(unsized(tiny_images(8, shape=(32, 32, 1))), epochs=1, verbose=0)

    def labelled(label_shape):
        images, labels = tiny_images(8), np.arange(8) % 10
        return tf.data.Dataset.from_generator(
            lambda: iter([(images[:4], labels[:4]), (images[4:], labels[4:])]),
            output_signature=(tf.TensorSpec((None, None, None, None), tf.float32),
                              tf.TensorSpec(label_shape, tf.int64)),
        ).apply(tf.data.experimental.assert_cardinality(2))

    for model in models_of_every_family(num_classes=10):
        model.fit(labelled((None,)), epochs=1, verbose=0)
        assert all(steps == 2 for steps in steps_taken(model))
        # Labels of unknown rank failed with "Cannot iterate over a shape with unknown rank".
        with pytest.raises(DataError, match=r"takes labels as class ids shaped \(batch,\) or "
                                            r"\(batch, 1\); the dataset does not declare their "
                                            r"rank\. Declare it, e\.g\. tf\.TensorSpec"):
            model.fit(labelled(None), epochs=1, verbose=0)
    # The step checks too, for what bypasses fit (a loop of one's own), and sizes known when
    # it is traced at once.
    gan = tiny_gan()
    step = tf.function(gan.train_step, input_signature=[tf.TensorSpec((None, None, None, 1))])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"GAN takes images of shape \(batch, 28, 28, 1\); received shape "
                             r"\[4 32 32 1\]\. Load the data with matching image_size"):
        step(tiny_images(4, shape=(32, 32, 1)))
    # Greyscale images without their channel axis (keras.datasets.mnist's) are told the fix,
    # by fit before Keras batches them.
    with pytest.raises(DataError, match=r"^GAN\.fit takes images of shape \(batch, 28, 28, 1\); "
                                        r"received shape \(8, 28, 28\)\. For greyscale images "
                                        r"without their channel axis pass images\[\.\.\., "
                                        r"None\]\. Load the data"):
        gan.fit(tiny_images(8)[..., 0], epochs=1, batch_size=4, verbose=0)
    with pytest.raises(DataError, match=r"received shape \(8, 32, 32\)\. Load the data"):
        gan.fit(tiny_images(8, shape=(32, 32, 1))[..., 0], epochs=1, batch_size=4, verbose=0)


def test_integer_images_without_their_channel_axis_are_told_both_fixes_at_once():
    # keras.datasets.mnist's uint8 (N, 28, 28) arrays: fit named the scaling, and only at the
    # next try the channel axis.
    digits = np.round((tiny_images(8)[..., 0] + 1) * 127.5).astype(np.uint8)
    both = (r"received shape \({}, 28, 28\)\. For greyscale images without their channel axis "
            r"pass images\[\.\.\., None\]\. Their values are uint8 as well: scale 0-255 images "
            r"with images / 127\.5 - 1")

    def batches():
        while True:
            yield digits[:4]

    for model in models_of_every_family():
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^{name}\.fit takes images of shape "
                                            rf"\(batch, 28, 28, 1\); {both.format(8)}"):
            model.fit(digits, epochs=1, batch_size=4, verbose=0)
        with pytest.raises(DataError, match=rf"^{name}\.fit .*{both.format('None')}"):
            model.fit(tf.data.Dataset.from_tensor_slices(digits).batch(4), verbose=0)
        with pytest.raises(DataError, match=rf"^{name}\.fit .*{both.format(4)}"):
            model.fit(batches(), steps_per_epoch=1, verbose=0)
        with pytest.raises(DataError, match=rf"^validation_data of {name}\.fit .*"
                                            rf"{both.format(8)}"):
            model.fit(tiny_images(8), validation_data=digits, epochs=1, batch_size=4, verbose=0)
        # Only the scaling wrong: told the scaling alone, as before.
        with pytest.raises(DataError, match=r"takes float images in \[-1, 1\]; received uint8 "
                                            r"values\. Scale 0-255"):
            model.fit(digits[..., None], epochs=1, batch_size=4, verbose=0)
        # Both fixes made, it trains.
        model.fit(digits[..., None] / 127.5 - 1, epochs=1, batch_size=4, verbose=0)
        assert all(steps == 2 for steps in steps_taken(model))
