"""`FiniteModelCheckpoint`: Keras' `ModelCheckpoint` that never writes a diverged model."""

import math
import os

import keras

from keras_gen.utils.arguments import check_positive_int
from keras_gen.utils.files import atomic_path


class FiniteModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """`keras.callbacks.ModelCheckpoint` with atomic writes that skips non-finite logs.

    When a run diverges, `TerminateOnNaN` stops it at the end of the batch,
    but Keras still calls `on_epoch_end`, and a plain `ModelCheckpoint` would
    then overwrite the last good checkpoint with NaN weights. This subclass
    skips the save when any logged value is NaN or infinite, and writes each
    checkpoint to a temporary file renamed into place, so a crash mid-write
    never leaves a truncated checkpoint. All `ModelCheckpoint` arguments apply.

    Args:
        filepath: str. As for `ModelCheckpoint` (`.keras` or `.weights.h5`,
            may contain `{epoch:04d}` etc.).
        every: int >= 1. With `save_freq="epoch"` (the default), save at the end
            of every `every`-th epoch only (Keras' `save_freq=N` counts batches).
        **kwargs: passed to `keras.callbacks.ModelCheckpoint`.

    Example:

    ```python
    callbacks = [keras.callbacks.TerminateOnNaN(),
                 FiniteModelCheckpoint("runs/checkpoints/epoch_{epoch:04d}.keras")]
    ```
    """

    def __init__(self, filepath, every=1, **kwargs):
        super().__init__(filepath, **kwargs)
        self.every = check_positive_int("every", every)
        if self.every > 1 and self.save_freq != "epoch":
            raise ValueError(f"every={every} counts epochs and save_freq={self.save_freq!r} "
                             "batches: pass one of them.")
        self.skipped_epochs = []

    def _save_model(self, epoch, batch, logs):
        # Overrides the (private) hook both on_epoch_end and on_train_batch_end
        # call in Keras 3, the one place that sees every save.
        if batch is None and (epoch + 1) % self.every:
            return
        bad = _non_finite_values(logs or {})
        if bad:
            self.skipped_epochs.append(epoch + 1)
            print(
                f"\nEpoch {epoch + 1}: not saving a checkpoint: non-finite values {bad}. "
                "The last good checkpoint is kept."
            )
            return
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        with atomic_path(filepath) as temporary:
            if self.save_weights_only:
                self.model.save_weights(temporary, overwrite=True)
            else:
                self.model.save(temporary, overwrite=True)
        if self.verbose > 0:
            print(
                f"\nEpoch {epoch + 1}: saved {os.path.basename(filepath)}")


def _non_finite_values(logs):
    bad = {}
    for key, value in logs.items():
        try:
            number = float(value)  # Keras logs hold floats, numpy scalars or 0-d arrays.
        except (TypeError, ValueError):
            continue
        if not math.isfinite(number):
            bad[key] = number
    return bad
