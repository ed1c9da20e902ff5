"""`keras-gen serve` as users start it: its own process, TensorFlow thread flags, REST answers."""

import gzip
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import requests
import tensorflow as tf

from keras_gen import export
from keras_gen.serving import Client
from tests.helpers import tiny_gan


def test_serve_command_sets_tensorflow_threads_and_answers(tmp_path):
    path = export.export_saved_model(tiny_gan(), str(tmp_path / "tiny"), version=1)
    export.write_models_config(str(tmp_path))
    expected = tf.saved_model.load(path).signatures["sample"](
        seed=tf.constant([3, 4], tf.int64))["images"].numpy()
    stderr = open(tmp_path / "stderr.txt", "w+")  # a file: a pipe nobody reads can fill up
    server = subprocess.Popen(  # port 0: the OS picks a free one; the banner names it
        [sys.executable, "-m", "keras_gen.cli", "serve", str(tmp_path), "--port", "0",
         "--intra-op-threads", "1", "--inter-op-threads", "1", "--max-body-mb", "1"],
        stdout=subprocess.PIPE, stderr=stderr, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        banner = server.stdout.readline()  # printed once the socket is bound
        url = re.search(r"http://127\.0\.0\.1:[1-9]\d*", banner)
        assert url and "intra-op 1, inter-op 1" in banner, banner
        client = Client(url.group(0), "tiny", retries=5)
        assert client.status()["model_version_status"][0]["state"] == "AVAILABLE"
        np.testing.assert_allclose(client.sample([3, 4]), expected, atol=1e-6)
        # TF Serving sets no limit on a body; this server's is --max-body-mb (default 32).
        too_large = requests.post(f"{url.group(0)}/v1/models/tiny:predict",
                                  data=b" " * (2 ** 20 + 1), timeout=30)
        assert too_large.status_code == 413, too_large.text
        assert "limit of 1 MiB (1048576 bytes)" in too_large.json()["error"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        stderr.seek(0)
        logged = stderr.read()
        stderr.close()
    # The session loader is TF Serving's path on purpose: no "Use tf.saved_model.load instead".
    assert "is deprecated" not in logged, logged


def test_serve_refuses_a_models_config_that_does_not_parse(tmp_path):
    export.export_saved_model(tiny_gan(), str(tmp_path / "tiny"), version=1, verify=False)
    (tmp_path / "models.config").write_text("model_config_list { config {")
    result = subprocess.run([sys.executable, "-m", "keras_gen.cli", "serve", str(tmp_path),
                             "--port", "0"], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 2, result.stderr
    assert "models.config is not a TF Serving ModelServerConfig" in result.stderr


def test_serve_refuses_to_start_when_a_model_does_not_load(tmp_path):
    # As the container: "N servable(s) did not become available", after the retries.
    broken = tmp_path / "tiny" / "1"
    broken.mkdir(parents=True)
    (broken / "saved_model.pb").write_bytes(b"not a SavedModel")
    result = subprocess.run([sys.executable, "-m", "keras_gen.cli", "serve", str(tmp_path),
                             "--port", "0", "--max-load-retries", "1",
                             "--load-retry-seconds", "0.1"], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 2, result.stderr
    assert "Retry 1 of 1 in 0.1 s" in result.stderr
    assert "1 servable(s) did not become available: tiny version 1 (tried 2 times" in result.stderr


def test_stopping_the_local_server_raises_nothing_in_its_thread(tmp_path, monkeypatch):
    # stop() closed the sockets under the loop's running select(): EBADF in the server's thread
    # in 10 of 30 start/stop cycles (a PytestUnhandledThreadExceptionWarning in CI).
    import threading

    from keras_gen.serving import LocalServer

    raised = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    for _ in range(30):
        with LocalServer(str(tmp_path), port=0) as server:
            thread = server._thread
        assert not thread.is_alive()
    assert raised == []
    server.stop()  # again: nothing left to stop, and no error


def test_a_port_in_use_is_refused_with_the_fix_and_leaves_no_thread(tmp_path):
    # It was a traceback ending in "OSError: [Errno 98] Address already in use".
    import threading

    from keras_gen.serving import LocalServer

    def pollers():
        return sum(thread.name == f"rescan {tmp_path}" for thread in threading.enumerate())

    with LocalServer(str(tmp_path), port=0) as server:
        assert pollers() == 1
        message = (rf"Cannot listen on 127\.0\.0\.1:{server.port}: .*\. Pass another port "
                   r"\(--port\), or stop what is using this one\.$")
        with pytest.raises(OSError, match=message):
            LocalServer(str(tmp_path), port=server.port)
        assert pollers() == 1  # the failed server's own was stopped
        result = subprocess.run([sys.executable, "-m", "keras_gen.cli", "serve", str(tmp_path),
                                 "--port", str(server.port)], capture_output=True, text=True,
                                timeout=120, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 2, result.stderr
    assert re.search(r"^keras-gen serve: error: \[Errno \d+\] " + message,
                     result.stderr.strip().splitlines()[-1]), result.stderr


@pytest.mark.parametrize("arguments, message", [
    # Waitress took 70000 as port 4464 (70000 - 65536), and threads=0 as a server that never
    # answered; a negative poll_seconds turned the rescans off, as 0 does.
    ({"port": 70000}, r"^port must be an int from 0 to 65535 \(0 picks a free one\)\. Received: "
                      r"port=70000$"),
    ({"port": "8501"}, r"Received: port='8501'$"),
    ({"threads": 0}, r"^threads must be a positive int\. Received: threads=0$"),
    ({"poll_seconds": -1}, r"^poll_seconds must be a number of seconds >= 0\. Received: "
                           r"poll_seconds=-1$"),
    ({"load_retry_seconds": "60"}, r"^load_retry_seconds must be a number of seconds >= 0"),
    # Every request was refused as too large, while the server looked up.
    ({"max_batch": 0}, r"^max_batch must be a positive int\. Received: max_batch=0$"),
    ({"max_body_bytes": -1}, r"^max_body_bytes must be a positive int"),
])
def test_a_server_that_would_not_serve_as_asked_is_refused(tmp_path, arguments, message):
    import threading

    from keras_gen.serving import LocalServer

    with pytest.raises(ValueError, match=message):
        LocalServer(str(tmp_path), **{"port": 0, **arguments})
    assert not [thread for thread in threading.enumerate()
                if thread.name == f"rescan {tmp_path}"]  # no poller left running


def test_a_body_over_the_limit_is_a_413_that_names_the_limit_and_the_fix(tmp_path):
    # Werkzeug's own words were "The data value transmitted exceeds the capacity limit.", which
    # named neither the limit nor what to send instead.
    from keras_gen.serving import LocalServer

    export.export_saved_model(tiny_gan(), str(tmp_path / "tiny"), version=1, verify=False)
    body = b'{"signature_name": "sample", "instances": [' + b"1, " * 100 + b"1]}"
    with LocalServer(str(tmp_path), port=0, max_body_bytes=200) as server:
        address = f"{server.url}/v1/models/tiny:predict"
        # Sent whole (Content-Length) and in chunks (no length known until it is read).
        for data in [body, (body[start:start + 50] for start in range(0, len(body), 50))]:
            response = requests.post(address, data=data, timeout=30)
            assert response.status_code == 413, response.text
            assert response.json()["error"] == (
                "The request body is larger than this server's limit of 200 bytes. Send fewer "
                "instances per request, or raise the limit (keras-gen serve --max-body-mb).")
        # Gzipped small, larger once uncompressed: the limit holds for what is parsed.
        response = requests.post(address, data=gzip.compress(body), timeout=30,
                                 headers={"Content-Encoding": "gzip"})
        assert response.status_code == 413, response.text
        small = requests.post(address, data=b'{"signature_name": "sample", "instances": [1]}',
                              timeout=30)
        assert small.status_code == 200, small.text


def test_gzipped_bodies_are_read_member_by_member_and_cut_ones_are_refused():
    from werkzeug.exceptions import RequestEntityTooLarge

    from keras_gen.serving.rest import BadRequest
    from keras_gen.serving.server import _gunzip

    body = b'{"instances": [1, 2, 3]}'  # 24 bytes
    assert _gunzip(gzip.compress(body), limit=24) == body
    # Two members, as `cat a.gz b.gz` makes: one body of both (gzip.decompress reads it so).
    assert _gunzip(gzip.compress(body[:10]) + gzip.compress(body[10:]), limit=24) == body
    with pytest.raises(RequestEntityTooLarge):
        _gunzip(gzip.compress(body), limit=23)
    with pytest.raises(BadRequest, match="gzip data is cut short. Send the whole"):
        _gunzip(gzip.compress(body)[:-6], limit=24)


def test_inputs_of_another_signature_are_answered_with_that_signature_s_name(tmp_path):
    # {"instances": [{"seed": 3}]} without "signature_name" goes to serving_default, which takes
    # "z": the answer blamed base64. "seed" is the "sample" signature's input: say so.
    from keras_gen.serving import LocalServer

    export.export_saved_model(tiny_gan(), str(tmp_path / "tiny"), version=1, verify=False)
    with LocalServer(str(tmp_path), port=0) as server:
        address = f"{server.url}/v1/models/tiny:predict"
        hint = (" The signature \"sample\" takes ['seed']: add \"signature_name\": \"sample\" "
                "to the request.")
        for body, told in [
                ({"instances": [{"seed": 3}]}, "Each instance must be an object with exactly "
                                               "the inputs ['z']; received ['seed']."),
                ({"inputs": {"seed": [3]}}, "The signature takes inputs ['z']; missing ['z'], "
                                            "unknown ['seed'].")]:
            response = requests.post(address, json=body, timeout=30)
            assert response.status_code == 400, response.text
            assert response.json()["error"] == told + hint
        # Names that no signature takes get no hint.
        response = requests.post(address, json={"instances": [{"zz": [0.0] * 8}]}, timeout=30)
        assert response.json()["error"] == ("Each instance must be an object with exactly the "
                                            "inputs ['z']; received ['zz'].")
