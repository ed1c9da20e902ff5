"""Rewrites preset folders in the current format (same weights, new sha256), keeping metadata.

Usage:
    python -m keras_gen.presets.resave [NAME ...]   # all shipped presets without a NAME
"""

import argparse
import json
import os

from keras_gen.presets.io import (METADATA_FILE, PRESETS_DIR, builtin_presets, load_preset,
                                  save_preset)

_DERIVED = ("class", "sha256", "weights_bytes", "params")


def resave(name):
    """Loads preset `name` and saves it again in place; returns the new metadata.

    Example:

    ```python
    resave("dcgan_mnist")
    ```
    """
    folder = os.path.join(PRESETS_DIR, name)
    with open(os.path.join(folder, METADATA_FILE)) as handle:
        metadata = {k: v for k, v in json.load(handle).items() if k not in _DERIVED}
    model = load_preset(folder)
    return save_preset(model, folder, metadata)


def main(argv=None):
    """Resaves the named shipped presets (all with no names); `--help` says so.

    `--help` was read as a preset name (a FileNotFoundError traceback), so argparse reads the
    command line: a tool that rewrites the shipped presets in place should be asked for clearly.

    Args:
        argv: optional list of str. The arguments (default: the command line's).

    Example:

    ```python
    main(["dcgan_mnist"])
    ```
    """
    parser = argparse.ArgumentParser(
        prog="python -m keras_gen.presets.resave",
        description="Rewrite shipped preset folders in place in the current format (same "
                    "weights, new sha256), keeping their metadata.")
    known = sorted(builtin_presets())
    # Checked here, not with choices=: argparse refuses an empty nargs="*" list against them.
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"presets to resave (default: all: {known})")
    names = parser.parse_args(argv).names
    unknown = [name for name in names if name not in known]
    if unknown:
        parser.error(f"unknown presets {unknown}; the shipped ones are {known}")
    for preset in names or known:
        print(preset, resave(preset)["weights_bytes"])


if __name__ == "__main__":
    main()
