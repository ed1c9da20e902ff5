"""`JsonHistory`: the per-epoch logs of a run, kept in one JSON file that survives resumes."""

import json
import math
import os

import keras

from keras_gen.utils.arguments import check_bool, check_path
from keras_gen.utils.files import write_json_atomic

# JSON has no NaN or Infinity: Python's json writes them as bare words that jq, JavaScript's
# JSON.parse and other strict readers refuse. A diverged epoch's values are written as these
# strings instead, as protobuf's JSON mapping writes them; null stays "not logged that epoch".
NON_FINITE_NAMES = ("NaN", "Infinity", "-Infinity")


def json_number(value):
    """`value` as a float, or as the string naming it if it is NaN or infinite.

    Args:
        value: a number (a Python or numpy scalar, as Keras logs it).

    Example:

    ```python
    json_number(0.5), json_number(float("nan"))  # (0.5, "NaN")
    ```
    """
    value = float(value)
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def is_non_finite(value):
    """Whether a value read from a history is NaN or infinite (as written, or as a float).

    Histories written before `json_number` hold bare `NaN`, which Python's json reads as a float.

    Args:
        value: one entry of a history's metric list (a float, a string or None).

    Example:

    ```python
    is_non_finite("NaN"), is_non_finite(float("inf")), is_non_finite(None)  # (True, True, False)
    ```
    """
    if isinstance(value, str):
        return value in NON_FINITE_NAMES
    return isinstance(value, float) and not math.isfinite(value)


class JsonHistory(keras.callbacks.Callback):
    """Writes `{"epoch": [...], "<metric>": [...]}` to `path` after every epoch.

    Entries are keyed by epoch, so a run resumed by `BackupAndRestore` extends
    the file instead of starting it over; epochs that are trained again replace
    their old entries. Each write is atomic. The file is strict JSON: a value
    that is NaN or infinite (a diverged epoch) is written as the string "NaN",
    "Infinity" or "-Infinity", and a metric not logged that epoch as null.

    Args:
        path: str or `pathlib.Path`. The JSON file.
        resume: bool. Keep the entries already in `path` (for a resumed run);
            `False` starts a fresh file.

    Example:

    ```python
    gan.fit(dataset, epochs=10, callbacks=[JsonHistory("runs/dcgan/history.json")])
    ```
    """

    def __init__(self, path, resume=True):
        super().__init__()
        # Refused here: None reached os.stat as training began, and a folder failed to be
        # written only after the first epoch had trained (resume=False).
        check_path("path", path, "the JSON file the history is written to, e.g. "
                   "'runs/dcgan/history.json'")
        if os.path.isdir(path):
            raise ValueError(f"path is the JSON file the history is written to; {path!r} is a "
                             "folder. Pass a file in it, e.g. os.path.join(path, "
                             "'history.json').")
        self.path = path
        self.resume = check_bool("resume", resume)
        self.records = {}

    def on_train_begin(self, logs=None):
        self.records = {}
        if self.resume and os.path.exists(self.path):
            stored = self._read()
            for row, epoch in enumerate(stored.get("epoch", [])):
                self.records[epoch] = {key: values[row] for key, values in stored.items()
                                       if key != "epoch" and row < len(values)}

    def _read(self):
        """The history stored in `path`, refused with what to do if JsonHistory did not write it."""
        with open(self.path) as handle:
            try:
                stored = json.load(handle)
            except ValueError as error:
                stored = error
        if not isinstance(stored, dict) or not isinstance(stored.get("epoch", []), list):
            # Else a JSONDecodeError or "'list' object has no attribute 'get'" as training began.
            raise ValueError(f"{self.path} holds no history that JsonHistory wrote "
                             f"({stored if isinstance(stored, ValueError) else 'another JSON'}"
                             "). Move it away to keep it, or pass resume=False to start the "
                             "file afresh.")
        return stored

    def on_epoch_end(self, epoch, logs=None):
        self.records[epoch + 1] = {key: json_number(value) for key, value in (logs or {}).items()}
        epochs = sorted(self.records)
        keys = sorted({key for record in self.records.values() for key in record})
        payload = {"epoch": epochs}
        payload.update({key: [self.records[e].get(key) for e in epochs] for key in keys})
        write_json_atomic(self.path, payload)
