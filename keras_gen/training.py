"""`train()`: one call that runs `fit` with the callbacks a real run needs and writes its outputs.

Output folder layout::

    out_dir/
      model.keras            final model (written only if training stayed finite)
      history.json           per-epoch metrics (survives resumes)
      checkpoints/last.keras last good checkpoint, refreshed every `checkpoint_every` epochs
      checkpoints/weights_layout.json  the trained model's weights, which a resume must match
      samples/epoch_0001.png fixed-seed sample grids
      backup/                BackupAndRestore state while a run is in progress
      backup/continuation.json  the epoch a continuation of a finished run started from
      logs/                  TensorBoard logs (with tensorboard=True)
      best.keras, best.json  the best-FID model and its scores, where `keras-gen finetune
                             --monitor-every` keeps them (QualityMonitor's best_path)

`continue_training` trains a finished run on for more epochs, numbering on from where it ended.
"""

import math
import os

import keras
import tensorflow as tf

from keras_gen.callbacks import (EpochBackupAndRestore, FiniteModelCheckpoint, ImageGrid,
                                 JsonHistory)
# refuse_finished_run and epochs_done are part of this module's API (`keras-gen train` and
# `--continue` call them before the data loads); run_folder holds them with the other checks.
from keras_gen.run_folder import (OUT_DIR_MEANING, backup_folder, check_epochs_to_resume,
                                  continuation_path, discard_previous_run, epochs_done,
                                  is_interrupted, last_checkpoint, layout_path,
                                  refuse_another_continuation, refuse_another_models_backup,
                                  refuse_finished_run, weights_layout)
from keras_gen.utils.arguments import check_bool, check_path, check_positive_int, is_int
from keras_gen.utils.files import write_json_atomic


class TrainingDiverged(RuntimeError):
    """Training produced a NaN or infinite loss and was stopped."""


def train(model, dataset, out_dir, epochs, grid_every=10, checkpoint_every=1, grid_seed=0,
          tensorboard=False, verbose="auto", callbacks=(), overwrite=False, steps_per_epoch=None,
          initial_epoch=0):
    """Trains `model` on `dataset`, resuming from `out_dir/backup` if a run was interrupted.

    Args:
        model: a compiled keras_gen model (e.g. from `recipes.build_gan`).
        dataset: `tf.data.Dataset` of `(images, labels)`.
        out_dir: str or `pathlib.Path`. Output folder (layout in the module docstring).
        epochs: int. Total epochs, counting those done before a resume.
        grid_every: int. Epochs between sample grids.
        checkpoint_every: int. Epochs between refreshes of `checkpoints/last.keras`
            and of the backup (saving takes time when epochs are short).
        grid_seed: int. Noise seed of the sample grids.
        tensorboard: bool. Also write TensorBoard logs (scalars and grids).
        verbose: `"auto"`, 0, 1 or 2. Keras progress output.
        callbacks: extra Keras callbacks: a list, or one callback.
        overwrite: bool. Train afresh over a finished or diverged run in `out_dir` (see
            `refuse_finished_run`), or over an interrupted one. The earlier run's backup,
            sample grids, `checkpoints/last.keras`, `best.keras` and TensorBoard events are
            discarded.
        steps_per_epoch: optional int. Batches per epoch; needed for a dataset that repeats
            without end (`dataset.repeat()`), whose one epoch would otherwise never finish.
        initial_epoch: int. Epochs `model` has already trained in `out_dir`, as Keras' `fit`
            takes them; `continue_training` passes them.

    Returns:
        `keras.callbacks.History` of this call.

    Raises:
        FileExistsError: `out_dir` holds a finished or diverged run and `overwrite` is False, or an
            interrupted run of another model (other networks or frozen layers), which cannot
            resume into this one, or an interrupted `continue_training`, which only it resumes.
        TrainingDiverged: a loss became NaN/inf; `model.keras` is not written
            and `checkpoints/last.keras` keeps the last finite state.

    Example:

    ```python
    gan = recipes.build_gan("dcgan")
    train(gan, keras_gen.data.load("digits"), "runs/dcgan", epochs=50)
    ```
    """
    if not isinstance(model, keras.Model):  # None: "no attribute 'trainable_weights'"
        raise TypeError("train takes a compiled keras_gen model (e.g. "
                        f"recipes.build_gan('dcgan')); received {model!r:.60}.")
    out_dir = check_path("out_dir", out_dir, OUT_DIR_MEANING)
    if not isinstance(dataset, tf.data.Dataset):
        # Arrays failed with "'numpy.ndarray' object has no attribute 'cardinality'".
        raise TypeError(
            "train takes a tf.data.Dataset of batches, as keras_gen.data.load returns; received "
            f"{type(dataset).__name__}. From uint8 arrays, keras_gen.data.from_arrays(images, "
            "labels, batch_size=64) makes one; from float images in [-1, 1], "
            "tf.data.Dataset.from_tensor_slices(images).batch(64).")
    check_positive_int("epochs", epochs)
    check_positive_int("checkpoint_every", checkpoint_every)
    check_positive_int("grid_every", grid_every)  # ImageGrid named it `every`
    check_bool("tensorboard", tensorboard)
    if steps_per_epoch is not None:
        check_positive_int("steps_per_epoch", steps_per_epoch)
    elif int(dataset.cardinality()) == -1:  # tf.data.INFINITE_CARDINALITY
        raise ValueError(
            "The dataset repeats without end, so its first epoch would never finish (no "
            "checkpoint, grid or model.keras). Pass steps_per_epoch=N, or drop the .repeat().")
    if not is_int(initial_epoch) or initial_epoch < 0:
        raise ValueError(f"initial_epoch must be an int >= 0. Received: "
                         f"initial_epoch={initial_epoch!r}")
    callbacks = _checked_callbacks(callbacks)
    if os.path.isfile(out_dir):  # else "Not a directory: '<out_dir>/checkpoints'", mid-setup
        raise NotADirectoryError(f"out_dir {out_dir!r} is a file; give the folder the run "
                                 "writes into, e.g. 'runs/dcgan'.")
    _check_epochs_to_come(out_dir, initial_epoch, epochs)
    refuse_finished_run(out_dir, overwrite)
    if overwrite:
        discard_previous_run(out_dir)
    refuse_another_continuation(out_dir, initial_epoch)
    done = check_epochs_to_resume(out_dir, epochs)
    refuse_another_models_backup(model, out_dir)
    if done is not None and verbose != 0:
        # Keras' progress bar only starts at a later epoch: the same command with another dataset
        # resumed the earlier run's state without a word.
        print(f"Resuming the interrupted run in {out_dir} from its backup after epoch {done} "
              f"(of {epochs}); --overwrite (overwrite=True) starts afresh instead.")
    write_json_atomic(layout_path(out_dir), weights_layout(model))
    all_callbacks = _callbacks(out_dir, checkpoint_every, grid_every, grid_seed, tensorboard,
                               callbacks)
    history = model.fit(dataset, epochs=epochs, callbacks=all_callbacks, verbose=verbose,
                        steps_per_epoch=steps_per_epoch, initial_epoch=initial_epoch)
    final_logs = {key: values[-1] for key, values in history.history.items() if values}
    bad = {key: value for key, value in final_logs.items() if not math.isfinite(float(value))}
    if bad:
        checkpoint = last_checkpoint(out_dir)
        # It named last.keras when the run diverged before the first checkpoint, too.
        # `refuse_finished_run` keeps a run started again in this folder from replacing it.
        kept = (f"{checkpoint} holds the last finite state (keras_gen.saving.load_model)"
                if os.path.isfile(checkpoint) else "No checkpoint was saved before it")
        raise TrainingDiverged(
            f"Training stopped: non-finite values {bad}. {kept}. Lower the learning rate "
            "(--learning-rate), or add a gradient penalty (e.g. --loss wasserstein or r1_gamma)."
        )
    model.save(os.path.join(out_dir, "model.keras"))  # atomic: keras_gen's `save`
    return history


def load_run(out_dir):
    """Loads the model of the finished run in `out_dir`, to train it on with `continue_training`.

    Args:
        out_dir: str or `pathlib.Path`. The output folder of a finished `train` call (or of an
            interrupted `continue_training`).

    Returns:
        The model of `out_dir/model.keras`, compiled with its optimizers' state.

    Raises:
        FileNotFoundError: `out_dir` holds no finished run.
        FileExistsError: `out_dir` holds an interrupted `train` call, which resumes instead.

    Example:

    ```python
    gan = load_run("runs/dcgan")
    continue_training(gan, keras_gen.data.load("digits"), "runs/dcgan", epochs=100)
    ```
    """
    from keras_gen.saving import load_model

    epochs_done(out_dir)  # refuses what cannot be continued, before the model loads
    return load_model(os.path.join(out_dir, "model.keras"))


def continue_training(model, dataset, out_dir, epochs, **train_args):
    """Trains the finished run in `out_dir` on, to `epochs` in all, as if it had not stopped.

    A finished run is refused by `train` (it would start over). This picks it up with its
    optimizers' state: `fit` numbers on from the run's last epoch, so `history.json`, the sample
    grids and the checkpoints go on where they ended, and `model.keras` is replaced at the end.
    Interrupted, it resumes from its backup when called again, as `train` does.

    Args:
        model: the run's model, from `load_run(out_dir)`.
        dataset: `tf.data.Dataset` of `(images, labels)`: the run's data, or more of it.
        out_dir: str or `pathlib.Path`. The run's output folder.
        epochs: int. Total epochs, counting those the run has done.
        **train_args: the rest of `train`'s arguments (`grid_every`, `callbacks`, ...).

    Returns:
        `keras.callbacks.History` of this call.

    Example:

    ```python
    gan = load_run("runs/dcgan")  # 60 epochs done
    continue_training(gan, keras_gen.data.load("digits"), "runs/dcgan", epochs=100)
    ```
    """
    initial_epoch = epochs_done(out_dir)
    _check_epochs_to_come(out_dir, initial_epoch, epochs)  # before the record below is written
    if not os.path.isfile(continuation_path(out_dir)):
        # What a backup must match, from the model as loaded: a model loaded from a .keras file
        # orders and names its weights unlike one just built, as the run's was.
        write_json_atomic(layout_path(out_dir), weights_layout(model))
        # The record makes the folder an interrupted run (backup/) until `fit` ends and Keras'
        # BackupAndRestore deletes it, so `train` resumes it rather than refusing a finished run.
        write_json_atomic(continuation_path(out_dir), {"initial_epoch": initial_epoch})
    return train(model, dataset, out_dir, epochs, initial_epoch=initial_epoch, **train_args)


def _check_epochs_to_come(out_dir, initial_epoch, epochs):
    # Keras' fit would return at once, and the run would look finished.
    if initial_epoch >= epochs:
        raise ValueError(f"epochs counts every epoch, those done before too: the run in "
                         f"{out_dir} has done {initial_epoch}, so pass more. Received: "
                         f"epochs={epochs}")


def _checked_callbacks(callbacks):
    """`callbacks` as a list of Keras callbacks: one callback or None is taken too."""
    # One callback or None failed with "Value after * must be an iterable", a non-callback
    # inside Keras' fit with "'str' object has no attribute 'set_model'".
    if callbacks is None or isinstance(callbacks, keras.callbacks.Callback):
        return [] if callbacks is None else [callbacks]
    callbacks = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
    others = [callback for callback in callbacks
              if not isinstance(callback, keras.callbacks.Callback)]
    if others:
        raise TypeError(f"callbacks must be Keras callbacks (keras.callbacks.Callback); "
                        f"received {others!r}.")
    return callbacks


def _callbacks(out_dir, checkpoint_every, grid_every, grid_seed, tensorboard, extra):
    """The callbacks of a `train()` run, writing the layout in the module docstring."""
    resuming = is_interrupted(out_dir)  # before BackupAndRestore creates its folder
    log_dir = os.path.join(out_dir, "logs") if tensorboard else None
    return [
        keras.callbacks.TerminateOnNaN(),
        # double_checkpoint keeps the previous backup in case a crash hits mid-write.
        EpochBackupAndRestore(backup_folder(out_dir), every=checkpoint_every,
                              double_checkpoint=True),
        FiniteModelCheckpoint(last_checkpoint(out_dir), every=checkpoint_every),
        ImageGrid(os.path.join(out_dir, "samples"), seed=grid_seed, every=grid_every,
                  log_dir=log_dir),
        # Ahead of JsonHistory, so what they add to the logs (QualityMonitor's fid) is kept.
        *extra,
        JsonHistory(os.path.join(out_dir, "history.json"), resume=resuming),
        *([keras.callbacks.TensorBoard(log_dir)] if log_dir else []),
    ]
