"""The READMEs' curl requests, run as written against `keras-gen serve`'s server.

`serving/README.md` and the project README show requests a user pastes into a shell: status,
metadata, a label's metadata, both predict formats for a GAN, a conditional GAN and a VAE, and a
PNG decoded from the answer. Each bash block is run by bash in a scratch folder, with only the
server's address changed, against tiny models under the names the examples use; every answer
must be JSON without an error. The `keras-gen` and `docker` lines of those blocks are left out:
`tests/test_readme.py` parses the former, and the latter needs a Docker engine.
"""

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
import tensorflow as tf

from keras_gen import export
from keras_gen.data.sources import CLASS_NAMES
from keras_gen.serving import LocalServer
from tests.helpers import (TINY_SHAPE, fenced_blocks, hand_edited_models_config, read_repo_file,
                           tiny_cgan, tiny_gan)
from tests.models.test_vae import tiny_vae

EXAMPLE_URL = "http://127.0.0.1:8501"
DOCUMENTS = ("serving/README.md", "README.md")

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command")


def _request_blocks():
    """`(document, block)` for each bash block with a request, its other commands left out."""
    found = []
    for document in DOCUMENTS:
        for block in fenced_blocks(read_repo_file(document), "bash"):
            lines = [line for line in block.splitlines()
                     if not line.startswith(("keras-gen ", "docker "))]
            if any(line.startswith("curl ") for line in lines):
                found.append((document, "\n".join(lines) + "\n"))
    return found


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("saved_models"))
    # The README's explicit-noise example sends 64 numbers per instance.
    models = {"dcgan_digits": tiny_gan(latent_dim=64), "cgan_digits": tiny_cgan(),
              "vae_digits": tiny_vae(), "cgan_fashion_mnist": tiny_cgan()}
    models["cgan_fashion_mnist"].class_names = CLASS_NAMES["fashion_mnist"]  # sample_by_name
    for name, model in models.items():
        export.export_saved_model(model, os.path.join(folder, name), version=1)
    export.write_models_config(folder)
    with hand_edited_models_config(folder) as entries:  # the label the metadata example asks for
        entries["dcgan_digits"].version_labels["stable"] = 1
    with LocalServer(folder, port=0) as server:
        yield server.url


def _json_documents(text):
    """Every JSON value printed one after another in `text` (curl adds no separators)."""
    decoder, whitespace, documents = json.JSONDecoder(), re.compile(r"\s*"), []
    position = whitespace.match(text).end()
    while position < len(text):
        document, position = decoder.raw_decode(text, position)
        documents.append(document)
        position = whitespace.match(text, position).end()
    return documents


def test_the_readmes_have_the_requests_this_file_runs():
    blocks = [block for _, block in _request_blocks()]
    assert len(blocks) == 8, "a request block was added or removed: check what this test runs"
    assert sum(block.count("curl ") for block in blocks) == 15


@pytest.mark.parametrize("document, block", _request_blocks())
def test_readme_request_block_runs_as_written(server_url, tmp_path, document, block):
    # The VAE example reads a 28x28 grey PNG from the current folder.
    pixels = np.random.default_rng(0).integers(0, 256, TINY_SHAPE, dtype=np.uint8)
    (tmp_path / "digit.png").write_bytes(tf.io.encode_png(pixels).numpy())
    script = block.replace(EXAMPLE_URL, server_url)
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{document}:\n{block}\n{result.stderr}"

    answers = _json_documents(result.stdout)
    # A curl whose answer is piped into Python prints nothing itself.
    printed = len(re.findall(r"^curl ", block, flags=re.M)) - block.count("| python")
    assert len(answers) == printed, (block, result.stdout)
    for answer in answers:
        assert "error" not in answer, (block, answer)
        assert {"predictions", "outputs", "model_version_status", "metadata"} & set(answer), answer
    if "sample.png" in block:
        image = tf.io.decode_png((tmp_path / "sample.png").read_bytes()).numpy()
        assert image.shape == TINY_SHAPE
