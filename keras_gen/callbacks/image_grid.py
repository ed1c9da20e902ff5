"""`ImageGrid`: a fixed-seed sample grid every N epochs, as PNG and TensorBoard image."""

import math
import os

import keras

from keras_gen.callbacks.generative_model import require_generate
from keras_gen.models.randomness import sampling_seed
from keras_gen.utils.arguments import check_positive_int, is_int
from keras_gen.utils.images import make_grid, save_image_grid


class ImageGrid(keras.callbacks.Callback):
    """Saves a grid of samples from the same noise every `every` epochs.

    The same seed each time shows how one set of noise vectors evolves over
    training. The newest grid stays on `self.last_grid` (uint8) for notebooks.

    Args:
        directory: optional str. Folder for `epoch_0001.png`, ... (PNG, atomic).
        num_images: optional int. Images in the grid. Default: 64, or for a conditional
            model the whole rows of classes nearest above 64 (70 for 10 classes).
        seed: int. Noise seed, fixed for the whole run.
        every: int. Epochs between grids (the last epoch always gets one).
        log_dir: optional str. TensorBoard log folder; grids are written as
            image summaries under the tag `samples`.
        columns: optional int. Images per row. Default: one column per class for a
            conditional model (its labels cycle 0, 1, ..., K-1), else a square grid.

    Example:

    ```python
    gan.fit(dataset, epochs=20, callbacks=[ImageGrid("runs/samples", every=5)])
    ```
    """

    def __init__(self, directory=None, num_images=None, seed=0, every=1, log_dir=None,
                 columns=None):
        super().__init__()
        # Checked here, not when the first grid is due: that is after `every` epochs of training.
        if not is_int(every) or every < 1:
            raise ValueError(f"every must be an int >= 1. Received: every={every!r}")
        if num_images is not None:
            check_positive_int("num_images", num_images)
        if columns is not None:
            check_positive_int("columns", columns)
        if directory is not None and (os.path.isfile(directory)
                                      or str(directory).lower().endswith(".png")):
            # A file there failed at the first grid, after `every` epochs; "grid.png" became a
            # folder of grids.
            raise ValueError(f"directory is the folder the grids are written into "
                             f"(epoch_0001.png, ...); {directory!r} is a file or a file name. "
                             "Give a folder, e.g. 'runs/samples'.")
        sampling_seed(seed)
        self.directory = directory
        self.num_images = num_images
        self.seed = seed
        self.every = every
        self.log_dir = log_dir
        self.columns = columns
        self.last_grid = None
        self.last_path = None
        self._writer = None
        self._epochs = None

    def on_train_begin(self, logs=None):
        require_generate(self.model, "ImageGrid")
        self._epochs = self.params.get("epochs") if self.params else None

    def on_epoch_end(self, epoch, logs=None):
        is_last = self._epochs is not None and epoch + 1 == self._epochs
        if (epoch + 1) % self.every and not is_last:
            return
        # A conditional model's labels cycle through its classes: with 8 columns and 10
        # classes each row started at another class; one column per class lines them up.
        columns = self.columns or getattr(self.model, "num_classes", None)
        count = self.num_images or (columns * math.ceil(64 / columns) if columns else 64)
        images = self.model.generate(count, seed=self.seed)
        self.last_grid = make_grid(images, columns=columns)
        if self.directory:
            self.last_path = os.path.join(self.directory, f"epoch_{epoch + 1:04d}.png")
            save_image_grid(images, self.last_path, columns=columns)
        if self.log_dir:
            self._write_summary(epoch)

    def _write_summary(self, epoch):
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "samples"))
        with self._writer.as_default():
            tf.summary.image("samples", self.last_grid[None], step=epoch + 1)
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
