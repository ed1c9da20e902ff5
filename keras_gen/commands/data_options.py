"""The data options of a `train` or `finetune` run, which resuming it and `--continue` read
again from the run folder.

A run trained on MNIST went on, under `--continue` or run again after Ctrl-C without its
`--dataset`, on the embedded digits: the options left out took their defaults. So these options
are None on the command line unless given. A new run takes the defaults below; a resumed or
continued run takes the ones it recorded in OUT/data_options.json, and one given on the command
line replaces the recorded one, from then on.
"""

import json
import os

from keras_gen.data import EMBEDDED_DATASET

RECORD_NAME = "data_options.json"
# By command: each data option and its default in a new run (--split None is the train split).
DEFAULTS = {
    "train": {"dataset": EMBEDDED_DATASET, "split": None, "limit": None, "batch_size": 64,
              "seed": 0},
    "finetune": {"dataset": None, "split": None, "limit": 1000, "batch_size": 64, "seed": 0,
                 "monitor_every": 0, "monitor_samples": 2000, "reference": None,
                 "reference_split": None, "domain": None, "inception_weights": None},
}


def settle(args, out_dir, reuse):
    """Sets the data options that `args` left None, and returns a callback that records them.

    Args:
        args: `argparse.Namespace` of `keras-gen train` or `finetune` (`args.command`).
        out_dir: str. The run folder.
        reuse: bool. The run is resumed or continued: options not given take its recorded
            values (the defaults if it recorded none, as a run from before this record).

    Returns:
        A Keras callback that writes the options to OUT/data_options.json as training starts
        (not before: a refused resume must not replace the run's record).

    Example:

    ```python
    record = data_options.settle(args, "runs/dcgan", reuse=args.continue_run)
    training.continue_training(model, dataset, "runs/dcgan", epochs=100, callbacks=[record])
    ```
    """
    import keras

    from keras_gen.utils import write_json_atomic

    defaults = DEFAULTS[args.command]
    path = os.path.join(out_dir, RECORD_NAME)
    recorded = _read(path) if reuse and os.path.isfile(path) else {}
    given = {name: getattr(args, name) for name in defaults if getattr(args, name) is not None}
    for name, default in defaults.items():
        setattr(args, name, given.get(name, recorded.get(name, default)))
    if args.dataset is None:  # finetune's, which has no default
        missing = f" The run in {out_dir} records none ({path} is missing)." if reuse else ""
        raise ValueError(f"keras-gen {args.command} needs --dataset: the images to train on (a "
                         f"dataset name or a path).{missing}")
    description = _describe(out_dir, path, recorded, given, defaults)
    if description:
        print(description)
    options = {name: getattr(args, name) for name in defaults}
    return keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: write_json_atomic(path, options))


def recorded_dataset(model_file):
    """`(dataset, record path)` of the run that `model_file` belongs to, or `(None, None)`.

    A run's `model.keras`, `best.keras` and `checkpoints/*.keras` sit beside (or one folder
    below) its OUT/data_options.json; a preset or a loose `.keras` file has no record.

    Args:
        model_file: str. MODEL as a command takes it: a path or a preset name.

    Example:

    ```python
    dataset, path = recorded_dataset("runs/vae/model.keras")  # ("digits", "runs/vae/...")
    ```
    """
    folder = os.path.dirname(model_file)
    if os.path.basename(folder) == "checkpoints":
        folder = os.path.dirname(folder)
    path = os.path.join(folder, RECORD_NAME)
    if not (model_file.endswith(".keras") and os.path.isfile(path)):
        return None, None
    return _read(path).get("dataset"), path


def _read(path):
    """The options recorded in `path`; a damaged record is refused, naming the way out."""
    try:
        with open(path) as handle:
            recorded = json.load(handle)
        if not isinstance(recorded, dict):
            raise ValueError(f"a JSON object was expected, not {type(recorded).__name__}")
    except ValueError as error:
        raise ValueError(f"Cannot read the run's data options in {path} ({error}). Delete it "
                         "and pass the options the run was trained with.") from error
    return recorded


def _describe(out_dir, path, recorded, given, defaults):
    """One line on what the record changed: the recorded options taken that are not defaults
    (and the dataset), and those given here that differ from the record. None if neither: the
    same command run again says nothing."""
    taken = {name: recorded[name] for name in defaults
             if name in recorded and name not in given and recorded[name] != defaults[name]}
    changed = {name: value for name, value in given.items()
               if name in recorded and value != recorded[name]}
    if not (taken or changed):
        return None
    if "dataset" in recorded and "dataset" not in given:
        taken = {"dataset": recorded["dataset"], **taken}
    kept = " ".join(f"{_flag(name)} {value}" for name, value in taken.items()
                    if value is not None)
    if changed:
        advice = "given here: " + ", ".join(
            f"{_flag(name)} {value} (the run's: {_shown(name, recorded[name])})"
            for name, value in changed.items()) + "."
    else:  # the first five are train's, and the ones a finetune user changes most
        flags = [_flag(name) for name in list(defaults)[:5]]
        advice = f"pass any of {', '.join(flags[:-1])} and {flags[-1]} to change it."
    return f"Data options of the run in {out_dir} ({path}): " + "; ".join(
        part for part in (kept, advice) if part)


def _flag(name):
    return "--" + name.replace("_", "-")


def _shown(name, value):
    """A recorded value as the user reads it: None is the option's meaning when left out."""
    if value is not None:
        return value
    return {"limit": "all images", "split": "train", "reference_split": "test"}.get(name, "none")
