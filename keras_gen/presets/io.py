"""Preset folders: `config.json` + `model.weights.h5` + `metadata.json`, checked by sha256."""

import json
import os

import keras

from keras_gen.utils.arguments import check_bool, check_path, name_suggestion
from keras_gen.utils.files import atomic_folder, sha256_of, write_json_atomic
from keras_gen.utils.precision import PRECISIONS, deserialize_in_policy

PRESETS_DIR = os.path.dirname(os.path.abspath(__file__))
CONFIG_FILE, WEIGHTS_FILE, METADATA_FILE = "config.json", "model.weights.h5", "metadata.json"
_PARTS = ("generator", "ema_generator", "discriminator", "encoder", "decoder", "augment")


class PresetError(ValueError):
    """An unknown, incomplete or corrupted preset."""


def builtin_presets():
    """`{name: metadata}` of the presets shipped inside the package.

    Example:

    ```python
    sorted(builtin_presets())  # ["cgan_mnist", "dcgan_mnist", ...]
    ```
    """
    return presets_in(PRESETS_DIR)


def presets_in(folder):
    """`{name: metadata}` of the preset folders inside `folder` (as `python -m
    keras_gen.presets.train --out folder` writes them).

    Args:
        folder: str. A folder holding preset folders.

    Example:

    ```python
    presets_in("my_presets")  # {"cgan_fashion_mnist": {...}}
    ```
    """
    found = {}
    for name in sorted(os.listdir(folder)):
        metadata = os.path.join(folder, name, METADATA_FILE)
        # Hidden: a preset being written, or the one it replaces (`atomic_folder`).
        if not name.startswith(".") and os.path.isfile(metadata):
            with open(metadata) as handle:
                found[name] = json.load(handle)
    return found


def resolve(name_or_dir):
    """Returns the folder of a shipped preset name or of a preset directory.

    Example:

    ```python
    resolve("dcgan_mnist")  # .../keras_gen/presets/dcgan_mnist
    ```
    """
    # os.stat's message for None named no preset.
    name_or_dir = check_path("name_or_dir", name_or_dir, "a name from keras_gen.presets.list() "
                             "or a preset folder's path")
    if os.path.isdir(name_or_dir):
        return name_or_dir
    folder = os.path.join(PRESETS_DIR, name_or_dir)
    if os.path.isfile(os.path.join(folder, METADATA_FILE)):
        return folder
    if os.path.isfile(name_or_dir):
        raise PresetError(f"{name_or_dir!r} is a file, not a preset folder (one holding "
                          f"{CONFIG_FILE}, {WEIGHTS_FILE} and {METADATA_FILE}): pass that folder; "
                          "a .keras file loads with keras_gen.saving.load_model.")
    if os.sep in name_or_dir or (os.altsep and os.altsep in name_or_dir):
        raise PresetError(f"No preset folder at {name_or_dir!r}: it does not exist.")
    known = sorted(builtin_presets())
    raise PresetError(f"Unknown preset {name_or_dir!r}.{name_suggestion([name_or_dir], known)} "
                      f"Shipped presets: {known}; or pass a preset folder.")


def _read_dict(path):
    """The JSON object in a preset's `path`, or `PresetError` for anything else."""
    # A damaged file failed with json's JSONDecodeError, a list with "'list' object has no
    # attribute 'get'".
    try:
        with open(path) as handle:
            value = json.load(handle)
    except ValueError as error:
        value = error
    if not isinstance(value, dict):
        reason = f"not valid JSON ({value})" if isinstance(value, ValueError) else "not an object"
        raise PresetError(f"{path} is {reason}. Reinstall keras_gen or re-download the preset; "
                          "a preset of your own, save again with save_to_preset.")
    return value


def save_preset(model, folder, metadata=None):
    """Writes a model as a preset folder; returns the metadata written.

    The weights of the whole model are saved (generator, EMA generator and
    discriminator; or encoder and decoder), without optimizer state, so
    fine-tuning can start from every network. A new folder, or one holding only
    a preset, is written as a whole (`atomic_folder`): the weights and the sha256
    that `metadata.json` records for them are only valid together, and a save
    that failed between the two left a preset that no longer loaded. A folder
    holding other files too is updated file by file, each atomically.

    Args:
        model: a keras_gen model.
        folder: str. The preset folder.
        metadata: optional dict of JSON values (no NaN or infinity). Recorded in
            `metadata.json`.

    Example:

    ```python
    save_preset(gan, "my_preset", {"dataset": "mnist"})
    ```
    """
    if metadata is not None:
        # Checked before anything is written: a list failed in dict(), an object in json.dump
        # after the weights were written.
        if not isinstance(metadata, dict):
            raise TypeError(f"metadata must be a dict (recorded in {METADATA_FILE}), or None. "
                            f"Received a {type(metadata).__name__}.")
        try:
            json.dumps(metadata)
        except (TypeError, ValueError) as error:  # an object, a circular reference
            raise TypeError(f"metadata must hold JSON values (str, numbers, bools, None, lists, "
                            f"dicts): {error}.") from None
        try:
            # json writes NaN as a bare word that strict readers (jq, JavaScript) refuse.
            json.dumps(metadata, allow_nan=False)
        except ValueError:
            raise ValueError("metadata holds NaN or infinity, which JSON has no number for. "
                             "Record a score that could not be measured as None.") from None
    holds_only_a_preset = not os.path.isdir(folder) or set(os.listdir(folder)) <= {
        CONFIG_FILE, WEIGHTS_FILE, METADATA_FILE}
    if not holds_only_a_preset:
        return _write_preset_files(model, folder, metadata)
    with atomic_folder(folder) as temporary:
        return _write_preset_files(model, temporary, metadata)


def _write_preset_files(model, folder, metadata):
    """Writes the preset's three files into the existing `folder`; returns the metadata."""
    serialized = keras.saving.serialize_keras_object(model)
    # Without its compile config the model deserializes uncompiled, so neither the
    # weights file nor a later load carries optimizer state (half the bytes).
    serialized.pop("compile_config", None)
    config = {"model": serialized, "compile": model.get_compile_config()}
    write_json_atomic(os.path.join(folder, CONFIG_FILE), config)
    fresh = keras.saving.deserialize_keras_object(serialized)
    # Copy network by network: the order of a model's own weight list depends on
    # when its parts were attached (e.g. an augmentation added by set_augment).
    for part in _PARTS:
        if getattr(model, part, None) is not None:
            getattr(fresh, part).set_weights(getattr(model, part).get_weights())
    if len(fresh.weights) != len(model.weights):
        raise PresetError(f"Cannot save a {type(model).__name__} with weights outside its "
                          f"networks ({_PARTS}).")
    weights = os.path.join(folder, WEIGHTS_FILE)
    fresh.save_weights(weights)  # atomic: keras_gen's `save_weights`
    metadata = dict(metadata or {})
    metadata.update({"class": type(model).__name__, "sha256": sha256_of(weights),
                     "weights_bytes": os.path.getsize(weights),
                     "params": int(model.count_params())})
    write_json_atomic(os.path.join(folder, METADATA_FILE), metadata)
    return metadata


def load_preset(name_or_dir, load_weights=True, compile=True, dtype=None):
    """Builds the model of a preset, checks its weights' sha256 and loads them.

    Args:
        name_or_dir: str. A shipped preset name (`keras_gen.presets.list()`) or a folder.
        load_weights: bool. `False` gives the architecture with fresh weights.
        compile: bool. Compile with the settings the preset was trained with.
        dtype: optional str, one of `keras_gen.utils.PRECISIONS`. The Keras dtype policy to
            compute in (e.g. "mixed_bfloat16" to fine-tune faster); default: the one the preset
            was saved in (float32 for the shipped ones).

    Returns:
        The keras_gen model.

    Example:

    ```python
    gan = load_preset("dcgan_mnist")
    ```
    """
    import keras_gen  # noqa: F401  Registers the serializable classes.

    check_bool("load_weights", load_weights)  # "False" loaded the weights: a str is truthy
    check_bool("compile", compile)
    if dtype is not None and dtype not in PRECISIONS:  # before the files are read
        raise ValueError(f"dtype must be None (the preset's own) or one of {PRECISIONS}. "
                         f"Received: dtype={dtype!r}")
    folder = resolve(name_or_dir)
    paths = {name: os.path.join(folder, name)
             for name in (CONFIG_FILE, WEIGHTS_FILE, METADATA_FILE)}
    missing = [name for name, path in paths.items() if not os.path.isfile(path)
               and (load_weights or name != WEIGHTS_FILE)]
    if missing:
        raise PresetError(f"Preset folder {folder!r} lacks {missing}.")
    config, metadata = _read_dict(paths[CONFIG_FILE]), _read_dict(paths[METADATA_FILE])
    model_config = dict(config["model"])
    model_config.pop("compile_config", None)  # compiled below, after the weights
    model = (deserialize_in_policy(model_config, dtype) if dtype
             else keras.saving.deserialize_keras_object(model_config))
    if load_weights:
        actual = sha256_of(paths[WEIGHTS_FILE])
        if actual != metadata.get("sha256"):
            raise PresetError(f"{paths[WEIGHTS_FILE]} is corrupted or was replaced: its sha256 is "
                              f"{actual}, the preset records {metadata.get('sha256') or 'none'}. "
                              "Reinstall keras_gen or re-download the preset; a preset of your "
                              "own, save again with save_to_preset.")
        model.load_weights(paths[WEIGHTS_FILE])
    if compile and config.get("compile"):
        model.compile_from_config(config["compile"])
    model.preset_metadata = metadata
    return model
