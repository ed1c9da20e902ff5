"""`import keras_gen` gives the whole library, and `keras_gen.serving` asks for its extra."""

import importlib
import pathlib
import re
import subprocess
import sys

import pytest

import keras_gen
from tests.helpers import REPO_ROOT, fenced_blocks


def test_import_keras_gen_reaches_every_module_the_docs_call():
    # The README calls these as `keras_gen.<module>.<name>` after a bare `import keras_gen`.
    # A fresh interpreter: in this one other tests have imported the modules already.
    check = ("import keras_gen; "
             "print(keras_gen.transfer.prepare_finetune.__name__, "
             "keras_gen.recipes.build_gan.__name__, keras_gen.training.train.__name__, "
             "keras_gen.export.export_saved_model.__name__, "
             "keras_gen.saving.load_model.__name__, keras_gen.serving.Client.__name__)")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            cwd=REPO_ROOT, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["prepare_finetune", "build_gan", "train",
                                     "export_saved_model", "load_model", "Client"]
    with pytest.raises(AttributeError, match="no attribute 'servings'"):
        keras_gen.servings


def test_serving_without_its_extra_names_the_extra(monkeypatch):
    monkeypatch.delattr(keras_gen, "serving", raising=False)
    for name in [name for name in sys.modules
                 if name.startswith(("keras_gen.serving", "werkzeug."))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "werkzeug", None)  # as if not installed
    with pytest.raises(ImportError, match=r"needs 'werkzeug'.*pip install 'keras_gen\[serve\]'"):
        keras_gen.serving


def test_the_package_docstring_example_runs():
    (example,) = fenced_blocks(keras_gen.__doc__, "python")
    namespace = {}
    exec(compile(example, "<keras_gen docstring>", "exec"), namespace)
    assert namespace["images"].shape == (16, 28, 28, 1)


def _resolves(dotted):
    """Whether `keras_gen.a.b.c` names something: an attribute, or a module to import."""
    parts, found = dotted.split("."), keras_gen
    for depth, part in enumerate(parts[1:], start=2):
        if hasattr(found, part):
            found = getattr(found, part)
            continue
        try:
            found = importlib.import_module(".".join(parts[:depth]))
        except ImportError:
            return False
    return True


def test_every_keras_gen_name_in_the_docs_exists():
    root = pathlib.Path(REPO_ROOT)
    documents = [root / "README.md", root / "benchmarks" / "README.md",
                 *root.glob("notebooks/*.ipynb"), *root.glob("keras_gen/**/*.py")]
    named = {(str(path.relative_to(root)), match)
             for path in documents
             for match in re.findall(r"keras_gen(?:\.[A-Za-z_]\w*)+", path.read_text())}
    assert len(named) > 50  # the scan reads what it should
    assert [(path, name) for path, name in sorted(named) if not _resolves(name)] == []
