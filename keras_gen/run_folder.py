"""A `train()` output folder: what each file in it says about the run, and which runs
`train` refuses to start or resume there.

The layout is `keras_gen.training`'s. A folder holds a finished run (`model.keras`, no
`backup/`), an interrupted one (`backup/`, resumed by `BackupAndRestore`), an interrupted
continuation (`backup/continuation.json`), or a run that diverged (`checkpoints/last.keras`
without `model.keras`). `train` refuses what would lose a result or resume the wrong model.
"""

import glob
import json
import os
import shutil

from keras_gen.callbacks import EpochBackupAndRestore
from keras_gen.callbacks.json_history import is_non_finite
from keras_gen.utils.arguments import check_bool, check_path

# What reading a history.json that JsonHistory did not write (or that was damaged) can raise.
_HISTORY_ERRORS = (OSError, ValueError, KeyError, TypeError, IndexError)
# What `out_dir` is, in the refusal of None or "" (which trained into the current folder).
OUT_DIR_MEANING = ("the folder the run writes into, e.g. 'runs/dcgan' ('.' for the current "
                   "folder)")


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
    if overwrite or is_interrupted(out_dir):
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
    if os.path.isfile(last_checkpoint(out_dir)):
        raise FileExistsError(
            f"{out_dir} holds a run without a model.keras (one that diverged, or whose "
            f"model.keras was moved); {last_checkpoint(out_dir)} holds its last finite state, "
            "which training again would replace. Pass another output folder (--out), or "
            "overwrite=True (--overwrite) to start over.")


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
    out_dir = check_path("out_dir", out_dir, OUT_DIR_MEANING)  # load_run and continue_training too
    record = continuation_path(out_dir)
    if os.path.isfile(record):
        with open(record) as handle:
            return int(json.load(handle)["initial_epoch"])
    if not os.path.isfile(os.path.join(out_dir, "model.keras")):
        raise FileNotFoundError(
            f"{out_dir} holds no finished run to continue (no model.keras). Train one first; "
            "an interrupted run resumes by running the command that started it again.")
    if is_interrupted(out_dir):
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
    diverged = any(is_non_finite(values[row]) for key, values in history.items() if key != "epoch")
    return history, last_epoch if diverged else None


def _diverged_training(out_dir, epoch):
    """The refusal of a finished run whose last training (a continuation, an overwrite) diverged.

    Its `model.keras` is older than its history: train it on, and epochs would be numbered from
    the NaN one; train afresh, and the last finite checkpoint is replaced.
    """
    last = last_checkpoint(out_dir)
    kept = (f"and {last} its last finite checkpoint, which training again would replace. Copy "
            "that away to keep it (keras-gen finetune trains it on into another --out); or"
            if os.path.isfile(last) else "and no checkpoint of that training was kept. Pass")
    return FileExistsError(
        f"The last training of {out_dir} diverged in epoch {epoch} (history.json): its "
        f"model.keras is the run as it last finished, {kept} overwrite=True (--overwrite) to "
        "start afresh.")


def discard_previous_run(out_dir):
    """Removes the backup, sample grids, checkpoint, best model and TensorBoard events an earlier
    run in `out_dir` wrote.

    Else a 30-epoch run over a 60-epoch one kept `samples/epoch_0060.png` beside its own
    grids, one that diverged before its first checkpoint named the earlier run's `last.keras`
    as its own, one without `--monitor-every` left the earlier run's `best.keras` for its
    best, and TensorBoard drew both runs' curves as one. Only files named as
    `keras_gen.training`'s layout names them are removed: `out_dir` is the user's choice, and
    may hold other files. `model.keras` and `history.json` are replaced as the new run writes
    them.
    """
    if is_interrupted(out_dir):
        shutil.rmtree(backup_folder(out_dir))
    grids = glob.glob(os.path.join(glob.escape(out_dir), "samples", "epoch_[0-9][0-9][0-9]*.png"))
    best = [os.path.join(out_dir, name) for name in ("best.keras", "best.json")]
    # TensorBoard would draw the two runs' event files as one run.
    events = glob.glob(os.path.join(glob.escape(out_dir), "logs", "*", "events.out.tfevents.*"))
    for path in [*grids, last_checkpoint(out_dir), *best, *events]:
        if os.path.isfile(path):
            os.remove(path)


def last_checkpoint(out_dir):
    """The run's last finite checkpoint, `FiniteModelCheckpoint`'s file."""
    return os.path.join(out_dir, "checkpoints", "last.keras")


def backup_folder(out_dir):
    """Where `EpochBackupAndRestore` keeps the state of a run in progress in `out_dir`."""
    return os.path.join(out_dir, "backup")


def is_interrupted(out_dir):
    """Whether `out_dir` holds an interrupted run: its backup outlives only a run that did not
    end (Keras removes it when `fit` returns)."""
    return os.path.isdir(backup_folder(out_dir))


def check_epochs_to_resume(out_dir, epochs):
    """The epochs `out_dir`'s backup holds (None without one); `ValueError` if more than `epochs`.

    Keras' fit would resume past its last epoch and train none, and `train` wrote the backup's
    state as `model.keras`: a run asked for 3 epochs held 4.
    """
    done = EpochBackupAndRestore.epochs_done(backup_folder(out_dir))
    if done is not None and done > epochs:
        raise ValueError(f"{out_dir} holds an interrupted run that has trained {done} epochs (its "
                         f"backup), more than epochs={epochs}: pass epochs >= {done} (--epochs) "
                         "to resume it, or overwrite=True (--overwrite) to start afresh.")
    return done


def continuation_path(out_dir):
    """The record of the epoch an interrupted continuation started from."""
    return os.path.join(backup_folder(out_dir), "continuation.json")


def refuse_another_continuation(out_dir, initial_epoch):
    """Raises `FileExistsError` if `out_dir` holds an interrupted continuation that this call
    is not: a fresh model trained from epoch 0 into it would pass for the continued one."""
    if not os.path.isfile(continuation_path(out_dir)):
        return
    started_from = epochs_done(out_dir)  # read from that record
    if started_from != initial_epoch:
        raise FileExistsError(
            f"{out_dir} holds an interrupted continuation of a finished run (from epoch "
            f"{started_from}). Continue it again (continue_training, or --continue) to "
            "resume it, or overwrite=True (--overwrite) to discard it and start afresh.")


def layout_path(out_dir):
    """The record of the weights a backup in `out_dir` must match (`weights_layout`)."""
    return os.path.join(out_dir, "checkpoints", "weights_layout.json")


def weights_layout(model):
    """What a backup must match to load: the class, the dtype policy (`--precision`), each
    weight's path and shape, and what trains.

    The optimizers' state follows the trainable weights, so those are compared too.
    """
    trainable = {id(weight) for weight in model.trainable_weights}
    return {"class": type(model).__name__, "dtype_policy": model.dtype_policy.name,
            "weights": [[weight.path, list(weight.shape), id(weight) in trainable]
                        for weight in model.weights]}


def refuse_another_models_backup(model, out_dir):
    """Raises `FileExistsError` if `out_dir/backup` is an interrupted run of another model.

    `BackupAndRestore` loads it into whatever model trains next: another `--width`, recipe or
    `--freeze-d` failed with Keras' "A total of 20 objects could not be loaded" after a page of
    warnings, or (frozen layers changed) skipped the optimizer state with one warning and went on.
    A backup without a layout (written before keras_gen recorded one) is left to Keras.
    """
    layout_file = layout_path(out_dir)
    if not (is_interrupted(out_dir) and os.path.isfile(layout_file)):
        return
    with open(layout_file) as handle:
        saved = json.load(handle)
    current = weights_layout(model)
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
