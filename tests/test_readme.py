"""The README's examples run as written, so the docs cannot drift from the API.

Each ```python block of README.md is executed in a fresh folder, with every `epochs=N` cut to
`epochs=1` (the examples train for minutes; what is checked here is that every call exists and
takes the arguments shown). Every `keras-gen` command in the bash blocks of the READMEs
is parsed by the CLI. The READMEs' curl requests run against a server in
`tests/serving/test_readme_requests.py`.
"""

import os
import re
import shlex

import numpy as np
import pytest

import keras_gen
from keras_gen.cli import build_parser
from tests.helpers import fenced_blocks, read_repo_file, tiny_dataset


# What marks each of the README's Python examples.
FINE_TUNING = "GAN.from_preset(\"cgan_mnist\")"
QUICKSTART = "from keras_gen.models import GAN"


def _python_blocks():
    return fenced_blocks(read_repo_file("README.md"), "python")


def _run_block(marker, namespace, tmp_path, monkeypatch):
    """Runs the one README block containing `marker`, in `tmp_path`; returns its namespace."""
    blocks = [block for block in _python_blocks() if marker in block]
    assert len(blocks) == 1, f"README.md should have one python block with {marker!r}"
    monkeypatch.chdir(tmp_path)
    source = re.sub(r"\bepochs=\d+", "epochs=1", blocks[0])
    exec(compile(source, "<README.md python block>", "exec"), namespace)
    return namespace


def test_every_readme_python_block_is_run_here():
    assert all(FINE_TUNING in block or QUICKSTART in block for block in _python_blocks())


def test_readme_fine_tuning_example(tmp_path, monkeypatch):
    # The README leaves the reader's data unnamed: a labelled set of 28x28 images will do.
    namespace = _run_block(FINE_TUNING, {"keras_gen": keras_gen, "small_dataset": tiny_dataset()},
                           tmp_path, monkeypatch)
    assert namespace["sevens"].shape == (16, 28, 28, 1)
    assert namespace["gan"].discriminator.get_layer("block_0").trainable is False  # FreezeD
    assert sorted(os.listdir(tmp_path / "my_preset")) == ["config.json", "metadata.json",
                                                          "model.weights.h5"]


def test_readme_python_quickstart(tmp_path, monkeypatch):
    # The block asserts itself that the saved model generates the same images.
    namespace = _run_block(QUICKSTART, {}, tmp_path, monkeypatch)
    images = namespace["images"]
    assert images.shape == (16, 28, 28, 1)
    assert np.all(np.abs(images) <= 1.0)
    assert (tmp_path / "dcgan.keras").is_file()


def _keras_gen_commands(readme):
    """Every `keras-gen ...` command in a README's bash blocks, as argument lists."""
    commands = []
    for block in fenced_blocks(read_repo_file(readme), "bash"):
        for line in block.replace("\\\n", " ").splitlines():
            if "keras-gen" not in line:  # curl bodies may span lines inside their quotes
                continue
            command = []
            for word in shlex.split(line, comments=True) + ["&&"]:  # `a && b` is two commands
                if word != "&&":
                    command.append(word)
                    continue
                if command[:1] == ["keras-gen"]:
                    commands.append(command[1:])
                command = []
    return commands


@pytest.mark.parametrize("readme, shown", [
    ("README.md", {"train", "sample", "reconstruct", "evaluate", "presets", "finetune", "export",
                   "serve"}),
    ("serving/README.md", {"train", "export", "serve"}),
    ("saved_models/README.md", {"export"}),
])
def test_readme_keras_gen_commands_parse(readme, shown):
    commands = _keras_gen_commands(readme)
    assert {words[0] for words in commands} == shown
    for words in commands:
        build_parser().parse_args(words)  # argparse exits on an unknown flag or a bad value
