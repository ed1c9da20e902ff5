"""`UnitRangeWatch`: warns when the images a dataset gives `fit` all lie in [0, 1]."""

import os
import sys
import warnings

import keras
import tensorflow as tf

from keras_gen.utils.images import UNIT_RANGE_BRIGHT, unit_range_message

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class UnitRangeWatch(keras.callbacks.Callback):
    """Counts a dataset's batches with a dark (< 0) and with a bright (> 0.5) value as they are
    read, and warns after the first epoch (or `evaluate`) if some were bright and none dark.

    That is a dataset scaled with `x / 255` (keras.io's DCGAN example maps its images so), which
    passes the [-1, 1] range check and trains to grey-backed samples. The arrays' check
    (`utils.images.warn_if_unit_range`) looks at all the images at once; a dataset cannot be read
    ahead without costing a shuffle buffer and changing a seeded run's order, so this counts
    inside the pipeline (`record`, part of the check `fit` maps over the dataset) and warns once
    the batches have been read. The warning names the user's line that called `fit`.

    Args:
        consumer: str. Who reads the images, at the head of the warning (`"GAN.fit"`).
        consequence: str. What happens to images left as they are.

    Example:

    ```python
    watch = UnitRangeWatch("GAN.fit", "the model learns grey-backed images")

    def counted(images):
        with tf.control_dependencies(watch.record(tf.reduce_min(images), tf.reduce_max(images))):
            return tf.identity(images)

    gan.fit(dataset.map(counted), callbacks=[watch])
    ```
    """

    def __init__(self, consumer, consequence):
        super().__init__()
        self.consumer, self.consequence = consumer, consequence
        with tf.init_scope():  # eager, also when fit is called inside a tf.function's trace
            self._dark = tf.Variable(0, dtype=tf.int64, trainable=False)
            self._bright = tf.Variable(0, dtype=tf.int64, trainable=False)
        self._where = _users_line()
        self._warned = False

    def record(self, low, high):
        """The ops that count one batch from its smallest and largest value.

        Additions, so batches checked in parallel (`map(num_parallel_calls=...)`) all count.
        """
        return [self._dark.assign_add(tf.cast(low < 0, tf.int64)),
                self._bright.assign_add(tf.cast(high > UNIT_RANGE_BRIGHT, tf.int64))]

    def on_epoch_end(self, epoch, logs=None):
        self._warn_if_unit_range()

    def on_test_end(self, logs=None):
        self._warn_if_unit_range()

    def _warn_if_unit_range(self):
        if self._warned or int(self._dark.numpy()) or not int(self._bright.numpy()):
            return
        self._warned = True
        message = unit_range_message(self.consumer, self.consequence,
                                     "every image value the dataset gave so far")
        filename, lineno, module = self._where
        warnings.warn_explicit(message, UserWarning, filename, lineno, module)


def _users_line():
    """`(filename, line, module)` of the innermost caller outside keras_gen: the user's `fit`."""
    frame = sys._getframe(1)
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _PACKAGE_DIR + os.sep):
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno, frame.f_globals.get("__name__", "")
