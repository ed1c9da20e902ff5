"""Argument checks: `check_positive_int` for the library, `argparse` types for the CLI."""

import argparse
import math


def check_positive_int(name, value, error=ValueError):
    """Returns `value` if it is an int >= 1 (a bool is not), else raises `error` naming it.

    Args:
        name: str. The argument's name, quoted in the message.
        value: what was passed.
        error: exception class to raise (`DataError` for data arguments).

    Example:

    ```python
    batch_size = check_positive_int("batch_size", batch_size)
    ```
    """
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise error(f"{name} must be a positive int. Received: {name}={value!r}")
    return value


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
