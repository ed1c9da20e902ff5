"""keras_gen.data.reachability against real sockets on this machine: no outside network."""

import http.server
import threading

import pytest

from keras_gen.data.reachability import unreachable_hosts


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):
        self.send_error(404)

    def log_message(self, *args):  # keep the test's output clean
        pass


@pytest.fixture
def answering_url():
    """A local HTTP server that answers every HEAD request with 404 Not Found."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/file.gz"
    server.shutdown()
    server.server_close()


def test_a_host_that_answers_even_with_an_error_status_is_reachable(answering_url):
    assert unreachable_hosts([answering_url]) is None


def test_every_host_that_cannot_be_connected_to_is_named_with_its_reason(refusing_url):
    # ".invalid" never resolves (RFC 2606), online or off.
    reasons = unreachable_hosts([refusing_url, refusing_url + "?again", "https://x.invalid/a",
                                 "https://x.invalid/b"], timeout=5)
    host = refusing_url.split("/")[2]
    assert list(reasons) == [host, "x.invalid"]  # one request per host
    assert "Connection refused" in reasons[host]
    assert reasons["x.invalid"]  # the resolver's words differ between systems


def test_one_host_that_answers_is_enough(refusing_url, answering_url):
    assert unreachable_hosts([refusing_url, answering_url]) is None


def test_urls_it_cannot_ask_about_refuse_nothing(refusing_url):
    assert unreachable_hosts(["gs://tfds-data/datasets/mnist", "ftp://x.invalid/a"]) is None
    assert unreachable_hosts([]) is None
    # They do not stand for a host that answers either.
    assert list(unreachable_hosts(["gs://tfds-data/", refusing_url])) == [
        refusing_url.split("/")[2]]
