"""`EpochBackupAndRestore`: Keras' `BackupAndRestore`, backing up after every N-th epoch."""

import json
import os

import keras

from keras_gen.utils.arguments import check_positive_int


class EpochBackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` that backs up at the end of every `every`-th epoch.

    Keras' own way to back up less often, `save_freq=N` batches, saves at a batch's end and
    records that batch's epoch as unfinished, as Keras resumes only at an epoch's start. A
    backup every 2 epochs, taken at the last batch of epoch 2, therefore resumed by training
    epoch 2 again: more steps than asked for, and a result unlike an uninterrupted run's. Here
    the backup is taken where `save_freq="epoch"` takes it, after the epoch has ended, so a
    resume starts at the next one. Epochs count from the first of the run (a resumed or
    continued run backs up at the same epochs as one that never stopped).

    Args:
        backup_dir: str. As for `BackupAndRestore`.
        every: int >= 1. Epochs between backups.
        **kwargs: passed to `keras.callbacks.BackupAndRestore` (`save_freq` is `"epoch"`).

    Example:

    ```python
    gan.fit(dataset, epochs=60, callbacks=[EpochBackupAndRestore("runs/dcgan/backup", every=5)])
    ```
    """

    def __init__(self, backup_dir, every=1, **kwargs):
        if "save_freq" in kwargs:
            raise ValueError("EpochBackupAndRestore backs up at the end of every `every`-th "
                             "epoch; pass every=N instead of save_freq.")
        if isinstance(backup_dir, (str, os.PathLike)) and os.path.isfile(backup_dir):
            # Else os.makedirs' "[Errno 17] File exists" as training began.
            raise ValueError(f"backup_dir is the folder the backup is kept in; {backup_dir!r} "
                             "is a file. Give a folder, e.g. 'runs/dcgan/backup'.")
        super().__init__(backup_dir, save_freq="epoch", **kwargs)
        self.every = check_positive_int("every", every)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            super().on_epoch_end(epoch, logs)

    @staticmethod
    def epochs_done(backup_dir):
        """The epochs a backup in `backup_dir` holds (where a resume starts), or None.

        None when there is no backup, or its record is unreadable (Keras then starts afresh).

        Example:

        ```python
        EpochBackupAndRestore.epochs_done("runs/dcgan/backup")  # 10
        ```
        """
        # Keras' BackupAndRestore records {"epoch": E, "batch": B}; taken after an epoch's end,
        # E counts the epochs done.
        try:
            with open(os.path.join(backup_dir, "training_metadata.json")) as handle:
                return int(json.load(handle)["epoch"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
