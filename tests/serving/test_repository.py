"""`ModelRepository`: TF Serving's version policies and labels, and versions leaving memory."""

import gc
import os
import shutil
import threading
import time
import weakref

import pytest

from keras_gen import export
from keras_gen.serving.repository import ModelRepository, NotAvailable, NotFound
from tests.helpers import tiny_gan, wait_until


@pytest.fixture()
def three_versions(tmp_path):
    gan = tiny_gan()
    for version in (1, 2, 3):
        export.export_saved_model(gan, str(tmp_path / "tiny"), version=version, verify=False)
    return tmp_path


def write_policy(folder, policy_text, labels=()):
    """Rewrites models.config: one model's `model_version_policy` and labels, as a user would."""
    label_text = "".join(f"    version_labels {{ key: \"{key}\" value: {value} }}\n"
                         for key, value in labels)
    (folder / "models.config").write_text(
        "model_config_list {\n  config {\n    name: \"tiny\"\n    base_path: \"/models/tiny\"\n"
        f"    model_platform: \"tensorflow\"\n    model_version_policy {{ {policy_text} }}\n"
        f"{label_text}  }}\n}}\n")


def test_the_default_policy_serves_the_latest_version_only(three_versions):
    export.write_models_config(str(three_versions))  # new models: `latest { num_versions: 1 }`
    repository = ModelRepository(str(three_versions), poll_seconds=0)  # rescans only when asked
    assert repository.models() == {"tiny": [3]}
    assert repository.get("tiny")[0] == 3
    with pytest.raises(NotFound, match=r"Specific\(tiny, 2\)"):
        repository.get("tiny", version=2)


@pytest.mark.parametrize("policy, served", [("latest { num_versions: 2 }", [2, 3]),
                                            ("specific { versions: 1 versions: 3 }", [1, 3]),
                                            ("all {}", [1, 2, 3])])
def test_version_policies_from_models_config(three_versions, policy, served):
    write_policy(three_versions, policy)
    repository = ModelRepository(str(three_versions), poll_seconds=0)
    assert repository.models() == {"tiny": served}
    assert repository.get("tiny")[0] == 3


def test_labels_resolve_only_to_served_versions(three_versions):
    write_policy(three_versions, "specific { versions: 1 versions: 2 }",
                 labels=[("stable", 1), ("canary", 2), ("stale", 3)])
    repository = ModelRepository(str(three_versions), poll_seconds=0)
    assert repository.resolve("tiny", label="stable") == 1
    assert repository.resolve("tiny", label="canary") == 2
    assert repository.resolve("tiny") == 2  # the latest of those served
    for label in ("stale", "unknown"):  # TF Serving would not load a label on version 3
        with pytest.raises(NotFound, match=f"Unrecognized servable version label: {label}"):
            repository.resolve("tiny", label=label)


def test_folders_no_rest_url_reaches_are_not_served(three_versions, caplog):
    # write_models_config leaves a name that URLs would carry %-escaped ("my%20model") out of
    # models.config, so the container does not serve it, and neither does the local server.
    shutil.copytree(three_versions / "tiny", three_versions / "my model")
    repository = ModelRepository(str(three_versions), poll_seconds=0)
    repository.rescan()
    assert repository.models() == {"tiny": [3]}
    with pytest.raises(NotFound):
        repository.get("my model")
    said = [message for message in caplog.messages if message.startswith("Not serving")]
    assert len(said) == 1  # once, not at every rescan
    assert said[0].startswith(f"Not serving {str(three_versions / 'my model')!r}")


def test_a_version_no_longer_served_is_unloaded(three_versions):
    write_policy(three_versions, "all {}")
    repository = ModelRepository(str(three_versions), poll_seconds=0)
    _, first = repository.get("tiny", version=1)
    released = weakref.ref(first)
    del first
    shutil.rmtree(three_versions / "tiny" / "1")
    repository.rescan()
    with pytest.raises(NotFound, match=r"Specific\(tiny, 1\)"):
        repository.get("tiny", version=1)
    gc.collect()
    assert released() is None  # the repository let go of version 1's session
    _, second = repository.get("tiny", version=2)
    released = weakref.ref(second)
    del second
    write_policy(three_versions, "latest {}")  # superseded: only version 3 is served now
    repository.rescan()
    assert repository.models() == {"tiny": [3]}
    gc.collect()
    assert released() is None


def states(repository, name, version=None):
    return [(number, state) for number, state, code, _ in repository.status(name, version)
            if code == "OK"]


def test_status_lists_every_version_served_newest_first(three_versions):
    export.write_models_config(str(three_versions))  # the default: version 3 only
    repository = ModelRepository(str(three_versions), poll_seconds=0)
    assert repository.status("tiny") == [(3, "AVAILABLE", "OK", "")]
    # On disk but never served: TF Serving's state monitor has not heard of it either.
    with pytest.raises(NotFound, match="Could not find version 1 of model tiny"):
        repository.status("tiny", version=1)
    with pytest.raises(NotFound, match="Could not find any versions of model nope"):
        repository.status("nope")
    write_policy(three_versions, "all {}")
    repository.rescan()
    assert states(repository, "tiny") == [(3, "AVAILABLE"), (2, "AVAILABLE"), (1, "AVAILABLE")]
    write_policy(three_versions, "specific { versions: 2 }")
    repository.rescan()
    assert states(repository, "tiny") == [(3, "END"), (2, "AVAILABLE"), (1, "END")]
    assert states(repository, "tiny", 3) == [(3, "END")]


def test_a_failed_load_is_tried_again_after_the_retry_interval(three_versions, tmp_path, caplog):
    export.write_models_config(str(three_versions))
    repository = ModelRepository(str(three_versions), poll_seconds=0, max_load_retries=2,
                                 load_retry_seconds=2.0)
    assert repository.get("tiny")[0] == 3
    # Version 4 copied in file by file (not moved in whole): the scan finds it half there.
    complete = export.export_saved_model(tiny_gan(), str(tmp_path / "elsewhere"), verify=False)
    copying = three_versions / "tiny" / "4"
    copying.mkdir()
    shutil.copy2(os.path.join(complete, "saved_model.pb"), copying)
    with caplog.at_level("WARNING", logger="keras_gen.serving.repository"):
        repository.rescan()
        repository.rescan()  # within the retry interval: not tried again
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert "Retry 1 of 2 in 2 s" in caplog.records[0].getMessage()
    # Version 4 is the one the policy names now, but it has not loaded: 3 keeps serving, as
    # TF Serving's availability-preserving policy keeps it, and 4 is LOADING while it waits.
    assert repository.get("tiny")[0] == 3
    assert states(repository, "tiny") == [(4, "LOADING"), (3, "AVAILABLE")]
    # The rest of the files land; the next try after the interval loads them, and 3 goes.
    shutil.copytree(os.path.join(complete, "variables"), copying / "variables")
    time.sleep(2.0)
    repository.rescan()
    assert repository.get("tiny")[0] == 4
    assert states(repository, "tiny")[:2] == [(4, "AVAILABLE"), (3, "END")]


def test_a_load_that_keeps_failing_is_given_up_until_exported_again(three_versions, caplog):
    export.write_models_config(str(three_versions))
    repository = ModelRepository(str(three_versions), poll_seconds=0, max_load_retries=1,
                                 load_retry_seconds=0)
    broken = three_versions / "tiny" / "4"
    broken.mkdir()
    (broken / "saved_model.pb").write_bytes(b"not a SavedModel")
    with caplog.at_level("WARNING", logger="keras_gen.serving.repository"):
        repository.rescan()  # the first try
        assert states(repository, "tiny")[0] == (4, "LOADING")
        repository.rescan()  # the one retry: given up
        repository.rescan()  # and not tried again, as TF Serving does not
    assert [record.levelname for record in caplog.records] == ["WARNING", "ERROR"]
    assert "Gave up after 2 tries" in caplog.records[1].getMessage()
    (version, state, code, message), = repository.status("tiny", version=4)
    assert (version, state) == (4, "END") and code != "OK" and message
    assert repository.get("tiny")[0] == 3
    # Deleted, then exported again: the policy names version 4 anew, and it gets fresh tries.
    shutil.rmtree(broken)
    repository.rescan()
    export.export_saved_model(tiny_gan(), str(three_versions / "tiny"), version=4, verify=False)
    repository.rescan()
    assert repository.get("tiny")[0] == 4
    assert states(repository, "tiny")[:2] == [(4, "AVAILABLE"), (3, "END")]


def test_the_start_waits_out_the_retries_then_refuses_a_version_that_does_not_load(tmp_path):
    broken = tmp_path / "tiny" / "1"
    broken.mkdir(parents=True)
    (broken / "saved_model.pb").write_bytes(b"not a SavedModel")
    started = time.monotonic()
    with pytest.raises(NotAvailable, match=r"^1 servable\(s\) did not become available: "
                                           r"tiny version 1 \(tried 3 times"):
        ModelRepository(str(tmp_path), max_load_retries=2, load_retry_seconds=0.2)
    assert time.monotonic() - started >= 0.4  # two waits between the three tries
    with pytest.raises(ValueError, match=r"max_load_retries must be an int >= 0. "
                                         r"Received: max_load_retries=-1"):
        ModelRepository(str(tmp_path), max_load_retries=-1)


def test_a_models_config_that_does_not_parse(three_versions, caplog):
    (three_versions / "models.config").write_text("model_config_list {\n  config { nme: 1 }\n}\n")
    with pytest.raises(ValueError, match=r"models.config is not a TF Serving ModelServerConfig: "
                                         r"2:.*nme.*delete the file and run `keras-gen export`"):
        ModelRepository(str(three_versions))
    write_policy(three_versions, "all {}")
    repository = ModelRepository(str(three_versions), poll_seconds=0)
    # Broken while serving: logged once, and the last config that parsed stays in force.
    (three_versions / "models.config").write_text("model_config_list { config {")
    with caplog.at_level("ERROR", logger="keras_gen.serving.repository"):
        repository.rescan()
        repository.rescan()
        assert repository.models() == {"tiny": [1, 2, 3]}
        assert repository.get("tiny", version=1)[0] == 1
    errors = [record.getMessage() for record in caplog.records]
    assert len(errors) == 1 and "Serving on under the last models.config" in errors[0]
    write_policy(three_versions, "latest {}")  # fixed: it applies at the next rescan
    repository.rescan()
    assert repository.models() == {"tiny": [3]}


def test_requests_are_answered_while_a_new_version_loads(three_versions, monkeypatch):
    from keras_gen.serving import repository as repository_module

    export.write_models_config(str(three_versions))
    repository = ModelRepository(str(three_versions), poll_seconds=0.05)
    started, release = threading.Event(), threading.Event()

    class SlowSessionModel(repository_module.SessionModel):
        def __init__(self, path):
            started.set()
            assert release.wait(timeout=60)
            super().__init__(path)

    monkeypatch.setattr(repository_module, "SessionModel", SlowSessionModel)
    try:
        export.export_saved_model(tiny_gan(), str(three_versions / "tiny"), version=4,
                                  verify=False)
        assert started.wait(timeout=30)  # the poller found version 4 and is loading it
        # Version 3 answers meanwhile, without waiting for the load.
        assert repository.get("tiny")[0] == 3
        assert states(repository, "tiny")[:2] == [(4, "LOADING"), (3, "AVAILABLE")]
        release.set()
        wait_until(lambda: repository.models() == {"tiny": [4]}, timeout=30)
        assert repository.get("tiny")[0] == 4
        assert states(repository, "tiny")[:2] == [(4, "AVAILABLE"), (3, "END")]
    finally:
        release.set()
        repository.close()
    assert not any(thread.name == f"rescan {three_versions}" for thread in threading.enumerate())
