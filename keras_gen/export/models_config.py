"""`models.config`: TensorFlow Serving's `ModelServerConfig` for every model in a folder."""

import os
import warnings

from keras_gen.export.saved_model import MODEL_NAME_RULE, existing_versions, is_model_name
from keras_gen.utils.files import atomic_path


def write_models_config(saved_models_dir, container_root="/models"):
    """Writes `saved_models_dir/models.config` listing every model folder that has a version.

    A folder whose name is not a model name (`check_model_name`; e.g. `my model`, copied in by
    hand) is left out with a warning: TF Serving would load it, but no REST URL reaches it.

    Each model is served from `container_root/<name>` (where the container
    mounts `saved_models/`). A model already in the file keeps its version
    policy (e.g. `specific` versions for a canary) and those of its version
    labels that point to a version the policy serves (TF Serving refuses a
    label on a version it has not loaded); a new model gets TF Serving's
    default, the latest version. The file is TF Serving's text format,
    produced with its own protocol buffer (`tensorflow-serving-api`).

    Args:
        saved_models_dir: str. Folder of `<name>/<version>/` model base paths.
        container_root: str. Where the folder is mounted inside the container.

    Returns:
        str. The config file's path.

    Example:

    ```python
    write_models_config("saved_models")
    ```
    """
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    path = os.path.join(saved_models_dir, "models.config")
    old = {c.name: c for c in _parse(path).model_config_list.config}
    config = model_server_config_pb2.ModelServerConfig()
    config.model_config_list.SetInParent()  # an empty list, not a missing one, when no models
    for name in sorted(os.listdir(saved_models_dir)):
        versions = existing_versions(os.path.join(saved_models_dir, name))
        if not versions:
            continue
        if not is_model_name(name):
            warnings.warn(unservable_name_message(saved_models_dir, name), stacklevel=2)
            continue
        entry = config.model_config_list.config.add()
        entry.name = name
        entry.base_path = f"{container_root.rstrip('/')}/{name}"
        entry.model_platform = "tensorflow"
        if name in old and old[name].model_version_policy.WhichOneof("policy_choice"):
            entry.model_version_policy.CopyFrom(old[name].model_version_policy)
        else:
            entry.model_version_policy.latest.num_versions = 1
        served = served_versions(_policy_of(entry), versions)
        for label, version in (old[name].version_labels.items() if name in old else ()):
            if version in served:
                entry.version_labels[label] = version
    with atomic_path(path) as temporary:
        with open(temporary, "w") as handle:
            handle.write(text_format.MessageToString(config))
    return path


def read_models_config(saved_models_dir):
    """Reads `saved_models_dir/models.config` (`{}` when there is none).

    Args:
        saved_models_dir: str. The folder `write_models_config` wrote to.

    Returns:
        `{name: {"base_path": str, "version_labels": {label: version},
        "version_policy": {"latest": n} | {"specific": [versions]} | {"all": True}}}`.

    Raises:
        ValueError: the file is not TF Serving's text format; the message says where.

    Example:

    ```python
    read_models_config("saved_models")["dcgan_digits"]["version_labels"]  # {"stable": 1}
    ```
    """
    config = _parse(os.path.join(saved_models_dir, "models.config"))
    return {c.name: {"base_path": c.base_path, "version_labels": dict(c.version_labels),
                     "version_policy": _policy_of(c)}
            for c in config.model_config_list.config}


def served_versions(policy, versions):
    """The versions TF Serving serves of those on disk, under a version policy.

    Args:
        policy: dict. `{"latest": n}`, `{"specific": [versions]}` or `{"all": True}`,
            as `read_models_config` returns (None: TF Serving's default, the latest one).
        versions: sorted list of int. The versions on disk.

    Returns:
        Sorted list of int.

    Example:

    ```python
    served_versions({"latest": 1}, [1, 2, 3])  # [3]
    served_versions({"specific": [1, 3, 9]}, [1, 2, 3])  # [1, 3]
    ```
    """
    policy = policy or {"latest": 1}
    if "all" in policy:
        return list(versions)
    if "specific" in policy:
        return [version for version in versions if version in policy["specific"]]
    return list(versions)[-policy["latest"]:]


def unservable_name_message(saved_models_dir, name):
    """Why the model folder `name` is not served, and how to fix that.

    Example:

    ```python
    unservable_name_message("saved_models", "my model")
    ```
    """
    return (f"Not serving {os.path.join(saved_models_dir, name)!r}: a model name is written in "
            "every request URL (/v1/models/NAME), and keras_gen takes only names that need no "
            f"%-escapes there. Rename the folder (use {MODEL_NAME_RULE}).")


def _parse(path):
    """The `ModelServerConfig` in `path`: empty when there is no file, ValueError if unreadable."""
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    config = model_server_config_pb2.ModelServerConfig()
    if not os.path.exists(path):
        return config
    with open(path) as handle:
        text = handle.read()
    try:
        return text_format.Parse(text, config)
    except text_format.ParseError as error:
        raise ValueError(
            f"{path} is not a TF Serving ModelServerConfig: {error} (line:column). Fix that "
            "line, or delete the file and run `keras-gen export` to write a new one.") from None


def _policy_of(model_config):
    policy = model_config.model_version_policy
    choice = policy.WhichOneof("policy_choice")
    if choice == "specific":
        return {"specific": sorted(policy.specific.versions)}
    if choice == "all":
        return {"all": True}
    # An unset policy and `latest {}` both mean the latest one (TF Serving's default).
    return {"latest": (policy.latest.num_versions or 1) if choice == "latest" else 1}
