"""Fixtures of the data tests."""

import socket

import pytest


@pytest.fixture
def refusing_url():
    """A URL on this machine whose port nothing listens on: the connection is refused."""
    with socket.socket() as probe:  # a free port, released again
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/file.gz"


@pytest.fixture(autouse=True)
def empty_keras_cache(tmp_path_factory, monkeypatch):
    """Keras' cache is an empty folder: no test reads what keras.datasets left on this machine."""
    home = tmp_path_factory.mktemp("keras_home")
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home / "datasets"
