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


@pytest.fixture
def empty_keras_cache(empty_keras_home):
    """Keras' download cache, in the test's empty Keras home: nothing keras.datasets left on
    this machine is read."""
    return empty_keras_home / "datasets"
