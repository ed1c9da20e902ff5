"""Every tutorial notebook runs top to bottom (at a tiny size)."""

import glob
import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

from tests.helpers import REPO_ROOT, SHARED_DATA

NOTEBOOKS = sorted(glob.glob(os.path.join(REPO_ROOT, "notebooks", "*.ipynb")))


def test_the_tutorials_are_there():
    names = {os.path.basename(path) for path in NOTEBOOKS}
    assert {"01_dcgan_quickstart.ipynb", "02_conditional_gan.ipynb", "03_vae.ipynb",
            "04_export_and_serve.ipynb", "05_transfer_learning.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_GEN_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    monkeypatch.setenv("KERAS_GEN_DATA", SHARED_DATA)  # local IDX files instead of TFDS
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # What a Colab user sees: no Python warning (Keras' "`shuffle=True` was passed" showed in
    # every fit on a dataset). TensorFlow's C++ log lines are not Python warnings.
    warned = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"
              and re.search(r"\w+Warning: ", o.text)]
    assert not warned, warned
    assert any(o.output_type == "display_data" and "image/png" in o.data for o in outputs)
