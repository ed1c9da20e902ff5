"""Pretrained presets: shipped weights with their measured quality.

Example:

```python
import keras_gen

keras_gen.presets.list()                                  # name -> metadata
gan = keras_gen.models.GAN.from_preset("dcgan_mnist")
images = gan.generate(16, seed=0)
```
"""

from keras_gen.presets.io import (PresetError, builtin_presets, load_preset, resolve,
                                  save_preset)


def list():  # noqa: A001  The issue's name for it: keras_gen.presets.list().
    """Returns `{name: metadata}` of every shipped preset (dataset, quality, recipe, sha256).

    Example:

    ```python
    for name, meta in keras_gen.presets.list().items(): print(name, meta["metrics"]["fid"])
    ```
    """
    return builtin_presets()


__all__ = ["PresetError", "builtin_presets", "list", "load_preset", "resolve", "save_preset"]
