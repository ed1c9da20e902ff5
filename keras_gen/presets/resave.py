"""Rewrites preset folders in the current format (same weights, new sha256), keeping metadata.

Usage:
    python -m keras_gen.presets.resave [NAME ...]
"""

import json
import os
import sys

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


if __name__ == "__main__":
    for preset in sys.argv[1:] or sorted(builtin_presets()):
        print(preset, resave(preset)["weights_bytes"])
