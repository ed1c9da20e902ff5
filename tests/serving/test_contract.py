"""The REST contract, written from TF Serving's REST API documentation: status, metadata, paths,
bodies, bad requests, new versions and load. The signatures' own contract is in
test_contract_signatures.py, the Python client's in test_client.py.

Runs against KERAS_GEN_SERVING_URL when set (a real tensorflow/serving container serving the
models of `tests/serving/contract_models.py`), otherwise against `keras-gen serve`'s server on a
free loopback port.
"""

import gzip
import http.client
import json
import os
import socket
import threading
from urllib.parse import urlsplit

import pytest
import requests

from keras_gen import export
from tests.helpers import hand_edited_models_config, wait_until
from tests.serving.contract_models import MAX_BATCH
from tests.serving.contract_requests import assert_still_serving, local_only, post


def test_status_and_metadata(target):
    url, _, _ = target
    for name in ("contract_gan", "contract_cgan", "contract_vae"):
        status = requests.get(f"{url}/v1/models/{name}", timeout=30).json()
        assert status["model_version_status"][0]["state"] == "AVAILABLE"
        signatures = requests.get(f"{url}/v1/models/{name}/metadata", timeout=30).json()[
            "metadata"]["signature_def"]["signature_def"]
        assert "serving_default" in signatures
    gan = requests.get(f"{url}/v1/models/contract_gan/metadata", timeout=30).json()
    signatures = gan["metadata"]["signature_def"]["signature_def"]
    assert signatures["sample"]["inputs"]["seed"]["dtype"] == "DT_INT64"
    # The SignatureDef as the SavedModel stores it: TensorFlow names a signature's input
    # placeholders `<signature>_<input>`; the batch dimension is -1, written as a string.
    z = signatures["serving_default"]["inputs"]["z"]
    assert z["name"] == "serving_default_z:0"
    assert z["dtype"] == "DT_FLOAT"
    assert [dim["size"] for dim in z["tensor_shape"]["dim"]] == ["-1", "8"]
    assert signatures["serving_default"]["method_name"] == "tensorflow/serving/predict"
    assert set(signatures["sample"]["outputs"]) == {"images", "images_png_bytes"}


def test_the_v1_models_versions_and_labels_parts_of_a_path_match_in_any_case(target):
    # TF Serving's routes are case-insensitive regexes ("(?i)/v1/models/..."); only the verb is
    # then compared as written, so ":PREDICT" is the handler's "Malformed request" (400).
    url, _, _ = target
    status = requests.get(f"{url}/V1/Models/contract_gan", timeout=30)
    assert status.status_code == 200, status.text
    assert status.json()["model_version_status"][0]["state"] == "AVAILABLE"
    version = status.json()["model_version_status"][0]["version"]
    body = {"signature_name": "sample", "instances": [1]}
    for path in ["/V1/MODELS/contract_gan", f"/v1/models/contract_gan/Versions/{version}"]:
        answer = requests.post(f"{url}{path}:predict", json=body, timeout=60)
        assert answer.status_code == 200, (path, answer.text)
        assert len(answer.json()["predictions"]) == 1
    shouted = requests.post(f"{url}/v1/models/contract_gan:PREDICT", json=body, timeout=60)
    assert shouted.status_code == 400, shouted.text
    assert "Malformed request" in shouted.json()["error"]


def _send_as_written(url, method, path, body=None):
    """`(status, JSON answer)` of a request whose path is sent byte for byte: `requests`
    rewrites escapes of unreserved characters (`%5F` to `_`) before sending."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, path, body=None if body is None else json.dumps(body))
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def test_percent_escapes_in_names_are_decoded_as_in_tf_serving(target):
    # TF Serving decodes the model name and label it parses from the path (http_rest_api_util.cc,
    # DecodeArg: curl_easy_unescape), so "contract%5Fgan" is contract_gan; this server looked
    # it up as written (404). A version too large for int64 is a 400 there.
    url, _, _ = target
    status, answer = _send_as_written(url, "GET", "/v1/models/contract%5Fgan")
    assert status == 200, answer
    status, answer = _send_as_written(url, "POST", "/v1/models/contract%5fgan:predict",
                                      {"signature_name": "sample", "instances": [1]})
    assert status == 200 and len(answer["predictions"]) == 1, answer
    status, answer = _send_as_written(url, "GET", "/v1/models/no%20such%20model")
    assert status == 404 and "no such model" in answer["error"], answer
    status, answer = _send_as_written(url, "GET", f"/v1/models/contract_gan/versions/{2 ** 64}")
    assert (status, answer["error"]) == (
        400, f"Failed to convert version: {2 ** 64} to numeric."), answer


def test_a_status_request_without_a_model_name_is_told_so(target):
    # TF Serving's status route matches /v1/models with no name and answers "Missing model
    # name in request." (400); this server said "Malformed request".
    url, _, _ = target
    for path in ["/v1/models", "/V1/MODELS/versions/1", "/v1/models/labels/stable/metadata"]:
        answer = requests.get(f"{url}{path}", timeout=30)
        assert (answer.status_code, answer.json()["error"]) == (
            400, "Missing model name in request."), path


def test_a_query_string_is_part_of_the_path_as_in_tf_serving(target):
    # TF Serving matches its routes against the path with its query (evhttp_request.cc's
    # uri_path() is path_and_query): a status request looks up the model "name?query" (404),
    # a :predict with a query matches no route (400). This server dropped the query and
    # answered both, so a client could work here and fail against the container.
    url, _, _ = target
    status = requests.get(f"{url}/v1/models/contract_gan?verbose=1", timeout=60)
    assert status.status_code == 404, status.text
    assert "contract_gan?verbose=1" in status.json()["error"]
    predict = requests.post(f"{url}/v1/models/contract_gan:predict?timeout=5",
                            json={"signature_name": "sample", "instances": [1]}, timeout=60)
    assert predict.status_code == 400, predict.text
    assert "Malformed request" in predict.json()["error"]
    assert_still_serving(url)


def test_a_head_request_is_answered_without_a_body_and_the_connection_stays_usable(target):
    # TF Serving routes GET and POST only ("Malformed request: HEAD ...", 400). An answer to a
    # HEAD request carries no body (RFC 9110, 9.3.2): the error's JSON after its headers was
    # read by the next request on the connection as its status line (http.client's
    # BadStatusLine). Both requests are sent at once, so the bytes between the two answers'
    # status lines are what the HEAD answer sent, whatever the timing.
    url, _, _ = target
    parts = urlsplit(url)
    host = f"Host: {parts.netloc}\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        connection.sendall(f"HEAD /v1/models/contract_gan HTTP/1.1\r\n{host}\r\n"
                           f"GET /v1/models/contract_gan HTTP/1.1\r\n{host}"
                           "Connection: close\r\n\r\n".encode())
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head_answer, _, rest = received.partition(b"\r\n\r\n")
    assert head_answer.startswith(b"HTTP/1.1 400 "), received
    assert rest.startswith(b"HTTP/1.1 200 "), received
    status = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert status["model_version_status"][0]["state"] == "AVAILABLE"


def test_a_gzipped_body_is_read_as_tf_serving_reads_it(target):
    # TF Serving's HTTP server uncompresses a body sent with "Content-Encoding: gzip" (net_http's
    # auto_uncompress_input, on by default); this server parsed the gzip bytes as JSON (400).
    url, models, _ = target
    z = models["contract_gan"].sample_noise(2, seed=5).numpy()
    body = json.dumps({"instances": z.tolist()}).encode()
    address = f"{url}/v1/models/contract_gan:predict"
    plain = requests.post(address, data=body, timeout=60)
    zipped = requests.post(address, data=gzip.compress(body), timeout=60,
                           headers={"Content-Encoding": "gzip"})
    assert zipped.status_code == 200, zipped.text
    assert zipped.json() == plain.json()
    # Not gzip data after all: a 400 with a JSON error (TF Serving reads it as an empty body).
    broken = requests.post(address, data=body, timeout=60, headers={"Content-Encoding": "gzip"})
    assert broken.status_code == 400, broken.text
    assert broken.json()["error"]
    assert_still_serving(url)


@pytest.mark.parametrize("name, body, suffix, status", [
    ("contract_gan", "{not json", "", 400),
    ("no_such_model", {"instances": [[0.0] * 8]}, "", 404),
    # Under /v1/, a path TF Serving cannot parse is an InvalidArgument, so a 400 (it was a 404).
    ("contract_gan", {"instances": [[0.0] * 8]}, "/", 400),
    ("contract_gan", {"instances": [[0.0] * 8]}, "/versions/99", 404),
    ("contract_gan", {"signature_name": "nope", "instances": [[0.0] * 8]}, "", 400),
    ("contract_gan", {"signature_name": "__saved_model_init_op", "instances": [1]}, "", 400),
    ("contract_gan", {"instances": [["a"] * 8]}, "", 400),
    ("contract_gan", {"instances": [[[0.0] * 8]]}, "", 400),
    ("contract_gan", {"instances": [[0.0] * 7]}, "", 400),
    ("contract_cgan", {"signature_name": "sample", "inputs": {"seed": [1]}}, "", 400),
    ("contract_gan", {"instances": [[0.0] * 8], "inputs": [[0.0] * 8]}, "", 400),
    ("contract_gan", {"signature_name": "sample", "instances": list(range(MAX_BATCH + 1))}, "",
     400),
    ("contract_gan", {"signature_name": "sample", "instances": [1.5]}, "", 400),
    ("contract_gan", {"signature_name": "sample", "instances": [1.0]}, "", 400),
    ("contract_gan", {"signature_name": "sample", "instances": [2 ** 63]}, "", 400),
    ("contract_cgan", {"signature_name": "sample", "instances": [{"seed": 1, "labels": 2 ** 32}]},
     "", 400),
    ("contract_gan", {"instances": [[1e39] + [0.0] * 7]}, "", 400),
    ("contract_gan", {"instances": [[True] + [0.5] * 7]}, "", 400),
    ("contract_vae", {"signature_name": "reconstruct_png", "instances": [{"b64": "bm90IGEgcG5n"}]},
     "", 400),
    ("contract_gan", {"signature_name": "sample", "inputs": {"seed": []}}, "", 400),
    ("contract_cgan", {"signature_name": "sample", "inputs": {"seed": [1, 2, 3], "labels": [0, 1]}},
     "", 400),
    # Each was a 500: "unhashable type: 'list'", and the session's "Unsupported object type".
    ("contract_gan", {"signature_name": ["sample"], "instances": [1]}, "", 400),
    ("contract_cgan", {"signature_name": "sample_by_name",
                       "instances": [{"seed": 1, "class_name": 3}]}, "", 400),
    ("contract_cgan", {"signature_name": "sample_by_name",
                       "instances": [{"seed": 1, "class_name": None}]}, "", 400),
    # TF Serving: "'signature_name' key must be a string value"; it was read as the default.
    ("contract_gan", {"signature_name": None, "instances": [[0.0] * 8]}, "", 400),
    # An object names inputs, also for a one-input signature: "does not have named input: seed".
    ("contract_gan", {"instances": [{"seed": 1}]}, "", 400),
    # "Expecting value/list but got object at item 1 of input list".
    ("contract_gan", {"instances": [[0.0] * 8, {"z": [0.0] * 8}]}, "", 400),
], ids=["malformed-json", "unknown-model", "malformed-path", "unknown-version", "unknown-signature",
        "init-op-not-a-predict-signature", "wrong-dtype",
        "wrong-rank", "wrong-width", "missing-input", "both-formats", "oversized-batch",
        "fractional-seed", "decimal-seed", "seed-beyond-int64", "label-beyond-int32",
        "z-beyond-float32", "z-holds-true", "not-a-png", "empty-batch", "batch-sizes-differ",
        "signature-name-not-a-string", "class-name-a-number", "class-name-null",
        "signature-name-null", "instance-names-another-signature-s-input",
        "instances-mix-values-and-objects"])
def test_bad_requests_get_a_4xx_json_error_and_the_server_keeps_serving(
        target, name, body, suffix, status):
    url, _, _ = target
    response = post(url, name, body, suffix)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert isinstance(response.json()["error"], str) and response.json()["error"]
    assert_still_serving(url)


def test_classify_and_regress_are_refused_for_predict_signatures(target):
    # TF Serving routes both and refuses them with 400 for predict-only SavedModels (ours).
    url, _, _ = target
    for method, kind in [("classify", "classification"), ("regress", "regression")]:
        address = f"{url}/v1/models/contract_gan:{method}"
        response = requests.post(address, json={"examples": [{"x": 1.0}]}, timeout=60)
        assert response.status_code == 400, response.text
        assert (f"Expected {kind} signature method_name to be tensorflow/serving/{method}. Was: "
                "tensorflow/serving/predict") in response.json()["error"]
        response = requests.post(address, json={"instances": [[0.0] * 8]}, timeout=60)
        assert response.status_code == 400, response.text
        assert f"When method is {method}, key 'examples' is expected" in response.json()["error"]
        response = requests.post(f"{url}/v1/models/no_such_model:{method}",
                                 json={"examples": [{"x": 1.0}]}, timeout=60)
        assert response.status_code == 404, response.text
    assert_still_serving(url)


@local_only
def test_new_versions_and_labels_are_picked_up_without_restart(target):
    url, models, folder = target
    export.export_saved_model(models["contract_gan"], os.path.join(folder, "contract_gan"),
                              version=2)

    def states(suffix=""):
        answer = requests.get(f"{url}/v1/models/contract_gan{suffix}", timeout=30).json()
        return [(entry["version"], entry["state"]) for entry in answer["model_version_status"]]

    # models.config's policy is TF Serving's default, the latest version: 1 is unloaded, and
    # the status lists every version it has served, newest first.
    wait_until(lambda: states() == [("2", "AVAILABLE"), ("1", "END")])
    assert states() == [("2", "AVAILABLE"), ("1", "END")]
    assert states("/versions/1") == [("1", "END")]
    sample = {"signature_name": "sample", "instances": [1]}
    assert post(url, "contract_gan", sample, "/versions/1").status_code == 404
    # A canary set-up, as a user writes it: serve versions 1 and 2, label 1 "stable".
    with hand_edited_models_config(folder) as entries:
        entries["contract_gan"].model_version_policy.specific.versions.extend([1, 2])
        entries["contract_gan"].version_labels["stable"] = 1
    # Version 1 is loaded again at the next scan, beside the requests: wait until it answers.
    wait_until(lambda: states()[-1] == ("1", "AVAILABLE"))
    assert post(url, "contract_gan", sample, "/versions/1").status_code == 200
    stable = requests.get(f"{url}/v1/models/contract_gan/labels/stable/metadata", timeout=30)
    assert stable.json()["model_spec"]["version"] == "1"
    canary = requests.get(f"{url}/v1/models/contract_gan/labels/canary/metadata", timeout=30)
    assert canary.status_code == 404
    # A status request ignores the label, in TF Serving too (get_model_status_impl.cc).
    assert states("/labels/stable") == [("2", "AVAILABLE"), ("1", "AVAILABLE")]


def test_bounded_concurrent_load_has_no_errors(target):
    url, _, _ = target
    errors, lock = [], threading.Lock()

    def client(worker):
        session = requests.Session()
        for i in range(50):
            body = {"signature_name": "sample", "instances": [worker * 100 + i]}
            response = session.post(f"{url}/v1/models/contract_gan:predict", json=body, timeout=60)
            if response.status_code != 200:
                with lock:
                    errors.append(response.text)

    threads = [threading.Thread(target=client, args=(w,)) for w in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == [] and not any(thread.is_alive() for thread in threads)
