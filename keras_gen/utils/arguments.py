"""Argument checks: `check_bool`, `check_positive_int`, `check_non_negative`, `check_seed`,
`check_path`, `holds_class_ids` and `name_suggestion` for the library, `argparse` types for the
CLI."""

import argparse
import difflib
import math
import numbers
import os

import numpy as np


def is_int(value):
    """Whether `value` is an integer, Python's or numpy's (as `np.sum` gives), not a bool.

    Example:

    ```python
    is_int(np.int64(3)), is_int(True)  # (True, False)
    ```
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value):
    """Whether `value` is a real number, Python's or numpy's, not a bool (`True` is no weight).

    Example:

    ```python
    is_number(np.float32(0.5)), is_number(True), is_number("1")  # (True, False, False)
    ```
    """
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_non_negative(name, value, what="a float"):
    """Returns `value` as a float if it is a finite number >= 0, else raises `ValueError`.

    NaN (every loss NaN from the first step), infinity and `True` (taken for 1) are refused
    with the rest.

    Args:
        name: str. The argument's name, quoted in the message.
        value: what was passed.
        what: str. What the argument is, e.g. `"a number of seconds"`: the message reads
            "`name` must be `what` >= 0".

    Example:

    ```python
    beta = check_non_negative("beta", beta)
    ```
    """
    if not is_number(value) or not 0 <= value < math.inf:
        raise ValueError(f"{name} must be {what} >= 0. Received: {name}={value!r}")
    return float(value)


# What to do with labels that are not class ids (strings, 0.5), for the errors of both checks.
CLASS_IDS_FIX = "Map them to 0, 1, ... first, e.g. np.unique(labels, return_inverse=True)[1]."


def holds_class_ids(array):
    """Whether a numpy array's values can be class ids: integers (or bools), or floats that are
    all whole numbers; not strings, objects, NaN or 0.5 (which a cast to int would make 0).

    Example:

    ```python
    holds_class_ids(np.array([0.0, 2.0])), holds_class_ids(np.array([0.5]))  # (True, False)
    ```
    """
    if array.dtype.kind in "iub":
        return True
    return array.dtype.kind == "f" and bool(np.all(np.mod(array, 1) == 0))


def name_suggestion(unknown, known):
    """" Did you mean ...?" naming the known names closest to `unknown` ones, or "".

    A name that differs in case only is matched first ("sneaker" for "Sneaker"), then one a
    letter or two off (`difflib`). Class names and preset names are suggested so.

    Args:
        unknown: sequence of str. Names that are not among `known`.
        known: iterable of str. The names there are (a model's classes, the shipped presets).

    Example:

    ```python
    name_suggestion(["Dogs"], ["cats", "dogs"])  # " Did you mean 'dogs'?"
    ```
    """
    known = list(known)
    by_case = {name.casefold(): name for name in known}
    close = []
    for name in unknown:
        match = by_case.get(str(name).casefold()) or next(
            iter(difflib.get_close_matches(str(name), known, n=1)), None)
        if match is not None and match not in close:
            close.append(match)
    return f" Did you mean {', '.join(map(repr, close))}?" if close else ""


def check_bool(name, value, error=TypeError):
    """Returns `value` as a bool if it is True or False (numpy's too), else raises `error`.

    A string is truthy, so `overwrite="False"` or `shuffle="no"` would have meant True.

    Args:
        name: str. The argument's name, quoted in the message.
        value: what was passed.
        error: exception class to raise.

    Example:

    ```python
    shuffle = check_bool("shuffle", shuffle)
    ```
    """
    if not isinstance(value, (bool, np.bool_)):
        raise error(f"{name} must be True or False. Received: {name}={value!r}")
    return bool(value)


def check_positive_int(name, value, error=ValueError):
    """Returns `value` as an int if it is an integer >= 1 (see `is_int`), else raises `error`.

    Args:
        name: str. The argument's name, quoted in the message.
        value: what was passed.
        error: exception class to raise (`DataError` for data arguments).

    Example:

    ```python
    batch_size = check_positive_int("batch_size", batch_size)
    ```
    """
    if not is_int(value) or value < 1:
        raise error(f"{name} must be a positive int. Received: {name}={value!r}")
    return int(value)  # a numpy integer would not serialize to JSON in a config


def check_path(name, value, what):
    """Returns `value` as a str if it is a path (a non-empty str or `os.PathLike`), else raises.

    None reached `os.stat` ("path should be string, bytes, os.PathLike or integer"), a
    `pathlib.Path` had no `endswith`, and "" meant the current folder.

    Args:
        name: str. The argument's name, quoted in the message.
        value: what was passed.
        what: str. What the argument is: the message reads "`name` is `what`".

    Raises:
        TypeError: for what is not a str or `os.PathLike`.
        ValueError: for an empty path.

    Example:

    ```python
    out_dir = check_path("out_dir", out_dir, "the folder the run writes into")
    ```
    """
    message = f"{name} is {what}. Received: {name}={value!r}"
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(message)
    path = os.fspath(value)
    if not path:
        raise ValueError(message)
    return path


def positive_int(text):
    """An `argparse` type: an int >= 1, else a usage error naming the value.

    Example:

    ```python
    parser.add_argument("--epochs", type=positive_int)
    ```
    """
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


# The seeds keras.utils.set_random_seed takes (numpy's range); it refused others with numpy's
# "Seed must be between 0 and 2**32 - 1", which names no argument.
MAX_SEED = 2**32 - 1


def check_seed(value):
    """Returns `value` as an int if `keras.utils.set_random_seed` takes it, else `ValueError`.

    Args:
        value: what was passed as `seed`: an int (Python's or numpy's) from 0 to 2**32 - 1.

    Example:

    ```python
    keras.utils.set_random_seed(check_seed(seed))
    ```
    """
    if not is_int(value) or not 0 <= value <= MAX_SEED:
        raise ValueError(f"seed must be an int from 0 to {MAX_SEED} (the seeds "
                         f"keras.utils.set_random_seed takes). Received: seed={value!r}")
    return int(value)  # Keras refused numpy's integers ("Expected `seed` ... to be an integer")


def seed_int(text):
    """An `argparse` type: a seed Keras and numpy take, an int from 0 to 2**32 - 1.

    Example:

    ```python
    parser.add_argument("--seed", type=seed_int, default=0)
    ```
    """
    value = int(text)
    if not 0 <= value <= MAX_SEED:  # told as a usage error that names the flag
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to {MAX_SEED}, got {text}")
    return value


def non_negative_int(text):
    """An `argparse` type: an int >= 0, else a usage error naming the value.

    Example:

    ```python
    parser.add_argument("--intra-op-threads", type=non_negative_int, default=0)
    ```
    """
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or a positive integer, got {text}")
    return value


def non_negative_float(text):
    """An `argparse` type: a float >= 0, else a usage error naming the value.

    Example:

    ```python
    parser.add_argument("--load-retry-seconds", type=non_negative_float, default=60.0)
    ```
    """
    value = float(text)
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def png_path(text):
    """An `argparse` type: a path ending in `.png`, else a usage error naming the option.

    A grid to `--out g.jpg` loaded the model and sampled before `save_image_grid` refused it,
    naming that Python function rather than the option.

    Example:

    ```python
    parser.add_argument("--out", type=png_path, default="samples.png")
    ```
    """
    if not text.lower().endswith(".png"):
        raise argparse.ArgumentTypeError(f"must end in .png (grids are written as PNG), got {text}")
    return file_path(text, example="grid.png")  # not a folder named so


def file_path(text, example="results.json"):
    """An `argparse` type: a path to write a file to, not an existing folder, else a usage error.

    `keras-gen evaluate --out runs/` scored the model before the write refused the folder, and
    a benchmark's `--results` folder lost its runs (minutes to hours) the same way.

    Args:
        text: str. The option's value.
        example: str. A file name the message suggests inside the folder.

    Example:

    ```python
    parser.add_argument("--out", type=file_path, help="JSON destination")
    ```
    """
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(
            f"{text} is a folder; give the path of a file in it, e.g. "
            f"{os.path.join(text, example)}")
    return text


def positive_float(text):
    """An `argparse` type: a finite float > 0, else a usage error naming the value.

    Example:

    ```python
    parser.add_argument("--learning-rate", type=positive_float)
    ```
    """
    value = float(text)
    if not 0 < value < math.inf:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value
