"""File helpers: atomic writes (a temporary sibling, then one rename), content hashes, and
Keras' home folder.

A reader (a person, TensorBoard, a server polling a folder) sees either the old
file or the complete new one, never a half-written file.
"""

import contextlib
import hashlib
import json
import os
import shutil
import uuid


def keras_home():
    """Keras' home folder: `$KERAS_HOME`, else `~/.keras`; `/tmp/.keras` where that is not
    writable.

    Keras' own rule (`keras.utils.get_file`), which Keras does not expose. Read at each call, so
    a `KERAS_HOME` set after Keras was imported counts too.

    Example:

    ```python
    keras_home()  # "/home/me/.keras"
    ```
    """
    home = os.environ.get("KERAS_HOME")
    if home is None:
        user = os.path.expanduser("~")
        home = os.path.join(user if os.access(user, os.W_OK) else "/tmp", ".keras")
    home = os.path.expanduser(home)
    if not os.access(home, os.W_OK):
        home = os.path.join("/tmp", ".keras")
    return home


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; renames it onto `path` if the block succeeds.

    The temporary name keeps `path`'s suffix (Keras picks the format from
    `.keras` / `.weights.h5`). On an exception the temporary file is removed and
    `path` is left untouched.

    Args:
        path: str. The final file path.

    Raises:
        IsADirectoryError: if `path` is a folder, before anything is written.

    Example:

    ```python
    with atomic_path("out/model.keras") as tmp:
        model.save(tmp)
    ```
    """
    if os.path.isdir(path):
        # Else the whole file was written first, then the rename failed naming the temp file.
        raise IsADirectoryError(f"{path} is a folder, so a file cannot be written there. Give "
                                "a file path, or move the folder away.")
    directory, name = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, f".tmp-{uuid.uuid4().hex[:8]}-{name}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


@contextlib.contextmanager
def atomic_folder(path):
    """Yields a new hidden folder beside `path`; puts it in `path`'s place if the block succeeds.

    For files that are only valid together (a preset's weights and the sha256 recorded for
    them): a reader finds the old set or the new one, never a mix (or, for the instant between
    two renames, no folder). An existing `path` is moved aside and removed once the new folder
    is in place; a crash between those two renames leaves both complete folders on disk. On an
    exception the new folder is removed and `path` is left untouched.

    Args:
        path: str. The final folder; it may exist (it is replaced as a whole).

    Example:

    ```python
    with atomic_folder("my_preset") as folder:
        write_json_atomic(os.path.join(folder, "metadata.json"), metadata)
    ```
    """
    if os.path.exists(path) and not os.path.isdir(path):
        raise FileExistsError(f"{path} is a file, not a folder; pass a folder's path.")
    parent, name = os.path.split(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    temporary = os.path.join(parent, f".tmp-{uuid.uuid4().hex[:8]}-{name}")
    os.mkdir(temporary)
    try:
        yield temporary
        if os.path.exists(path):
            old = os.path.join(parent, f".old-{uuid.uuid4().hex[:8]}-{name}")
            os.rename(path, old)
            os.rename(temporary, path)
            shutil.rmtree(old)
        else:
            os.rename(temporary, path)
    finally:
        if os.path.exists(temporary):
            shutil.rmtree(temporary)


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
