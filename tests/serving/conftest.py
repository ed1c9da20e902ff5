"""The server the REST contract tests query: KERAS_GEN_SERVING_URL's, or a local one."""

import pytest

from keras_gen.serving import LocalServer
from tests.serving.contract_models import MAX_BATCH, build_models, export_models
from tests.serving.contract_requests import EXTERNAL


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """`(url, {name: model}, served folder or None)`: one server for the module's tests."""
    models = build_models()
    if EXTERNAL:
        yield EXTERNAL.rstrip("/"), models, None
        return
    folder = str(tmp_path_factory.mktemp("saved_models"))
    export_models(folder, models)
    with LocalServer(folder, port=0, max_batch=MAX_BATCH, poll_seconds=0.2) as server:
        yield server.url, models, folder
