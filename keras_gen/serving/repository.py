"""`ModelRepository`: the SavedModels under a folder, as TF Serving's policies load them."""

import logging
import os
import threading
import time

from keras_gen.export.models_config import read_models_config, served_versions
from keras_gen.export.saved_model import existing_versions
from keras_gen.export.session_model import SessionModel

log = logging.getLogger(__name__)


class NotFound(LookupError):
    """No such model, version or label (HTTP 404)."""


class ModelRepository:
    """Serves `base_dir/<name>/<version>/` SavedModels as TF Serving would with `models.config`.

    Each model's version policy and labels come from `base_dir/models.config`;
    a model it does not list gets TF Serving's default policy, the latest
    version only. The folder is rescanned at most every `poll_seconds`: a
    version the policy names is loaded at the first scan that finds it, so a
    version exported while the server runs is served without a restart, and
    a version no longer served (deleted, or superseded under the policy) is
    unloaded. As in TF Serving (its availability-preserving policy), a
    superseded version keeps serving until a newer one has loaded, so a
    version that fails to load (its error is in the status) does not take the
    model down. A `models.config` that does not parse stops the start; edited
    into one while serving, it is logged and the last one that parsed stays
    in force, as in TF Serving's config polling.

    Args:
        base_dir: str. The `saved_models/` folder.
        poll_seconds: float. Minimum time between rescans.

    Example:

    ```python
    repository = ModelRepository("saved_models")
    version, model = repository.get("dcgan_digits")
    ```
    """

    def __init__(self, base_dir, poll_seconds=1.0):
        if not os.path.isdir(base_dir):
            raise FileNotFoundError(f"No model folder at {base_dir!r}; export a model with "
                                    "`keras-gen export MODEL_FILE --name NAME --out DIR` first.")
        self.base_dir, self.poll_seconds = base_dir, poll_seconds
        self._lock = threading.Lock()
        self._loaded, self._failed = {}, {}
        self._versions, self._labels, self._scanned_at = {}, {}, 0.0
        self._config, self._config_error = read_models_config(base_dir), None
        # Every version ever served or tried, as `(state, error code, error message)`: what
        # TF Serving's servable state monitor remembers and its model status lists.
        self._states = {}
        with self._lock:  # Loaded before the first request, as TF Serving starts.
            self._rescan()

    def _read_config(self):
        try:
            self._config, self._config_error = read_models_config(self.base_dir), None
        except (OSError, ValueError) as error:
            if str(error) != self._config_error:  # once per new error, not at every rescan
                log.error("%s Serving on under the last models.config that parsed.", error)
                self._config_error = str(error)
        return self._config

    def _rescan(self):
        if time.monotonic() - self._scanned_at < self.poll_seconds:
            return
        config = self._read_config()
        on_disk = {name: existing_versions(os.path.join(self.base_dir, name))
                   for name in sorted(os.listdir(self.base_dir))
                   if os.path.isdir(os.path.join(self.base_dir, name))}
        self._versions = {}
        for name, versions in on_disk.items():
            aspired = served_versions(config.get(name, {}).get("version_policy"), versions)
            ready = [version for version in aspired if self._load(name, version)]
            # Availability preserving: the versions on their way out stay while none of those
            # the policy names has loaded (unless it names none).
            kept = ready if ready or not aspired else [
                version for version in versions if (name, version) in self._loaded]
            if kept:
                self._versions[name] = kept
        self._labels = {name: entry["version_labels"] for name, entry in config.items()}
        # A version no longer served leaves memory too, as TF Serving unloads it; requests
        # still running on it hold their own reference until they finish.
        self._loaded = {key: model for key, model in self._loaded.items()
                        if key[1] in self._versions.get(key[0], ())}
        for name, states in self._states.items():
            for version, state in states.items():
                if state[0] == "AVAILABLE" and version not in self._versions.get(name, ()):
                    states[version] = ("END", "OK", "")
        for name, versions in self._versions.items():
            self._states.setdefault(name, {}).update(
                dict.fromkeys(versions, ("AVAILABLE", "OK", "")))
        self._scanned_at = time.monotonic()

    def _load(self, name, version):
        """Loads a version unless loaded already; False if it fails (retried when files change)."""
        key, path = (name, version), os.path.join(self.base_dir, name, str(version))
        if key in self._loaded:
            return True
        stamp = _modified(path)
        if self._failed.get(key) == stamp:
            return False
        try:
            self._loaded[key] = SessionModel(path)
        except Exception as error:  # Any broken export: reported, never fatal to the server.
            code = _error_code(error)
            message = f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"
            log.error("Loading %s failed (%s): %s", path, code, message)
            self._failed[key] = stamp
            self._states.setdefault(name, {})[version] = ("END", code, message)
            return False
        self._failed.pop(key, None)
        return True

    def models(self):
        """Returns `{name: [versions]}` of everything servable now."""
        with self._lock:
            self._rescan()
            return dict(self._versions)

    def status(self, name, version=None):
        """Returns `[(version, state, error_code, error_message)]`, newest first, as TF Serving.

        Args:
            name: str. Model name.
            version: optional int. Only this version (it may be "END": served once and
                unloaded, or failed to load, with the error).

        Returns:
            list of `(int, str, str, str)`: every version served or tried since the start,
            or the one asked for. The error code is "OK" unless loading failed.

        Example:

        ```python
        repository.status("dcgan_digits")  # [(2, "AVAILABLE", "OK", ""), (1, "END", "OK", "")]
        ```
        """
        with self._lock:
            self._rescan()
            states = self._states.get(name, {})
            if version is None:
                if not states:
                    raise NotFound(f"Could not find any versions of model {name}")
                return [(number, *states[number]) for number in sorted(states, reverse=True)]
            if version not in states:
                raise NotFound(f"Could not find version {version} of model {name}")
            return [(version, *states[version])]

    def resolve(self, name, version=None, label=None):
        """Returns the version number a request for `name` (and version or label) means."""
        with self._lock:
            self._rescan()
            return self._resolve(name, version, label)

    def _resolve(self, name, version, label):
        versions = self._versions.get(name)
        if not versions:
            raise NotFound(f"Servable not found for request: Latest({name})")
        if label is not None:
            # TF Serving only labels versions it serves (it refuses such a config).
            if self._labels.get(name, {}).get(label) not in versions:
                raise NotFound(f"Unrecognized servable version label: {label}")
            version = self._labels[name][label]
        if version is None:
            return versions[-1]
        if version not in versions:
            raise NotFound(f"Servable not found for request: Specific({name}, {version})")
        return version

    def get(self, name, version=None, label=None):
        """Returns `(version, SessionModel)` of a served version."""
        with self._lock:
            self._rescan()
            version = self._resolve(name, version, label)
            return version, self._loaded[(name, version)]


def _modified(path):
    """The version folder's file count and newest modification time: changes as files land."""
    times = []
    for folder, _, names in os.walk(path):
        for name in names:
            try:
                times.append(os.stat(os.path.join(folder, name)).st_mtime_ns)
            except OSError:  # removed while walking: the next scan sees the change
                pass
    return len(times), max(times, default=0)


def _error_code(error):
    """TF Serving's status code name for a load error: `NotFoundError` -> "NOT_FOUND"."""
    from tensorflow.core.protobuf import error_codes_pb2

    code = getattr(error, "error_code", None)  # set on TensorFlow's OpError family
    return error_codes_pb2.Code.Name(code) if code is not None else "UNKNOWN"
