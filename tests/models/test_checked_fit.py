"""`fit` checks the values it trains on (images in [-1, 1], labels in [0, K)), under XLA too."""

import gc
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.errors import DataError
from keras_gen.models.input_structure import describe
from tests.helpers import tiny_cgan, tiny_gan, tiny_images, weights_of
from tests.models.test_vae import tiny_vae, tiny_vaegan


def _steps_taken(model):
    """Each optimizer's step count: a GAN's two, a VAEGAN's three, a VAE's one."""
    names = ("e_optimizer", "g_optimizer", "d_optimizer", "optimizer")
    return [int(getattr(model, name).iterations) for name in names
            if getattr(model, name, None) is not None]


def _batches(*arrays):
    return tf.data.Dataset.from_tensor_slices(arrays if len(arrays) > 1 else arrays[0]).batch(4)


def _models(num_classes=None):
    """A GAN and a VAE (conditional ones with `num_classes`), and a VAEGAN, without XLA."""
    if num_classes is not None:
        return tiny_cgan(jit_compile=False), tiny_vae(num_classes=num_classes)
    return tiny_gan(jit_compile=False), tiny_vae(), tiny_vaegan()


def test_images_outside_minus_one_to_one_are_refused_before_a_step():
    # 0-255 float images trained a GAN without an error (its d_real at ~49).
    images = tiny_images(8)
    images[0, 0, 0, 0], images[1, 5, 5, 0] = 255.0, -3.0
    with_nan = tiny_images(8)
    with_nan[2, 1, 2, 0] = np.nan
    for model in _models():
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^{name}\.fit takes float images in \[-1, 1\]; a "
                                            r"batch has values from -3 to 255\. Scale 0-255 "
                                            r"images with images / 127\.5 - 1"):
            model.fit(_batches(images), verbose=0)
        with pytest.raises(DataError, match=rf"^{name}\.fit takes float images in \[-1, 1\]; "
                                            r"received values from -3 to 255\. Scale"):
            model.fit(images, batch_size=4, verbose=0)
        with pytest.raises(DataError, match=r"a batch has NaN or infinite values\.$"):
            model.fit(_batches(with_nan), verbose=0)
        with pytest.raises(DataError, match=r"received NaN or infinite values\.$"):
            model.fit(with_nan, batch_size=4, verbose=0)
        # Not even the parts of the step that read no batch ran (a GAN's generator update).
        assert set(_steps_taken(model)) == {0}


def test_arrays_scaled_to_zero_one_are_warned_about_and_still_train():
    # x / 255, Keras' usual scaling, passed the range check without a word.
    for model in _models():
        with pytest.warns(UserWarning, match=rf"^{type(model).__name__}\.fit: every image value "
                                             r"is in \[0, 1\].*images \* 2 - 1") as caught:
            model.fit(tiny_images(8) * 0.5 + 0.5, batch_size=4, verbose=0)
        assert caught[0].filename == __file__  # points at the user's fit call
        assert set(_steps_taken(model)) == {2}
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*every image value")
        for images in (tiny_images(8), np.zeros((8, 28, 28, 1), np.float32)):
            tiny_gan().fit(images, batch_size=4, verbose=0)


def test_a_dataset_scaled_to_zero_one_is_warned_about_after_its_first_epoch():
    # keras.io's DCGAN example maps its dataset with x / 255; a dataset's batches were not looked
    # at, so that trained to grey-backed samples without a word. They are counted as read (not
    # read ahead, which would reshuffle a seeded run) and judged at the first epoch's end.
    unit = _batches(tiny_images(16) * 0.5 + 0.5)
    for model in _models():
        name = type(model).__name__
        with pytest.warns(UserWarning, match=rf"^{name}\.fit: every image value the dataset gave "
                                             r"so far is in \[0, 1\].*images \* 2 - 1") as caught:
            model.fit(unit, epochs=2, verbose=0)
        assert [w.filename for w in caught if "every image value" in str(w.message)] == [
            __file__]  # once, at the user's fit call
        assert set(_steps_taken(model)) == {8}  # it still trains
        with pytest.warns(UserWarning, match=rf"^{name}\.evaluate: every image value the"):
            model.evaluate(unit, verbose=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*every image value")
        # One dark value in the whole epoch is enough: a bright batch of real images is fine.
        mixed = np.concatenate([tiny_images(12) * 0.5 + 0.5, tiny_images(4)])
        tiny_gan().fit(_batches(mixed), verbose=0)
        tiny_gan().fit(_batches(np.zeros((8, 28, 28, 1), np.float32)), verbose=0)


def test_fit_on_a_dataset_does_not_warn_that_shuffle_was_passed():
    # Keras 3.15 warns "`shuffle=True` was passed, but will be ignored" for every dataset, as
    # True is fit's default: a plain gan.fit(dataset) showed it, and the README and notebooks
    # passed shuffle=False to avoid it.
    def images():
        yield (tiny_images(4),)  # Keras takes tuples from a generator

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="`shuffle=True` was passed")
        tiny_gan().fit(_batches(tiny_images(8)), verbose=0)
        tiny_gan().fit(images(), steps_per_epoch=1, verbose=0)
    with pytest.warns(UserWarning, match="`shuffle=True` was passed"):  # asked for: Keras says
        tiny_gan().fit(_batches(tiny_images(8)), shuffle=True, verbose=0)


def test_labels_outside_the_classes_are_refused_before_a_step():
    images, labels = tiny_images(8), np.array([10, 1, 2, 3, 4, 5, 6, 7], np.int32)
    for model in _models(num_classes=10):
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^{name}\.fit takes labels in \[0, 10\); a batch "
                                            r"has labels from 1 to 10\. Shift 1-based labels"):
            model.fit(_batches(images, labels), verbose=0)
        with pytest.raises(DataError, match=rf"^{name}\.fit takes labels in \[0, 10\); received "
                                            r"labels from 1 to 10\. Shift"):
            model.fit(images, labels, batch_size=4, verbose=0)
        assert set(_steps_taken(model)) == {0}


def test_datasets_are_checked_under_xla():
    # XLA (Keras' default on a GPU) drops assertions inside the step: there, 0-255 images and
    # 1-based labels trained without an error. The dataset check runs ahead of the step.
    images, labels = tiny_images(8), np.array([10, 1, 2, 3, 4, 5, 6, 7], np.int32)
    with pytest.raises(DataError, match=r"^ConditionalGAN\.fit takes labels in \[0, 10\); a "
                                        r"batch has labels from 1 to 10\."):
        tiny_cgan(jit_compile=True).fit(_batches(images, labels), verbose=0)
    unscaled = np.full((8, 28, 28, 1), 128.0, np.float32)
    unscaled[0, 0, 0, 0], unscaled[1, 0, 0, 0] = 0.0, 255.0
    gan = tiny_gan(jit_compile=True)
    with pytest.raises(DataError, match=r"^GAN\.fit takes float images in \[-1, 1\]; a batch "
                                        r"has values from 0 to 255\. Scale"):
        gan.fit(_batches(unscaled), verbose=0)
    assert _steps_taken(gan) == [0, 0]


def _images_with(value_at, index):
    images = tiny_images(4)
    if index == value_at:
        images[0, 0, 0, 0] = 255.0
    return images


def _generator(bad_at, count=4):
    for index in range(count):
        yield (_images_with(bad_at, index),)


class _Batches(keras.utils.PyDataset):
    """Four batches of tiny images, one of them 0-255 (`bad_at`); counts its epochs."""

    def __init__(self, bad_at, **kwargs):
        super().__init__(**kwargs)
        self.bad_at, self.epochs_ended = bad_at, 0

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return _images_with(self.bad_at, index)

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_generators_and_py_datasets_are_checked_batch_by_batch_under_xla_too():
    # They cannot be read ahead; each batch is checked in Python as Keras reads it. Keras reads
    # the first ones itself (the data's shapes), later ones through tf.data: both raise alike.
    message = (r"^GAN\.fit takes float images in \[-1, 1\]; received values from -0\.\d+ to "
               r"255\. Scale 0-255 images with images / 127\.5 - 1")
    for bad_at in (0, 2):
        for data in (_generator(bad_at), _Batches(bad_at), _Batches(bad_at, workers=2)):
            gan = tiny_gan(jit_compile=True)
            with pytest.raises(DataError, match=message) as refused:
                gan.fit(data, epochs=1, steps_per_epoch=4, verbose=0)
            assert refused.value.__context__ is None
            steps = _steps_taken(gan)
            if bad_at == 0:  # Keras reads it itself, before the first step
                assert steps == [0, 0], (data, steps)
            else:  # never trained on (Keras shuffles a PyDataset's order: 0-3 steps before it)
                assert steps[0] < 4, (data, steps)
    labelled = (batch for batch in [(tiny_images(4), np.array([0, 1, 2, 10], np.int32))])
    with pytest.raises(DataError, match=r"^ConditionalGAN\.fit takes labels in \[0, 10\); "
                                        r"received labels from 0 to 10\. Shift 1-based"):
        tiny_cgan(jit_compile=True).fit(labelled, steps_per_epoch=1, verbose=0)


def test_checked_py_datasets_and_generators_train_as_they_would_unchecked():
    checked, unchecked = tiny_gan(), tiny_gan()
    checked_batches, unchecked_batches = _Batches(None), _Batches(None)
    checked.fit(checked_batches, epochs=2, verbose=0)
    keras.Model.fit(unchecked, unchecked_batches, epochs=2, verbose=0)
    assert int(checked.g_optimizer.iterations) == 8
    # Keras' own calls reach the wrapped dataset (its shuffling, say), as many as unwrapped.
    assert checked_batches.epochs_ended == unchecked_batches.epochs_ended > 0
    checked.fit(_generator(None), steps_per_epoch=4, verbose=0)
    keras.Model.fit(unchecked, _generator(None), steps_per_epoch=4, shuffle=False,
                    verbose=0)
    for left, right in zip(weights_of(checked), weights_of(unchecked), strict=True):
        np.testing.assert_array_equal(left, right)


def test_train_on_batch_trains_one_step_as_fit_does_after_the_same_checks():
    # It failed on every keras_gen model: the step waited on its batch's absent y (None).
    images, labels = tiny_images(4), np.array([0, 1, 2, 3], np.int32)
    for make, data in [(tiny_gan, (images,)), (tiny_cgan, (images, labels)),
                       (tiny_vae, (images,)), (tiny_vaegan, (images,))]:
        by_batch, by_fit = make(), make()
        logs = by_batch.train_on_batch(*data, return_dict=True)
        keras.Model.fit(by_fit, *data, batch_size=4, shuffle=False, verbose=0)
        assert set(_steps_taken(by_batch)) == set(_steps_taken(by_fit)) == {1}
        for left, right in zip(weights_of(by_batch), weights_of(by_fit), strict=True):
            np.testing.assert_array_equal(left, right)
        assert set(logs) >= {"loss"} and by_batch.test_on_batch(*data, return_dict=True)
    bad_images, bad_labels = np.full_like(images, 255.0), np.array([0, 1, 2, -1], np.int32)
    with pytest.raises(DataError, match=r"^GAN\.train_on_batch takes float images in \[-1, 1\]"):
        tiny_gan().train_on_batch(bad_images)
    with pytest.raises(DataError, match=r"^ConditionalGAN\.test_on_batch takes labels in "
                                        r"\[0, 10\); received labels from -1 to 2\."):
        tiny_cgan().test_on_batch(images, bad_labels)


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
        assert set(_steps_taken(model)) == {0}
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


def test_labels_outside_the_classes_are_refused_by_the_step_itself_without_xla():
    # What bypasses fit's checks (a custom loop calling train_step) meets the step's own check,
    # which XLA would drop.
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"ConditionalGAN takes labels in \[0, 10\); a batch has labels "
                             r"from -1 to 2\."):
        tiny_cgan(jit_compile=False).train_step(
            (tf.constant(tiny_images(4)), tf.constant([0, 1, 2, -1], tf.int32)))


def test_one_hot_labels_are_refused_with_the_fix():
    images, labels = tiny_images(8), np.eye(10, dtype=np.float32)[np.arange(8)]
    for model in _models(num_classes=10):
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^{name}\.fit takes labels as class ids shaped "
                                            r"\(N,\) or \(N, 1\); received shape \(8, 10\)\. "
                                            r"For one-hot labels pass labels\.argmax\(axis=-1\)"):
            model.fit(images, labels, batch_size=4, verbose=0)
        with pytest.raises(DataError, match=rf"^{name} takes labels as class ids shaped "
                                            r"\(batch,\) or \(batch, 1\); the dataset yields "
                                            r"shape \(None, 10\)\. For one-hot"):
            model.fit(_batches(images, labels), verbose=0)
        # Not a one-hot shape: no one-hot fix.
        with pytest.raises(DataError, match=r"received shape \(8, 2, 1\)\.$"):
            model.fit(images, np.zeros((8, 2, 1), np.int32), batch_size=4, verbose=0)


def test_fractional_or_string_labels_are_refused_before_a_step():
    # The step casts labels to int32, so 0.5 trained as class 0 without a word; string labels
    # failed inside numpy's min() with "'<' not supported".
    images = tiny_images(8)
    fractional = np.array([0.5, 1, 2, 3, 4, 5, 6, 7], np.float32)
    for model in _models(num_classes=10):
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^{name}\.fit takes labels as whole-number class "
                                            r"ids; received float32 labels such as \[0\.5, 1\.0, "
                                            r"2\.0\]\. Map them"):
            model.fit(images, fractional, batch_size=4, verbose=0)
        with pytest.raises(DataError, match=r"received <U3 labels such as \['cat', 'dog', 'cat'\]"):
            model.fit(images, np.array(["cat", "dog"] * 4), batch_size=4, verbose=0)
        with pytest.raises(DataError, match=rf"^{name}\.fit takes labels as whole-number class "
                                            r"ids; a batch has fractional ones\.$"):
            model.fit(_batches(images, fractional), verbose=0)
        assert set(_steps_taken(model)) == {0}
        model.fit(images, np.arange(8, dtype=np.float32), batch_size=4, verbose=0)  # 0.0, 1.0, ...
        assert set(_steps_taken(model)) == {2}


@pytest.mark.parametrize("head", ["projection", "auxiliary", "vae"])
def test_labels_shaped_n_by_one_train_as_class_ids(head):
    # keras.datasets.cifar10 gives labels shaped (N, 1), which Keras' sparse losses take; they
    # were refused, and the refusal's advice, labels.argmax(axis=-1), made every label 0.
    def model():
        return tiny_vae(num_classes=10) if head == "vae" else tiny_cgan(head, jit_compile=False)

    images, labels = tiny_images(8), np.array([3, 1, 4, 1, 5, 9, 2, 6], np.int32)
    flat, column, column_dataset = model(), model(), model()
    flat.fit(images, labels, batch_size=4, shuffle=False, verbose=0)
    column.fit(images, labels[:, None], batch_size=4, shuffle=False, verbose=0)
    column_dataset.fit(_batches(images, labels[:, None]), verbose=0)
    for other in (column, column_dataset):  # equal up to float rounding (~1e-10 seen)
        for left, right in zip(weights_of(flat), weights_of(other), strict=True):
            np.testing.assert_allclose(left, right, atol=1e-6)
    # ... and the range check still reads them.
    with pytest.raises(DataError, match=r"takes labels in \[0, 10\); received labels from 2 to "
                                        r"10\."):
        model().fit(images, labels[:, None] + 1, batch_size=4, verbose=0)
    with pytest.raises(DataError, match=r"a batch has labels from 3 to 10\."):  # the second
        model().fit(_batches(images, labels[:, None] + 1), verbose=0)


def test_the_dataset_check_leaves_a_seeded_run_unchanged():
    # Reading a first batch ahead would start another iteration and reshuffle a seeded dataset
    # differently; the check runs as the batches are read, so the run is the unchecked one.
    def shuffled():
        return tf.data.Dataset.from_tensor_slices(tiny_images(16)).shuffle(16, seed=3).batch(4)

    checked, unchecked = tiny_gan(), tiny_gan()
    checked.fit(shuffled(), epochs=2, verbose=0)
    keras.Model.fit(unchecked, shuffled(), epochs=2, shuffle=False, verbose=0)
    assert int(checked.g_optimizer.iterations) == 8
    for left, right in zip(weights_of(checked), weights_of(unchecked), strict=True):
        np.testing.assert_array_equal(left, right)


def test_validation_data_and_evaluate_are_checked_too():
    # Both reported metrics on 0-255 images (val_d_real ~70) and, under XLA, on 1-based labels;
    # without XLA a bad label in evaluate was a raw InvalidArgumentError ("Graph execution error").
    unscaled = np.full((8, 28, 28, 1), 200.0, np.float32)
    images, labels = tiny_images(8), np.array([10, 1, 2, 3, 4, 5, 6, 7], np.int32)
    for model in _models():
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^validation_data of {name}\.fit takes float images "
                                            r"in \[-1, 1\]; received values from 200 to 200\."):
            model.fit(images, batch_size=4, validation_data=(unscaled,), verbose=0)
        with pytest.raises(DataError, match=rf"^{name}\.evaluate takes float images in \[-1, 1\]"
                                            r"; received values from 200 to 200\."):
            model.evaluate(unscaled, batch_size=4, verbose=0)
        assert set(_steps_taken(model)) == {0}
        # A validation dataset is checked as it is read: at the end of the first epoch.
        with pytest.raises(DataError, match=rf"^validation_data of {name}\.fit takes float images "
                                            r"in \[-1, 1\]; a batch has values from 200 to 200"):
            model.fit(images, batch_size=4, validation_data=_batches(unscaled), verbose=0)
    for model in (tiny_cgan(jit_compile=True), *_models(num_classes=10)):
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^{name}\.evaluate takes labels in \[0, 10\); a "
                                            r"batch has labels from 1 to 10\."):
            model.evaluate(_batches(images, labels), verbose=0)
        # Positionally too: validation_data is fit's eighth argument.
        with pytest.raises(DataError, match=rf"^validation_data of {name}\.fit takes labels in "
                                            r"\[0, 10\); received labels from 1 to 10\."):
            model.fit(images, labels % 10, 4, 1, 0, None, 0.0, (images, labels))
        assert set(_steps_taken(model)) == {0}


def test_checked_validation_reports_what_keras_reports():
    # The checks change no number: validation metrics equal a plain keras.Model.fit's.
    images = tiny_images(16)
    checked, unchecked = tiny_gan(), tiny_gan()
    logs = checked.fit(images[:8], batch_size=4, validation_data=(images[8:],), verbose=0)
    expected = keras.Model.fit(unchecked, images[:8], batch_size=4,
                               validation_data=(images[8:],), verbose=0)
    assert logs.history == expected.history and "val_d_real" in logs.history
    assert checked.evaluate(images[8:], batch_size=4, verbose=0) == keras.Model.evaluate(
        unchecked, images[8:], batch_size=4, verbose=0)


def test_a_refused_dataset_leaves_no_iterator_for_a_later_collection():
    # The failed fit's tf.data iterator was left in reference cycles, and the error kept them as
    # its context; deleting it in a later automatic collection stalled the suite for 5-95 s.
    from tensorflow.python.data.ops.iterator_ops import OwnedIterator

    def iterators_alive():
        return sum(isinstance(thing, OwnedIterator) for thing in gc.get_objects())

    images = tiny_images(8)
    images[0, 0, 0, 0] = 255.0
    gan = tiny_gan(jit_compile=False)
    gc.collect()
    before = iterators_alive()
    gc.disable()  # only the collection fit makes on its own may free the iterator
    try:
        with pytest.raises(DataError) as refused:
            gan.fit(_batches(images), verbose=0)
        assert iterators_alive() == before
    finally:
        gc.enable()
    assert refused.value.__context__ is None


def test_example_weights_are_refused_rather_than_ignored():
    # The losses average over each batch: a GAN or VAE fitted with every weight 0 still trained.
    images, labels, zeros = tiny_images(8), np.arange(8, dtype=np.int32), np.zeros(8, np.float32)
    weighted = _batches(images, labels, zeros)
    for model in (*_models(), *_models(num_classes=10)):
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
        assert set(_steps_taken(model)) == {0}
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
    for model in (*_models(), *_models(num_classes=10)):
        name = type(model).__name__
        fix = fixes[getattr(model, "num_classes", None) is not None]
        for data, received, then in cases:
            with pytest.raises(DataError, match=rf"^{name}\.fit takes images as one array or "
                                                rf"tensor shaped \(N, H, W, C\); received "
                                                rf"{received}\. {fix}{then}"):
                model.fit(data(), verbose=0)
        assert set(_steps_taken(model)) == {0}


def test_what_keras_reads_itself_still_passes_the_structure_check(mirrored_strategy):
    # The check refuses dicts, lists and tuples only: a tf.distribute dataset, which Keras takes
    # as it is, was refused as "received a DistributedDataset as x" by its first version.
    with mirrored_strategy.scope():
        gan = tiny_gan()
    distributed = mirrored_strategy.experimental_distribute_dataset(_batches(tiny_images(8)))
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

    for model in (*_models(), tiny_gan(jit_compile=True)):
        history = model.fit(unsized(tiny_images(8)), epochs=1, verbose=0).history
        assert all(np.isfinite(values[-1]) for values in history.values())
        assert all(steps >= 2 for steps in _steps_taken(model))
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

    for model in _models(num_classes=10):
        model.fit(labelled((None,)), epochs=1, verbose=0)
        assert all(steps == 2 for steps in _steps_taken(model))
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

    for model in _models():
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
        assert all(steps == 2 for steps in _steps_taken(model))
