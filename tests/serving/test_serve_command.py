"""`keras-gen serve` as users start it: its own process, TensorFlow thread flags, REST answers."""

import os
import socket
import subprocess
import sys

import numpy as np
import tensorflow as tf

from keras_gen import export
from keras_gen.serving import Client
from tests.helpers import tiny_gan


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_command_sets_tensorflow_threads_and_answers(tmp_path):
    path = export.export_saved_model(tiny_gan(), str(tmp_path / "tiny"), version=1)
    export.write_models_config(str(tmp_path))
    expected = tf.saved_model.load(path).signatures["sample"](
        seed=tf.constant([3, 4], tf.int64))["images"].numpy()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "keras_gen.cli", "serve", str(tmp_path), "--port", str(port),
         "--intra-op-threads", "1", "--inter-op-threads", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        banner = server.stdout.readline()  # printed once the socket is bound
        assert f"127.0.0.1:{port}" in banner and "intra-op 1, inter-op 1" in banner, banner
        client = Client(f"http://127.0.0.1:{port}", "tiny", retries=5)
        assert client.status()["model_version_status"][0]["state"] == "AVAILABLE"
        np.testing.assert_allclose(client.sample([3, 4]), expected, atol=1e-6)
    finally:
        server.terminate()
        server.wait(timeout=30)
