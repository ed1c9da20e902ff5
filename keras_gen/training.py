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

import glob
import json
import math
import os
import shutil

import keras
import tensorflow as tf

from keras_gen.callbacks import (EpochBackupAndRestore, FiniteModelCheckpoint, ImageGrid,
                                 JsonHistory)
from keras_gen.utils.arguments import check_bool, check_path, check_positive_int, is_int
from keras_gen.utils.files import write_json_atomic


# What reading a history.json that JsonHistory did not write (or that was damaged) can raise.
_HISTORY_ERRORS = (OSError, ValueError, KeyError, TypeError, IndexError)
# What `out_dir` is, in the refusal of None or "" (which trained into the current folder).
_OUT_DIR = "the folder the run writes into, e.g. 'runs/dcgan' ('.' for the current folder)"


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
    out_dir = check_path("out_dir", out_dir, _OUT_DIR)
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
        _discard_previous_run(out_dir)
    _refuse_another_continuation(out_dir, initial_epoch)
    done = _check_epochs_to_resume(out_dir, epochs)
    _refuse_another_models_backup(model, out_dir)
    if done is not None and verbose != 0:
        # Keras' progress bar only starts at a later epoch: the same command with another dataset
        # resumed the earlier run's state without a word.
        print(f"Resuming the interrupted run in {out_dir} from its backup after epoch {done} "
              f"(of {epochs}); --overwrite (overwrite=True) starts afresh instead.")
    write_json_atomic(_layout_path(out_dir), _weights_layout(model))
    all_callbacks = _callbacks(out_dir, checkpoint_every, grid_every, grid_seed, tensorboard,
                               callbacks)
    history = model.fit(dataset, epochs=epochs, callbacks=all_callbacks, verbose=verbose,
                        steps_per_epoch=steps_per_epoch, initial_epoch=initial_epoch)
    final_logs = {key: values[-1] for key, values in history.history.items() if values}
    bad = {key: value for key, value in final_logs.items() if not math.isfinite(float(value))}
    if bad:
        checkpoint = _last_checkpoint(out_dir)
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


def refuse_finished_run(out_dir, overwrite=False):
    """Raises `FileExistsError` if `out_dir` holds a finished run that training would replace.

    A finished run has `model.keras` and no `backup/` (removed when a run ends). Training into it
    again starts from scratch and replaced the model and its history without a word: a second
    `keras-gen train dcgan` lost the first one's result. A run that diverged is refused too: it
    has no `model.keras`, and Keras removed its backup, so its last finite state is only in
    `checkpoints/last.keras`, which the new run's first checkpoint replaced. So is a finished
    run whose last training (a continuation, an overwrite) diverged, as `continue_training`
    refuses it. An interrupted run (with `backup/`) resumes instead, and is not refused.

    Args:
        out_dir: str or `pathlib.Path`. The output folder of a `train` call.
        overwrite: bool. Allow it: train afresh and replace the finished run's files.

    Example:

    ```python
    refuse_finished_run("runs/dcgan")  # FileExistsError after a finished run there
    ```
    """
    # overwrite="False" is truthy: it would have started over, discarding a finished run.
    check_bool("overwrite", overwrite)
    if overwrite or os.path.isdir(os.path.join(out_dir, "backup")):
        return
    model_file = os.path.join(out_dir, "model.keras")
    if os.path.isfile(model_file):
        try:
            diverged = _read_history(out_dir)[1]
        except _HISTORY_ERRORS:
            diverged = None  # refused as finished below; --continue names the history's fault
        if diverged:  # --continue, which the message below suggests, is refused too
            raise _diverged_training(out_dir, diverged)
        raise FileExistsError(
            f"{out_dir} holds a finished run ({model_file}); training again would start from "
            "scratch and replace it and its history. Pass another output folder (--out), or "
            "overwrite=True (--overwrite) to start over; continue_training (--continue) trains "
            "it on instead.")
    if os.path.isfile(_last_checkpoint(out_dir)):
        raise FileExistsError(
            f"{out_dir} holds a run without a model.keras (one that diverged, or whose "
            f"model.keras was moved); {_last_checkpoint(out_dir)} holds its last finite state, "
            "which training again would replace. Pass another output folder (--out), or "
            "overwrite=True (--overwrite) to start over.")


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


def epochs_done(out_dir):
    """How many epochs the finished run in `out_dir` trained: where a continuation starts.

    Read from `history.json`, or, once a continuation has started, from its record in the
    backup: an interrupted continuation may have trained epochs its backup does not hold. A run
    whose last training diverged (its last epoch is not finite) is refused: its `model.keras` is
    older than that epoch.

    Args:
        out_dir: str or `pathlib.Path`. The output folder of a finished run.

    Returns:
        int.

    Example:

    ```python
    epochs_done("runs/dcgan")  # 60 after `keras-gen train dcgan`
    ```
    """
    out_dir = check_path("out_dir", out_dir, _OUT_DIR)  # load_run and continue_training too
    record = _continuation_path(out_dir)
    if os.path.isfile(record):
        with open(record) as handle:
            return int(json.load(handle)["initial_epoch"])
    if not os.path.isfile(os.path.join(out_dir, "model.keras")):
        raise FileNotFoundError(
            f"{out_dir} holds no finished run to continue (no model.keras). Train one first; "
            "an interrupted run resumes by running the command that started it again.")
    if os.path.isdir(os.path.join(out_dir, "backup")):
        raise FileExistsError(
            f"{out_dir} holds an interrupted run (backup/): run the command that started it "
            "again to resume it, then continue it.")
    try:
        history, diverged = _read_history(out_dir)
    except _HISTORY_ERRORS as error:
        raise ValueError(f"Cannot tell how many epochs the run in {out_dir} trained: its "
                         f"history.json is missing or unreadable ({error}).") from error
    if diverged:
        # Continued again, model.keras (the run before that training) was numbered on from the
        # NaN epoch, and its first checkpoint replaced last.keras.
        raise _diverged_training(out_dir, diverged)
    return int(max(history["epoch"]))


def _read_history(out_dir):
    """`history.json`'s payload, and the epoch its last training diverged in (or None)."""
    with open(os.path.join(out_dir, "history.json")) as handle:
        history = json.load(handle)
    last_epoch = max(history["epoch"])
    row = history["epoch"].index(last_epoch)
    diverged = any(isinstance(values[row], float) and not math.isfinite(values[row])
                   for key, values in history.items() if key != "epoch")
    return history, last_epoch if diverged else None


def _diverged_training(out_dir, epoch):
    """The refusal of a finished run whose last training (a continuation, an overwrite) diverged.

    Its `model.keras` is older than its history: train it on, and epochs would be numbered from
    the NaN one; train afresh, and the last finite checkpoint is replaced.
    """
    last = _last_checkpoint(out_dir)
    kept = (f"and {last} its last finite checkpoint, which training again would replace. Copy "
            "that away to keep it (keras-gen finetune trains it on into another --out); or"
            if os.path.isfile(last) else "and no checkpoint of that training was kept. Pass")
    return FileExistsError(
        f"The last training of {out_dir} diverged in epoch {epoch} (history.json): its "
        f"model.keras is the run as it last finished, {kept} overwrite=True (--overwrite) to "
        "start afresh.")


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
    if not os.path.isfile(_continuation_path(out_dir)):
        # What a backup must match, from the model as loaded: a model loaded from a .keras file
        # orders and names its weights unlike one just built, as the run's was.
        write_json_atomic(_layout_path(out_dir), _weights_layout(model))
        # The record makes the folder an interrupted run (backup/) until `fit` ends and Keras'
        # BackupAndRestore deletes it, so `train` resumes it rather than refusing a finished run.
        write_json_atomic(_continuation_path(out_dir), {"initial_epoch": initial_epoch})
    return train(model, dataset, out_dir, epochs, initial_epoch=initial_epoch, **train_args)


def _check_epochs_to_come(out_dir, initial_epoch, epochs):
    # Keras' fit would return at once, and the run would look finished.
    if initial_epoch >= epochs:
        raise ValueError(f"epochs counts every epoch, those done before too: the run in "
                         f"{out_dir} has done {initial_epoch}, so pass more. Received: "
                         f"epochs={epochs}")


def _discard_previous_run(out_dir):
    """Removes the backup, sample grids, checkpoint, best model and TensorBoard events an earlier
    run in `out_dir` wrote.

    Else a 30-epoch run over a 60-epoch one kept `samples/epoch_0060.png` beside its own
    grids, one that diverged before its first checkpoint named the earlier run's `last.keras`
    as its own, one without `--monitor-every` left the earlier run's `best.keras` for its
    best, and TensorBoard drew both runs' curves as one. Only files named as the layout above
    names them are removed: `out_dir` is the user's choice, and may hold other files.
    `model.keras` and `history.json` are replaced as the new run writes them.
    """
    backup_dir = os.path.join(out_dir, "backup")
    if os.path.isdir(backup_dir):
        shutil.rmtree(backup_dir)
    grids = glob.glob(os.path.join(glob.escape(out_dir), "samples", "epoch_[0-9][0-9][0-9]*.png"))
    best = [os.path.join(out_dir, name) for name in ("best.keras", "best.json")]
    # TensorBoard would draw the two runs' event files as one run.
    events = glob.glob(os.path.join(glob.escape(out_dir), "logs", "*", "events.out.tfevents.*"))
    for path in [*grids, _last_checkpoint(out_dir), *best, *events]:
        if os.path.isfile(path):
            os.remove(path)


def _last_checkpoint(out_dir):
    return os.path.join(out_dir, "checkpoints", "last.keras")


def _check_epochs_to_resume(out_dir, epochs):
    """The epochs `out_dir`'s backup holds (None without one); `ValueError` if more than `epochs`.

    Keras' fit would resume past its last epoch and train none, and `train` wrote the backup's
    state as `model.keras`: a run asked for 3 epochs held 4.
    """
    done = EpochBackupAndRestore.epochs_done(os.path.join(out_dir, "backup"))
    if done is not None and done > epochs:
        raise ValueError(f"{out_dir} holds an interrupted run that has trained {done} epochs (its "
                         f"backup), more than epochs={epochs}: pass epochs >= {done} (--epochs) "
                         "to resume it, or overwrite=True (--overwrite) to start afresh.")
    return done


def _continuation_path(out_dir):
    return os.path.join(out_dir, "backup", "continuation.json")


def _refuse_another_continuation(out_dir, initial_epoch):
    """Raises `FileExistsError` if `out_dir` holds an interrupted continuation that this call
    is not: a fresh model trained from epoch 0 into it would pass for the continued one."""
    if not os.path.isfile(_continuation_path(out_dir)):
        return
    started_from = epochs_done(out_dir)  # read from that record
    if started_from != initial_epoch:
        raise FileExistsError(
            f"{out_dir} holds an interrupted continuation of a finished run (from epoch "
            f"{started_from}). Continue it again (continue_training, or --continue) to "
            "resume it, or overwrite=True (--overwrite) to discard it and start afresh.")


def _layout_path(out_dir):
    return os.path.join(out_dir, "checkpoints", "weights_layout.json")


def _weights_layout(model):
    """What a backup must match to load: the class, the dtype policy (`--precision`), each
    weight's path and shape, and what trains.

    The optimizers' state follows the trainable weights, so those are compared too.
    """
    trainable = {id(weight) for weight in model.trainable_weights}
    return {"class": type(model).__name__, "dtype_policy": model.dtype_policy.name,
            "weights": [[weight.path, list(weight.shape), id(weight) in trainable]
                        for weight in model.weights]}


def _refuse_another_models_backup(model, out_dir):
    """Raises `FileExistsError` if `out_dir/backup` is an interrupted run of another model.

    `BackupAndRestore` loads it into whatever model trains next: another `--width`, recipe or
    `--freeze-d` failed with Keras' "A total of 20 objects could not be loaded" after a page of
    warnings, or (frozen layers changed) skipped the optimizer state with one warning and went on.
    A backup without a layout (written before keras_gen recorded one) is left to Keras.
    """
    layout_file = _layout_path(out_dir)
    if not (os.path.isdir(os.path.join(out_dir, "backup")) and os.path.isfile(layout_file)):
        return
    with open(layout_file) as handle:
        saved = json.load(handle)
    current = _weights_layout(model)
    saved.setdefault("dtype_policy", current["dtype_policy"])  # not recorded before
    if saved == current:
        return
    if saved["class"] != current["class"]:
        difference = f"it trained a {saved['class']}, this is a {current['class']}"
    elif saved["dtype_policy"] != current["dtype_policy"]:
        # Its optimizers were loss-scaled under mixed_float16 alone: their state would not load.
        difference = (f"it trained in {saved['dtype_policy']}, this one in "
                      f"{current['dtype_policy']} (--precision)")
    elif len(saved["weights"]) != len(current["weights"]):
        difference = (f"it had {len(saved['weights'])} weights, this model has "
                      f"{len(current['weights'])}")
    else:
        (path, shape, trains), (_, now_shape, now_trains) = next(
            (old, new) for old, new in zip(saved["weights"], current["weights"]) if old != new)
        difference = (f"its {path} was {tuple(shape)}, here {tuple(now_shape)}"
                      if shape != now_shape else
                      f"its {path} was {'trained' if trains else 'frozen'}, here "
                      f"{'trained' if now_trains else 'frozen'}")
    raise FileExistsError(
        f"{out_dir} holds an interrupted run of another model ({difference}), which cannot "
        "resume into this one. Run the command that started it to resume it, pass another "
        "output folder (--out), or overwrite=True (--overwrite) to discard its backup and start "
        "afresh.")


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
    backup_dir = os.path.join(out_dir, "backup")
    resuming = os.path.isdir(backup_dir)  # before BackupAndRestore creates it
    log_dir = os.path.join(out_dir, "logs") if tensorboard else None
    return [
        keras.callbacks.TerminateOnNaN(),
        # double_checkpoint keeps the previous backup in case a crash hits mid-write.
        EpochBackupAndRestore(backup_dir, every=checkpoint_every, double_checkpoint=True),
        FiniteModelCheckpoint(_last_checkpoint(out_dir), every=checkpoint_every),
        ImageGrid(os.path.join(out_dir, "samples"), seed=grid_seed, every=grid_every,
                  log_dir=log_dir),
        # Ahead of JsonHistory, so what they add to the logs (QualityMonitor's fid) is kept.
        *extra,
        JsonHistory(os.path.join(out_dir, "history.json"), resume=resuming),
        *([keras.callbacks.TensorBoard(log_dir)] if log_dir else []),
    ]
