"""Loading saved keras_gen models with errors that say what went wrong."""

import os
import zipfile

import keras

from keras_gen.utils.arguments import check_path, name_suggestion
from keras_gen.utils.precision import model_in_policy


def load_model(path):
    """Loads a `.keras` file saved from a keras_gen model.

    Importing keras_gen registers its classes, so plain
    `keras.models.load_model` works too once keras_gen is imported; this
    wrapper adds clear errors for missing or damaged files.

    Args:
        path: str or `pathlib.Path`. A `.keras` file.

    Returns:
        The model, compiled as it was saved.

    Example:

    ```python
    gan = keras_gen.saving.load_model("runs/dcgan/model.keras")
    ```
    """
    import keras_gen  # noqa: F401  Registers the serializable classes.

    path = check_path("path", path, "a .keras file")
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


def load_model_or_preset(path, compile_preset=False, dtype=None):
    """Loads a `.keras` file, or a preset (a shipped name or a preset folder).

    What `keras-gen sample`, `reconstruct`, `evaluate`, `export` and `finetune` take as MODEL,
    so a shipped preset is one name away: `keras-gen sample dcgan_mnist`.

    Args:
        path: str or `pathlib.Path`. A `.keras` file, a preset folder or a name from
            `keras_gen.presets.list()`.
        compile_preset: bool. Compile a preset with the settings it was trained with (what
            fine-tuning starts from); False loads it for inference only.
        dtype: optional str, one of `keras_gen.utils.PRECISIONS`. The dtype policy to compute
            in (`keras-gen finetune` and `export --precision`); default: the one it was saved
            in.

    Returns:
        The model: compiled as it was saved for a `.keras` file; a preset (its weights checked
        against their sha256 first) compiled only with `compile_preset`.

    Raises:
        FileNotFoundError: for a path that is none of these, naming the shipped presets.
        ValueError: for a damaged file or preset, or a `.keras` file of another kind of model.

    Example:

    ```python
    gan = keras_gen.saving.load_model_or_preset("dcgan_mnist")
    ```
    """
    from keras_gen import presets

    # A pathlib.Path had no endswith.
    path = check_path("path", path, "a .keras file, a preset folder or a shipped preset's name")
    if path.endswith(".keras") or os.path.isfile(path):
        model = _keras_gen_model(load_model(path), path)
        return model_in_policy(model, dtype) if dtype else model
    known = sorted(presets.builtin_presets())
    if not os.path.isdir(path) and path not in known:
        raise FileNotFoundError(
            f"No .keras file, preset folder or shipped preset named {path!r}."
            f"{name_suggestion([path], known)} Pass a .keras file (keras-gen train writes "
            f"runs/<recipe>/model.keras), a preset folder, or one of {known}.")
    return presets.load_preset(path, compile=compile_preset, dtype=dtype)


def _keras_gen_model(model, path):
    """`model`, if it is a keras_gen model; a plain Keras one failed later with a traceback
    ("'Sequential' object has no attribute 'generate'")."""
    from keras_gen.models import GAN, VAE

    if not isinstance(model, (GAN, VAE)):
        raise ValueError(
            f"{path!r} holds a {type(model).__name__}, not a keras_gen model: pass a GAN, "
            "ConditionalGAN, VAE or VAEGAN saved with model.save (keras-gen train writes "
            "runs/<recipe>/model.keras).")
    return model
