"""`ModelRepository`: the SavedModels under a folder, as TF Serving's policies load them."""

import logging
import os
import threading
import time

from keras_gen.export.models_config import (read_models_config, served_versions,
                                            unservable_name_message)
from keras_gen.export.saved_model import existing_versions, is_model_name
from keras_gen.export.session_model import SessionModel
from keras_gen.utils.arguments import check_non_negative, is_int

log = logging.getLogger(__name__)


class NotFound(LookupError):
    """No such model, version or label (HTTP 404)."""


class NotAvailable(ValueError):
    """A version named at the start did not load, so the server does not start (as TF Serving)."""


class ModelRepository:
    """Serves `base_dir/<name>/<version>/` SavedModels as TF Serving would with `models.config`.

    Each model's version policy and labels come from `base_dir/models.config`;
    a model it does not list gets TF Serving's default policy, the latest
    version only. Everything the policies name is loaded before the
    constructor returns, as TF Serving loads before it answers. Then a
    background thread rescans the folder every `poll_seconds`: a version the
    policy names is loaded when a scan finds it, so a version exported while
    the server runs is served without a restart, and a version no longer
    served (deleted, or superseded under the policy) is unloaded. Loading
    happens beside the requests, which go on to the versions already loaded
    (the new one is `LOADING` in the status meanwhile). As in TF Serving (its
    availability-preserving policy), a superseded version keeps serving until
    a newer one has loaded, so a version that fails to load does not take the
    model down. A failed load is tried again `max_load_retries` times,
    `load_retry_seconds` apart (a copy still under way gets time to finish),
    and stays `LOADING` meanwhile; then the version is `END` with the error in
    the status and is not tried again until the policy drops it and names it
    anew (say it was deleted and exported again), as TF Serving's
    `--max_num_load_retries` / `--load_retry_interval_micros` do. A version
    the start needs that still fails then stops the start (`NotAvailable`),
    as the container refuses to start. A `models.config` that does not parse
    stops the start too; edited into one while serving, it is logged and the
    last one that parsed stays in force, as in TF Serving's config polling. A folder whose name
    is not a model name (`my model`: a name that URLs would carry %-escaped) is not served,
    with a warning, as `write_models_config` leaves it out.

    Args:
        base_dir: str. The `saved_models/` folder.
        poll_seconds: float. Time between rescans; 0 scans once, at the start
            (`rescan()` scans on demand), as TF Serving's
            `--file_system_poll_wait_seconds=0`.
        max_load_retries: int. Tries after a failed load before giving up
            (TF Serving's default: 5).
        load_retry_seconds: float. Time between those tries (TF Serving's
            default: 60).

    Example:

    ```python
    repository = ModelRepository("saved_models")
    version, model = repository.get("dcgan_digits")
    repository.close()  # stops the rescans
    ```
    """

    def __init__(self, base_dir, poll_seconds=1.0, max_load_retries=5, load_retry_seconds=60.0):
        if not os.path.isdir(base_dir):
            raise FileNotFoundError(f"No model folder at {base_dir!r}; export a model with "
                                    "`keras-gen export MODEL_FILE --name NAME --out DIR` first.")
        if not is_int(max_load_retries) or max_load_retries < 0:
            raise ValueError("max_load_retries must be an int >= 0. "
                             f"Received: max_load_retries={max_load_retries!r}")
        for name, value in (("poll_seconds", poll_seconds),
                            ("load_retry_seconds", load_retry_seconds)):
            # A negative poll_seconds turned the rescans off as 0 does, without a word.
            check_non_negative(name, value, "a number of seconds")
        self.base_dir, self.poll_seconds = base_dir, poll_seconds
        self.max_load_retries, self.load_retry_seconds = max_load_retries, load_retry_seconds
        # `_lock` guards what requests read and is never held during a load; `_scan_lock`
        # lets one scan run at a time.
        self._lock, self._scan_lock = threading.Lock(), threading.Lock()
        self._loaded = {}
        # `{(name, version): (failed tries, time.monotonic() of the next try)}` for the loads
        # that failed; guarded by `_scan_lock`, as only scans load.
        self._failures = {}
        self._versions, self._labels, self._unservable_names = {}, {}, set()
        self._config, self._config_error = read_models_config(base_dir), None
        # Every version ever served or tried, as `(state, error code, error message)`: what
        # TF Serving's servable state monitor remembers and its model status lists.
        self._states = {}
        self._start()
        self._stopped, self._poller = threading.Event(), None
        if poll_seconds > 0:
            self._poller = threading.Thread(target=self._poll, daemon=True,
                                            name=f"rescan {base_dir}")
            self._poller.start()

    def _start(self):
        """Loads what the policies name, waiting out the retries; refuses a start that failed."""
        self.rescan()
        while pending := [retry_at for tries, retry_at in self._failures.values()
                          if tries <= self.max_load_retries]:
            time.sleep(max(0.0, min(pending) - time.monotonic()))
            self.rescan()
        failed = [f"{name} version {version}" for (name, version) in sorted(self._failures)]
        if failed:
            raise NotAvailable(
                f"{len(failed)} servable(s) did not become available: {', '.join(failed)} "
                f"(tried {self.max_load_retries + 1} times; the errors are logged above). "
                "Export those models again, or delete their version folders, then start again.")

    def _poll(self):
        while not self._stopped.wait(self.poll_seconds):
            try:
                self.rescan()
            except Exception:  # e.g. a folder removed while it was listed: the poller lives on
                log.exception("Rescanning %s failed; trying again in %s s.", self.base_dir,
                              self.poll_seconds)

    def close(self):
        """Stops the rescans (the loaded versions keep answering)."""
        self._stopped.set()
        if self._poller is not None:
            self._poller.join(timeout=30)

    def _read_config(self):
        try:
            self._config, self._config_error = read_models_config(self.base_dir), None
        except (OSError, ValueError) as error:
            if str(error) != self._config_error:  # once per new error, not at every rescan
                log.error("%s Serving on under the last models.config that parsed.", error)
                self._config_error = str(error)
        return self._config

    def rescan(self):
        """Rereads `models.config` and the folder; loads and unloads versions to match them."""
        with self._scan_lock:
            config = self._read_config()
            on_disk = self._models_on_disk()
            aspired = {name: served_versions(config.get(name, {}).get("version_policy"), versions)
                       for name, versions in on_disk.items()}
            # A failed version the policy no longer names is forgotten: named anew (exported
            # again after a delete), it gets fresh tries, as TF Serving re-aspires it.
            self._failures = {key: failure for key, failure in self._failures.items()
                              if key[1] in aspired.get(key[0], ())}
            for name, versions in aspired.items():
                for version in versions:
                    self._load(name, version)
            with self._lock:
                self._serve(config, on_disk, aspired)

    def _models_on_disk(self):
        """`{name: [versions]}` of the model folders, without those no REST URL reaches."""
        on_disk = {name: existing_versions(os.path.join(self.base_dir, name))
                   for name in sorted(os.listdir(self.base_dir))
                   if os.path.isdir(os.path.join(self.base_dir, name))}
        for name in [name for name, versions in on_disk.items()
                     if versions and not is_model_name(name)]:
            del on_disk[name]
            if name not in self._unservable_names:  # said once, not at every rescan
                log.warning(unservable_name_message(self.base_dir, name))
                self._unservable_names.add(name)
        return on_disk

    def _load(self, name, version):
        """Loads a version unless it is loaded, waiting for its next try, or given up on."""
        key, path = (name, version), os.path.join(self.base_dir, name, str(version))
        with self._lock:
            if key in self._loaded:
                return
        tries, retry_at = self._failures.get(key, (0, 0.0))
        if tries > self.max_load_retries or time.monotonic() < retry_at:
            return
        with self._lock:
            self._states.setdefault(name, {})[version] = ("LOADING", "OK", "")
        try:
            model = SessionModel(path)  # outside the lock: requests go on meanwhile
        except Exception as error:  # Any broken export: reported, never fatal to the server.
            self._record_failure(key, path, tries + 1, error)
            return
        self._failures.pop(key, None)
        with self._lock:
            self._loaded[key] = model

    def _record_failure(self, key, path, tries, error):
        """Schedules the next try of a failed load, or gives up on it after the last one."""
        code = _error_code(error)
        message = f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"
        self._failures[key] = (tries, time.monotonic() + self.load_retry_seconds)
        said = message.rstrip(".")
        if tries <= self.max_load_retries:  # still LOADING, as while TF Serving's retrier waits
            log.warning("Loading %s failed (%s): %s. Retry %d of %d in %g s.", path, code, said,
                        tries, self.max_load_retries, self.load_retry_seconds)
            return
        log.error("Loading %s failed (%s): %s. Gave up after %d tries, as TF Serving does: "
                  "export the model again as a new version.", path, code, said, tries)
        with self._lock:
            self._states[key[0]][key[1]] = ("END", code, message)

    def _serve(self, config, on_disk, aspired):
        """Swaps in what is served now, from the versions on disk and those loaded."""
        self._versions = {}
        for name, versions in on_disk.items():
            ready = [version for version in aspired[name] if (name, version) in self._loaded]
            # Availability preserving: the versions on their way out stay while none of those
            # the policy names has loaded (unless it names none).
            kept = ready if ready or not aspired[name] else [
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

    def models(self):
        """Returns `{name: [versions]}` of everything servable now."""
        with self._lock:
            return dict(self._versions)

    def status(self, name, version=None):
        """Returns `[(version, state, error_code, error_message)]`, newest first, as TF Serving.

        Args:
            name: str. Model name.
            version: optional int. Only this version (it may be "END": served once and
                unloaded, or failed to load, with the error).

        Returns:
            list of `(int, str, str, str)`: every version served or tried since the start,
            or the one asked for: "LOADING", "AVAILABLE", or "END" (unloaded, or failed to
            load). The error code is "OK" unless loading failed.

        Example:

        ```python
        repository.status("dcgan_digits")  # [(2, "AVAILABLE", "OK", ""), (1, "END", "OK", "")]
        ```
        """
        with self._lock:
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
            version = self._resolve(name, version, label)
            return version, self._loaded[(name, version)]


def _error_code(error):
    """TF Serving's status code name for a load error: `NotFoundError` -> "NOT_FOUND"."""
    from tensorflow.core.protobuf import error_codes_pb2

    code = getattr(error, "error_code", None)  # set on TensorFlow's OpError family
    return error_codes_pb2.Code.Name(code) if code is not None else "UNKNOWN"
