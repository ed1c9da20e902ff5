"""`models.config`: TensorFlow Serving's `ModelServerConfig` for every model in a folder."""

import os

from keras_gen.export.saved_model import existing_versions
from keras_gen.utils.files import atomic_path


def write_models_config(saved_models_dir, container_root="/models"):
    """Writes `saved_models_dir/models.config` listing every model folder that has a version.

    Each model is served from `container_root/<name>` (where the container
    mounts `saved_models/`) with the latest-version policy. Version labels
    already in the file are kept. The file is TF Serving's text format,
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
    labels = {}
    if os.path.exists(path):
        with open(path) as handle:
            old = text_format.Parse(handle.read(), model_server_config_pb2.ModelServerConfig())
        labels = {c.name: dict(c.version_labels) for c in old.model_config_list.config}
    config = model_server_config_pb2.ModelServerConfig()
    config.model_config_list.SetInParent()  # an empty list, not a missing one, when no models
    for name in sorted(os.listdir(saved_models_dir)):
        versions = existing_versions(os.path.join(saved_models_dir, name))
        if not versions:
            continue
        entry = config.model_config_list.config.add()
        entry.name = name
        entry.base_path = f"{container_root.rstrip('/')}/{name}"
        entry.model_platform = "tensorflow"
        entry.model_version_policy.latest.num_versions = 1
        for label, version in labels.get(name, {}).items():
            if version in versions:
                entry.version_labels[label] = version
    with atomic_path(path) as temporary:
        with open(temporary, "w") as handle:
            handle.write(text_format.MessageToString(config))
    return path


def read_models_config(saved_models_dir):
    """Returns `{name: {"base_path": ..., "version_labels": {...}}}` from `models.config`.

    Example:

    ```python
    read_models_config("saved_models")["dcgan_digits"]["version_labels"]  # {"stable": 1}
    ```
    """
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    path = os.path.join(saved_models_dir, "models.config")
    if not os.path.exists(path):
        return {}
    with open(path) as handle:
        config = text_format.Parse(handle.read(), model_server_config_pb2.ModelServerConfig())
    return {c.name: {"base_path": c.base_path, "version_labels": dict(c.version_labels)}
            for c in config.model_config_list.config}
