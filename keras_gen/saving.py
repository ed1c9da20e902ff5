"""Loading saved keras_gen models with errors that say what went wrong."""

import os
import zipfile

import keras


def load_model(path):
    """Loads a `.keras` file saved from a keras_gen model.

    Importing keras_gen registers its classes, so plain
    `keras.models.load_model` works too once keras_gen is imported; this
    wrapper adds clear errors for missing or damaged files.

    Args:
        path: str. A `.keras` file.

    Returns:
        The model, compiled as it was saved.

    Example:

    ```python
    gan = keras_gen.saving.load_model("runs/dcgan/model.keras")
    ```
    """
    import keras_gen  # noqa: F401  Registers the serializable classes.

    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No model file at {path!r}. Train one with `keras-gen train dcgan` "
            "(it writes runs/dcgan/model.keras) or pass the path of a .keras file."
        )
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path!r} is not a .keras archive (it is not a zip file); it may be truncated "
            "or a different format. Re-save it with model.save('model.keras')."
        )
    return keras.models.load_model(path)
