"""`ModelRepository`: the SavedModels under a folder, loaded lazily, new versions found live."""

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
    version only. The folder is rescanned at most every `poll_seconds`, so a
    version exported while the server runs is served from the next request
    on, without a restart, and a version no longer served (deleted, or
    superseded under the policy) is unloaded. A `models.config` that does not
    parse stops the start; edited into one while serving, it is logged and
    the last one that parsed stays in force, as in TF Serving's config polling.

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
        self._loaded = {}
        self._versions, self._labels, self._scanned_at = {}, {}, 0.0
        self._config, self._config_error = read_models_config(base_dir), None
        # Every version ever served and its state, "AVAILABLE" or "END" once unloaded: what
        # TF Serving's servable state monitor remembers and its model status lists.
        self._states = {}

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
        served = {name: served_versions(config.get(name, {}).get("version_policy"), versions)
                  for name, versions in on_disk.items()}
        self._versions = {name: versions for name, versions in served.items() if versions}
        self._labels = {name: entry["version_labels"] for name, entry in config.items()}
        # A version no longer served leaves memory too, as TF Serving unloads it; requests
        # still running on it hold their own reference until they finish.
        self._loaded = {key: model for key, model in self._loaded.items()
                        if key[1] in self._versions.get(key[0], ())}
        for name, states in self._states.items():
            for version in states:
                if version not in self._versions.get(name, ()):
                    states[version] = "END"
        for name, versions in self._versions.items():
            self._states.setdefault(name, {}).update(dict.fromkeys(versions, "AVAILABLE"))
        self._scanned_at = time.monotonic()

    def models(self):
        """Returns `{name: [versions]}` of everything servable now."""
        with self._lock:
            self._rescan()
            return dict(self._versions)

    def status(self, name, version=None):
        """Returns `[(version, state)]`, newest first, as TF Serving's model status lists them.

        Args:
            name: str. Model name.
            version: optional int. Only this version (it may be "END": served once, unloaded).

        Returns:
            list of `(int, str)`: every version served since the start, or the one asked for.

        Example:

        ```python
        repository.status("dcgan_digits")  # [(2, "AVAILABLE"), (1, "END")]
        ```
        """
        with self._lock:
            self._rescan()
            states = self._states.get(name, {})
            if version is None:
                if not states:
                    raise NotFound(f"Could not find any versions of model {name}")
                return sorted(states.items(), reverse=True)
            if version not in states:
                raise NotFound(f"Could not find version {version} of model {name}")
            return [(version, states[version])]

    def resolve(self, name, version=None, label=None):
        """Returns the version number a request for `name` (and version or label) means."""
        with self._lock:
            self._rescan()
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
        """Returns `(version, SessionModel)`, loading it on first use (as TF Serving does)."""
        version = self.resolve(name, version, label)
        key = (name, version)
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = SessionModel(os.path.join(self.base_dir, name, str(version)))
            return version, self._loaded[key]
