"""`import keras_gen` gives the whole library, and `keras_gen.serving` asks for its extra."""

import sys

import pytest

import keras_gen


def test_import_keras_gen_reaches_every_module_the_docs_call():
    # The README calls these as `keras_gen.<module>.<name>` after a bare `import keras_gen`.
    assert callable(keras_gen.transfer.prepare_finetune)
    assert callable(keras_gen.recipes.build_gan)
    assert callable(keras_gen.training.train)
    assert callable(keras_gen.export.export_saved_model)
    assert keras_gen.serving.Client.__name__ == "Client"
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
