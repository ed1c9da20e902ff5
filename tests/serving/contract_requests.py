"""Where the REST contract tests send their requests, and the two requests they all make."""

import json
import os

import pytest
import requests

EXTERNAL = os.environ.get("KERAS_GEN_SERVING_URL")
local_only = pytest.mark.skipif(bool(EXTERNAL), reason="writes into the served model folder")


def post(url, name, body, suffix=""):
    data = body if isinstance(body, str) else json.dumps(body)
    return requests.post(f"{url}/v1/models/{name}{suffix}:predict", data=data, timeout=60)


def assert_still_serving(url):
    response = post(url, "contract_gan", {"signature_name": "sample", "instances": [1]})
    assert response.status_code == 200, response.text
