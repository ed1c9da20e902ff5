"""`export_saved_model`: a versioned SavedModel that TensorFlow Serving loads unchanged."""

import os
import re
import shutil
import uuid

import keras

from keras_gen.export.signatures import signatures_for
from keras_gen.utils.arguments import check_bool, check_positive_int

_VERSION = re.compile(r"^\d+$")
# Characters that URLs, shells and models.config carry as they are. A model name is written in
# every request path (/v1/models/NAME); TF Serving decodes %-escapes there (my%20model), but
# then every client has to escape the name, and a "/" could not be a folder name anyway.
_MODEL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
MODEL_NAME_RULE = "letters, digits, '_', '.' and '-', starting with a letter, digit or '_'"


def is_model_name(name):
    """Whether TF Serving can serve a model by `name` over REST (see `check_model_name`).

    Example:

    ```python
    is_model_name("dcgan_digits"), is_model_name("my model")  # True, False
    ```
    """
    return isinstance(name, str) and bool(_MODEL_NAME.match(name))


def check_model_name(name):
    """Returns `name` if TF Serving can serve a model by it over REST, else raises `ValueError`.

    Letters, digits, `_`, `.` and `-`, not starting with `.` (TF Serving skips hidden folders)
    or `-`.

    Args:
        name: str. The model's name: its folder under `saved_models/` and its URL path.

    Example:

    ```python
    check_model_name("dcgan_digits")  # "dcgan_digits"; "my model" raises
    ```
    """
    if not is_model_name(name):
        raise ValueError("A model name is its folder and its URL path (/v1/models/NAME): use "
                         f"{MODEL_NAME_RULE}. Received: {name!r}")
    return name


def existing_versions(base_dir):
    """Returns the numeric version folders under `base_dir`, sorted (TF Serving's layout).

    Example:

    ```python
    existing_versions("saved_models/dcgan_digits")  # [1, 2]
    ```
    """
    if not os.path.isdir(base_dir):
        return []
    return sorted(int(name) for name in os.listdir(base_dir)
                  if _VERSION.match(name) and os.path.isdir(os.path.join(base_dir, name)))


def export_saved_model(model, base_dir, version=None, verify=True):
    """Exports `model` to `base_dir/<version>/` with its serving signatures, atomically.

    The SavedModel is written into a hidden temporary sibling and renamed into
    place in one step, so a server polling `base_dir` (TF Serving's
    file-system source, or `keras-gen serve`) never sees a half-written
    version. Built with `keras.export.ExportArchive`.

    Args:
        model: a keras_gen `GAN`, `ConditionalGAN`, `VAE` or `VAEGAN`.
        base_dir: str. The model's base path, e.g. `saved_models/dcgan_digits`; its last part
            is the model's name (`check_model_name`).
        version: optional positive int. Defaults to one more than the newest
            existing version (1 for a new model). An existing version is never
            overwritten.

    Returns:
        str. The path of the new version folder.

    Example:

    ```python
    path = export_saved_model(gan, "saved_models/dcgan_digits")  # .../dcgan_digits/1
    ```
    """
    check_model_name(os.path.basename(os.path.normpath(base_dir)))
    check_bool("verify", verify)
    versions = existing_versions(base_dir)
    if version is None:
        version = (versions[-1] + 1) if versions else 1
    check_positive_int("version", version)
    target = os.path.join(base_dir, str(version))
    if os.path.exists(target):
        raise FileExistsError(
            f"{target} already exists; versions are never overwritten. Export a new version "
            f"(omit version= to get {versions[-1] + 1 if versions else 1}) or delete it first."
        )
    return write_serving_model(model, target, verify=verify)


def write_serving_model(model, path, verify=True):
    """Writes `model`'s SavedModel with its serving signatures to the new folder `path`.

    Written into a hidden temporary sibling, checked, then renamed into place in one step.
    `export_saved_model` writes TF Serving's layout with it, and `model.export(path)` too.

    Args:
        model: a keras_gen `GAN`, `ConditionalGAN`, `VAE` or `VAEGAN`.
        path: str. The SavedModel folder; it must not exist yet.
        verify: bool. Check the SavedModel against the Keras model (`verify_export`) before it
            is renamed into place.

    Returns:
        str. `path`.

    Example:

    ```python
    write_serving_model(gan, "exported/dcgan")
    ```
    """
    path = os.path.normpath(os.fspath(path))
    if os.path.exists(path):
        raise FileExistsError(f"{path} already exists; an export is never written over another. "
                              "Export to a new folder, or delete this one first.")
    archive = keras.export.ExportArchive()
    # No `archive.track(model)`: the endpoints capture exactly the variables they use (the
    # sampling generator, or encoder and decoder), so no discriminator ships; and tracking the
    # Keras wrappers as well stores every weight twice (keras-team/keras#23553).
    for name, fn, input_signature in signatures_for(model):
        archive.add_endpoint(name=name, fn=fn, input_signature=input_signature)
    parent, name = os.path.split(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    # A leading dot and a non-numeric name: TF Serving ignores it while it is written.
    temporary = os.path.join(parent, f".tmp-{name}-{uuid.uuid4().hex[:8]}")
    try:
        archive.write_out(temporary, verbose=False)
        if verify:
            from keras_gen.export.verify import verify_export

            verify_export(model, temporary)
        os.rename(temporary, path)
    finally:
        if os.path.exists(temporary):
            shutil.rmtree(temporary)
    return path
