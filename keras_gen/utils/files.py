"""File helpers: atomic writes (a temporary sibling, then one rename) and content hashes.

A reader (a person, TensorBoard, a server polling a folder) sees either the old
file or the complete new one, never a half-written file.
"""

import contextlib
import hashlib
import json
import os
import uuid


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; renames it onto `path` if the block succeeds.

    The temporary name keeps `path`'s suffix (Keras picks the format from
    `.keras` / `.weights.h5`). On an exception the temporary file is removed and
    `path` is left untouched.

    Args:
        path: str. The final file path.

    Example:

    ```python
    with atomic_path("out/model.keras") as tmp:
        model.save(tmp)
    ```
    """
    directory, name = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, f".tmp-{uuid.uuid4().hex[:8]}-{name}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_json_atomic(path, payload):
    """Writes `payload` as indented JSON to `path` atomically.

    Args:
        path: str. Destination.
        payload: JSON-serialisable object.

    Example:

    ```python
    write_json_atomic("out/history.json", {"g_loss": [0.7, 0.6]})
    ```
    """
    with atomic_path(path) as temporary:
        with open(temporary, "w") as handle:
            json.dump(payload, handle, indent=2, sort_keys=True)
            handle.write("\n")


def sha256_of(path):
    """Hex sha256 of a file's bytes, read in 1 MiB chunks.

    Example:

    ```python
    sha256_of("keras_gen/metrics/classifiers/mnist.weights.h5")
    ```
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
