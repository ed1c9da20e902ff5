"""`argparse` types shared by the command-line entry points."""

import argparse


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
