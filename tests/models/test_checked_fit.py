"""`fit` checks the values it trains on (images in [-1, 1], labels in [0, K)), under XLA too."""

import gc
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.errors import DataError
from tests.helpers import tiny_cgan, tiny_gan, tiny_images, weights_of
from tests.models.fit_data import (Batches, batch_generator, batches, models_of_every_family,
                                   steps_taken)
from tests.models.test_vae import tiny_vae, tiny_vaegan


def test_images_outside_minus_one_to_one_are_refused_before_a_step():
    # 0-255 float images trained a GAN without an error (its d_real at ~49).
    images = tiny_images(8)
    images[0, 0, 0, 0], images[1, 5, 5, 0] = 255.0, -3.0
    with_nan = tiny_images(8)
    with_nan[2, 1, 2, 0] = np.nan
    for model in models_of_every_family():
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^{name}\.fit takes float images in \[-1, 1\]; a "
                                            r"batch has values from -3 to 255\. Scale 0-255 "
                                            r"images with images / 127\.5 - 1"):
            model.fit(batches(images), verbose=0)
        with pytest.raises(DataError, match=rf"^{name}\.fit takes float images in \[-1, 1\]; "
                                            r"received values from -3 to 255\. Scale"):
            model.fit(images, batch_size=4, verbose=0)
        with pytest.raises(DataError, match=r"a batch has NaN or infinite values\.$"):
            model.fit(batches(with_nan), verbose=0)
        with pytest.raises(DataError, match=r"received NaN or infinite values\.$"):
            model.fit(with_nan, batch_size=4, verbose=0)
        # Not even the parts of the step that read no batch ran (a GAN's generator update).
        assert set(steps_taken(model)) == {0}


def test_arrays_scaled_to_zero_one_are_warned_about_and_still_train():
    # x / 255, Keras' usual scaling, passed the range check without a word.
    for model in models_of_every_family():
        with pytest.warns(UserWarning, match=rf"^{type(model).__name__}\.fit: every image value "
                                             r"is in \[0, 1\].*images \* 2 - 1") as caught:
            model.fit(tiny_images(8) * 0.5 + 0.5, batch_size=4, verbose=0)
        assert caught[0].filename == __file__  # points at the user's fit call
        assert set(steps_taken(model)) == {2}
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*every image value")
        for images in (tiny_images(8), np.zeros((8, 28, 28, 1), np.float32)):
            tiny_gan().fit(images, batch_size=4, verbose=0)


def test_a_dataset_scaled_to_zero_one_is_warned_about_after_its_first_epoch():
    # keras.io's DCGAN example maps its dataset with x / 255; a dataset's batches were not looked
    # at, so that trained to grey-backed samples without a word. They are counted as read (not
    # read ahead, which would reshuffle a seeded run) and judged at the first epoch's end.
    unit = batches(tiny_images(16) * 0.5 + 0.5)
    for model in models_of_every_family():
        name = type(model).__name__
        with pytest.warns(UserWarning, match=rf"^{name}\.fit: every image value the dataset gave "
                                             r"so far is in \[0, 1\].*images \* 2 - 1") as caught:
            model.fit(unit, epochs=2, verbose=0)
        assert [w.filename for w in caught if "every image value" in str(w.message)] == [
            __file__]  # once, at the user's fit call
        assert set(steps_taken(model)) == {8}  # it still trains
        with pytest.warns(UserWarning, match=rf"^{name}\.evaluate: every image value the"):
            model.evaluate(unit, verbose=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*every image value")
        # One dark value in the whole epoch is enough: a bright batch of real images is fine.
        mixed = np.concatenate([tiny_images(12) * 0.5 + 0.5, tiny_images(4)])
        tiny_gan().fit(batches(mixed), verbose=0)
        tiny_gan().fit(batches(np.zeros((8, 28, 28, 1), np.float32)), verbose=0)


def test_fit_on_a_dataset_does_not_warn_that_shuffle_was_passed():
    # Keras 3.15 warns "`shuffle=True` was passed, but will be ignored" for every dataset, as
    # True is fit's default: a plain gan.fit(dataset) showed it, and the README and notebooks
    # passed shuffle=False to avoid it.
    def images():
        yield (tiny_images(4),)  # Keras takes tuples from a generator

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="`shuffle=True` was passed")
        tiny_gan().fit(batches(tiny_images(8)), verbose=0)
        tiny_gan().fit(images(), steps_per_epoch=1, verbose=0)
    with pytest.warns(UserWarning, match="`shuffle=True` was passed"):  # asked for: Keras says
        tiny_gan().fit(batches(tiny_images(8)), shuffle=True, verbose=0)


def test_labels_outside_the_classes_are_refused_before_a_step():
    images, labels = tiny_images(8), np.array([10, 1, 2, 3, 4, 5, 6, 7], np.int32)
    for model in models_of_every_family(num_classes=10):
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^{name}\.fit takes labels in \[0, 10\); a batch "
                                            r"has labels from 1 to 10\. Shift 1-based labels"):
            model.fit(batches(images, labels), verbose=0)
        with pytest.raises(DataError, match=rf"^{name}\.fit takes labels in \[0, 10\); received "
                                            r"labels from 1 to 10\. Shift"):
            model.fit(images, labels, batch_size=4, verbose=0)
        assert set(steps_taken(model)) == {0}


def test_datasets_are_checked_under_xla():
    # XLA (Keras' default on a GPU) drops assertions inside the step: there, 0-255 images and
    # 1-based labels trained without an error. The dataset check runs ahead of the step.
    images, labels = tiny_images(8), np.array([10, 1, 2, 3, 4, 5, 6, 7], np.int32)
    with pytest.raises(DataError, match=r"^ConditionalGAN\.fit takes labels in \[0, 10\); a "
                                        r"batch has labels from 1 to 10\."):
        tiny_cgan(jit_compile=True).fit(batches(images, labels), verbose=0)
    unscaled = np.full((8, 28, 28, 1), 128.0, np.float32)
    unscaled[0, 0, 0, 0], unscaled[1, 0, 0, 0] = 0.0, 255.0
    gan = tiny_gan(jit_compile=True)
    with pytest.raises(DataError, match=r"^GAN\.fit takes float images in \[-1, 1\]; a batch "
                                        r"has values from 0 to 255\. Scale"):
        gan.fit(batches(unscaled), verbose=0)
    assert steps_taken(gan) == [0, 0]


def test_generators_and_py_datasets_are_checked_batch_by_batch_under_xla_too():
    # They cannot be read ahead; each batch is checked in Python as Keras reads it. Keras reads
    # the first ones itself (the data's shapes), later ones through tf.data: both raise alike.
    message = (r"^GAN\.fit takes float images in \[-1, 1\]; received values from -0\.\d+ to "
               r"255\. Scale 0-255 images with images / 127\.5 - 1")
    for bad_at in (0, 2):
        for data in (batch_generator(bad_at), Batches(bad_at), Batches(bad_at, workers=2)):
            gan = tiny_gan(jit_compile=True)
            with pytest.raises(DataError, match=message) as refused:
                gan.fit(data, epochs=1, steps_per_epoch=4, verbose=0)
            assert refused.value.__context__ is None
            steps = steps_taken(gan)
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
    checked_batches, unchecked_batches = Batches(None), Batches(None)
    checked.fit(checked_batches, epochs=2, verbose=0)
    keras.Model.fit(unchecked, unchecked_batches, epochs=2, verbose=0)
    assert int(checked.g_optimizer.iterations) == 8
    # Keras' own calls reach the wrapped dataset (its shuffling, say), as many as unwrapped.
    assert checked_batches.epochs_ended == unchecked_batches.epochs_ended > 0
    checked.fit(batch_generator(None), steps_per_epoch=4, verbose=0)
    keras.Model.fit(unchecked, batch_generator(None), steps_per_epoch=4, shuffle=False,
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
        assert set(steps_taken(by_batch)) == set(steps_taken(by_fit)) == {1}
        for left, right in zip(weights_of(by_batch), weights_of(by_fit), strict=True):
            np.testing.assert_array_equal(left, right)
        assert set(logs) >= {"loss"} and by_batch.test_on_batch(*data, return_dict=True)
    bad_images, bad_labels = np.full_like(images, 255.0), np.array([0, 1, 2, -1], np.int32)
    with pytest.raises(DataError, match=r"^GAN\.train_on_batch takes float images in \[-1, 1\]"):
        tiny_gan().train_on_batch(bad_images)
    with pytest.raises(DataError, match=r"^ConditionalGAN\.test_on_batch takes labels in "
                                        r"\[0, 10\); received labels from -1 to 2\."):
        tiny_cgan().test_on_batch(images, bad_labels)


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
    for model in models_of_every_family(num_classes=10):
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^{name}\.fit takes labels as class ids shaped "
                                            r"\(N,\) or \(N, 1\); received shape \(8, 10\)\. "
                                            r"For one-hot labels pass labels\.argmax\(axis=-1\)"):
            model.fit(images, labels, batch_size=4, verbose=0)
        with pytest.raises(DataError, match=rf"^{name} takes labels as class ids shaped "
                                            r"\(batch,\) or \(batch, 1\); the dataset yields "
                                            r"shape \(None, 10\)\. For one-hot"):
            model.fit(batches(images, labels), verbose=0)
        # Not a one-hot shape: no one-hot fix.
        with pytest.raises(DataError, match=r"received shape \(8, 2, 1\)\.$"):
            model.fit(images, np.zeros((8, 2, 1), np.int32), batch_size=4, verbose=0)


def test_fractional_or_string_labels_are_refused_before_a_step():
    # The step casts labels to int32, so 0.5 trained as class 0 without a word; string labels
    # failed inside numpy's min() with "'<' not supported".
    images = tiny_images(8)
    fractional = np.array([0.5, 1, 2, 3, 4, 5, 6, 7], np.float32)
    for model in models_of_every_family(num_classes=10):
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^{name}\.fit takes labels as whole-number class "
                                            r"ids; received float32 labels such as \[0\.5, 1\.0, "
                                            r"2\.0\]\. Map them"):
            model.fit(images, fractional, batch_size=4, verbose=0)
        with pytest.raises(DataError, match=r"received <U3 labels such as \['cat', 'dog', 'cat'\]"):
            model.fit(images, np.array(["cat", "dog"] * 4), batch_size=4, verbose=0)
        with pytest.raises(DataError, match=rf"^{name}\.fit takes labels as whole-number class "
                                            r"ids; a batch has fractional ones\.$"):
            model.fit(batches(images, fractional), verbose=0)
        assert set(steps_taken(model)) == {0}
        model.fit(images, np.arange(8, dtype=np.float32), batch_size=4, verbose=0)  # 0.0, 1.0, ...
        assert set(steps_taken(model)) == {2}


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
    column_dataset.fit(batches(images, labels[:, None]), verbose=0)
    for other in (column, column_dataset):  # equal up to float rounding (~1e-10 seen)
        for left, right in zip(weights_of(flat), weights_of(other), strict=True):
            np.testing.assert_allclose(left, right, atol=1e-6)
    # ... and the range check still reads them.
    with pytest.raises(DataError, match=r"takes labels in \[0, 10\); received labels from 2 to "
                                        r"10\."):
        model().fit(images, labels[:, None] + 1, batch_size=4, verbose=0)
    with pytest.raises(DataError, match=r"a batch has labels from 3 to 10\."):  # the second
        model().fit(batches(images, labels[:, None] + 1), verbose=0)


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
    for model in models_of_every_family():
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^validation_data of {name}\.fit takes float images "
                                            r"in \[-1, 1\]; received values from 200 to 200\."):
            model.fit(images, batch_size=4, validation_data=(unscaled,), verbose=0)
        with pytest.raises(DataError, match=rf"^{name}\.evaluate takes float images in \[-1, 1\]"
                                            r"; received values from 200 to 200\."):
            model.evaluate(unscaled, batch_size=4, verbose=0)
        assert set(steps_taken(model)) == {0}
        # A validation dataset is checked as it is read: at the end of the first epoch.
        with pytest.raises(DataError, match=rf"^validation_data of {name}\.fit takes float images "
                                            r"in \[-1, 1\]; a batch has values from 200 to 200"):
            model.fit(images, batch_size=4, validation_data=batches(unscaled), verbose=0)
    for model in (tiny_cgan(jit_compile=True), *models_of_every_family(num_classes=10)):
        name = type(model).__name__
        with pytest.raises(DataError, match=rf"^{name}\.evaluate takes labels in \[0, 10\); a "
                                            r"batch has labels from 1 to 10\."):
            model.evaluate(batches(images, labels), verbose=0)
        # Positionally too: validation_data is fit's eighth argument.
        with pytest.raises(DataError, match=rf"^validation_data of {name}\.fit takes labels in "
                                            r"\[0, 10\); received labels from 1 to 10\."):
            model.fit(images, labels % 10, 4, 1, 0, None, 0.0, (images, labels))
        assert set(steps_taken(model)) == {0}


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
            gan.fit(batches(images), verbose=0)
        assert iterators_alive() == before
    finally:
        gc.enable()
    assert refused.value.__context__ is None
