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
