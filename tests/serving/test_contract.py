"""The REST contract, written from TF Serving's REST API documentation.

Runs against KERAS_GEN_SERVING_URL when set (a real tensorflow/serving container serving the
models of `tests/serving/contract_models.py`), otherwise against `keras-gen serve`'s server on a
free loopback port.
"""

import base64
import gc
import gzip
import http.client
import json
import os
import re
import socket
import threading
import time
from urllib.parse import urlsplit

import numpy as np
import pytest
import requests
import tensorflow as tf

from keras_gen import export
from keras_gen.serving import Client, LocalServer, ServingError
from tests.helpers import hand_edited_models_config, wait_until
from tests.serving.contract_models import MAX_BATCH, build_models, export_models

EXTERNAL = os.environ.get("KERAS_GEN_SERVING_URL")
local_only = pytest.mark.skipif(bool(EXTERNAL), reason="writes into the served model folder")


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    models = build_models()
    if EXTERNAL:
        yield EXTERNAL.rstrip("/"), models, None
        return
    folder = str(tmp_path_factory.mktemp("saved_models"))
    export_models(folder, models)
    with LocalServer(folder, port=0, max_batch=MAX_BATCH, poll_seconds=0.2) as server:
        yield server.url, models, folder


def post(url, name, body, suffix=""):
    data = body if isinstance(body, str) else json.dumps(body)
    return requests.post(f"{url}/v1/models/{name}{suffix}:predict", data=data, timeout=60)


def assert_still_serving(url):
    response = post(url, "contract_gan", {"signature_name": "sample", "instances": [1]})
    assert response.status_code == 200, response.text


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


def test_gan_default_signature_in_both_formats(target):
    url, models, _ = target
    gan = models["contract_gan"]
    z = gan.sample_noise(3, seed=2).numpy()
    expected = (np.asarray(gan(z)) + 1) / 2
    rows = post(url, "contract_gan", {"instances": z.tolist()}).json()["predictions"]
    np.testing.assert_allclose(np.array(rows, np.float32), expected, atol=1e-4)
    answer = post(url, "contract_gan", {"inputs": {"z": z.tolist()}})
    assert answer.headers["Content-Type"] == "application/json"
    assert int(answer.headers["Content-Length"]) == len(answer.content)
    np.testing.assert_allclose(np.array(answer.json()["outputs"], np.float32), expected, atol=1e-4)
    # The client reads a lone, unnamed output as "output", in both formats; a one-input
    # signature's input may go unnamed too, as TF Serving takes it ("inputs": [...]), as Keras'
    # predict(z) takes it (it failed with "'numpy.ndarray' object has no attribute 'items'").
    for form in ("inputs", "instances"):
        for inputs in [{"z": z}, z, z.tolist()]:
            outputs = Client(url, "contract_gan").predict(inputs, format=form)
            assert list(outputs) == ["output"]
            np.testing.assert_allclose(outputs["output"], expected, atol=1e-4)


def test_keys_of_inputs_that_the_signature_does_not_take_are_ignored_as_in_tf_serving(target):
    # TF Serving looks up each of the signature's inputs in "inputs" and reads nothing else
    # (json_tensor.cc, FillTensorMapFromInputsMap); this server refused the request (400).
    # An instance's keys must still be exactly the inputs, there as here.
    url, _, _ = target
    body = {"signature_name": "sample", "inputs": {"seed": [3], "labels": [1]}}
    expected = post(url, "contract_cgan", body).json()
    extra = post(url, "contract_cgan", {**body, "inputs": {**body["inputs"], "note": "x"}})
    assert extra.status_code == 200, extra.text
    assert extra.json() == expected
    instance = post(url, "contract_cgan", {"signature_name": "sample", "instances": [
        {"seed": 3, "labels": 1, "note": "x"}]})
    assert instance.status_code == 400, instance.text


def test_gan_sample_returns_base64_pngs(target):
    url, models, _ = target
    predictions = post(url, "contract_gan", {"signature_name": "sample",
                                             "instances": [4, 9]}).json()["predictions"]
    assert set(predictions[0]) == {"images", "images_png_bytes"}
    image = np.array(predictions[1]["images"], np.float32)
    np.testing.assert_allclose(image, (models["contract_gan"].generate(1, seed=9)[0] + 1) / 2,
                               atol=1e-4)
    png = tf.io.decode_png(base64.b64decode(predictions[1]["images_png_bytes"]["b64"])).numpy()
    np.testing.assert_array_equal(png, np.round(image * 255).astype(np.uint8))


def test_conditional_sample_in_both_formats(target):
    url, models, _ = target
    expected = (models["contract_cgan"].generate(1, labels=3, seed=5)[0] + 1) / 2
    rows = post(url, "contract_cgan", {"signature_name": "sample",
                                       "instances": [{"seed": 5, "labels": 3}]}).json()
    np.testing.assert_allclose(np.array(rows["predictions"][0]["images"]), expected, atol=1e-4)
    columns = post(url, "contract_cgan", {"signature_name": "sample",
                                          "inputs": {"seed": [5], "labels": [3]}}).json()
    np.testing.assert_allclose(np.array(columns["outputs"]["images"][0]), expected, atol=1e-4)


def test_a_conditional_model_with_class_names_samples_by_name(target):
    # A SavedModel held only class ids: a client had to know that 3 is "class_3".
    url, models, _ = target
    expected = (models["contract_cgan"].generate(1, labels=3, seed=5)[0] + 1) / 2
    rows = post(url, "contract_cgan", {"signature_name": "sample_by_name",
                                       "instances": [{"seed": 5, "class_name": "class_3"}]})
    np.testing.assert_allclose(np.array(rows.json()["predictions"][0]["images"]), expected,
                               atol=1e-4)
    columns = post(url, "contract_cgan", {"signature_name": "sample_by_name",
                                          "inputs": {"seed": [5, 5],
                                                     "class_name": ["class_3", "class_0"]}})
    images = np.array(columns.json()["outputs"]["images"])
    np.testing.assert_allclose(images[0], expected, atol=1e-4)
    assert not np.allclose(images[1], expected, atol=1e-4)
    response = post(url, "contract_cgan", {"signature_name": "sample_by_name",
                                           "instances": [{"seed": 5, "class_name": "dogs"}]})
    assert response.status_code == 400, response.text
    assert ("class_name must be one of these class names] [class_0 class_1" in
            response.json()["error"] and "[received] [dogs]" in response.json()["error"])
    assert_still_serving(url)
    client = Client(url, "contract_cgan")
    np.testing.assert_allclose(client.sample([5], labels="class_3")[0], expected, atol=1e-4)
    np.testing.assert_allclose(client.sample([5, 6], labels=["class_3", "class_4"]),
                               client.sample([5, 6], labels=[3, 4]), atol=1e-6)
    with pytest.raises(ServingError, match=r"HTTP 400: .*these class names.*\[received\] \[dogs\]"):
        client.sample([5], labels="dogs")


def test_vae_signatures_with_float_and_png_inputs(target):
    url, models, _ = target
    vae = models["contract_vae"]
    images = vae.generate(2, seed=1)
    unit = np.round((images + 1) / 2 * 255) / 255
    expected = (vae.reconstruct((unit * 2 - 1).astype(np.float32)) + 1) / 2
    floats = post(url, "contract_vae", {"signature_name": "reconstruct",
                                        "inputs": {"images": (unit * 2 - 1).tolist()}}).json()
    np.testing.assert_allclose(np.array(floats["outputs"]["images"]), expected, atol=1e-4)
    pngs = [{"b64": base64.b64encode(tf.io.encode_png((u * 255).round().astype(np.uint8))
                                     .numpy()).decode()} for u in unit]
    from_png = post(url, "contract_vae", {"signature_name": "reconstruct_png",
                                          "instances": pngs}).json()
    np.testing.assert_allclose(np.array([p["images"] for p in from_png["predictions"]]), expected,
                               atol=1e-4)
    # Base64 wrapped in lines (base64.encodebytes) and without its padding, as TF Serving reads
    # it (absl::Base64Unescape).
    loose = [{"b64": base64.encodebytes(base64.b64decode(png["b64"])).decode().rstrip("=\n")}
             for png in pngs]
    assert all("\n" in png["b64"] for png in loose)
    from_loose = post(url, "contract_vae", {"signature_name": "reconstruct_png",
                                            "instances": loose}).json()
    assert from_loose == from_png
    codes = post(url, "contract_vae", {"signature_name": "encode",
                                       "instances": (unit * 2 - 1).tolist()}).json()["predictions"]
    z = np.array([row["z_mean"] for row in codes], np.float32)
    decoded = post(url, "contract_vae", {"signature_name": "decode", "inputs": z.tolist()}).json()
    np.testing.assert_allclose(np.array(decoded["outputs"]["images"]), expected, atol=1e-4)
    sampled = post(url, "contract_vae", {"signature_name": "sample", "instances": [4]}).json()
    np.testing.assert_allclose(np.array(sampled["predictions"][0]["images"]),
                               (vae.generate(1, seed=4)[0] + 1) / 2, atol=1e-4)


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


def _png_declaring(height, width):
    """A PNG whose header declares height x width, with no pixel data after it (none is read)."""
    import struct
    import zlib

    header = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + header
            + struct.pack(">I", zlib.crc32(header)))


def test_png_inputs_are_checked_before_decoding_and_the_reason_is_returned(target):
    url, models, _ = target
    height, width, _ = models["contract_vae"].image_shape

    def error(data):
        response = post(url, "contract_vae", {"signature_name": "reconstruct_png", "instances": [
            {"b64": base64.b64encode(data).decode()}]})
        assert response.status_code == 400, response.text
        return response.json()["error"]

    jpeg = tf.io.encode_jpeg(np.zeros((height, width, 1), np.uint8)).numpy()
    for not_png in [b"not a png", jpeg]:
        assert "images_bytes must be PNG files" in error(not_png)
    # Refused from its header alone: 20000x20000 would be 400 MB and 1.4 s of decoding.
    assert re.search(rf"must be {height}x{width} .*received\] \[20000\] \[20000\]",
                     error(_png_declaring(20000, 20000)))
    small = tf.io.encode_png(np.zeros((height - 1, width, 1), np.uint8)).numpy()
    assert re.search(rf"received\] \[{height - 1}\] \[{width}\]", error(small))
    assert_still_serving(url)


def test_labels_outside_the_classes_are_refused_by_the_exported_graph(target):
    # The check is in the SavedModel, so TF Serving on a GPU (where a gather past the end
    # returns zeros instead of failing) refuses them too.
    url, models, _ = target
    num_classes = models["contract_cgan"].num_classes
    for signature, instance in [("sample", {"seed": 1}), ("serving_default", {"z": [0.0] * 8})]:
        for label in [-1, num_classes]:
            response = post(url, "contract_cgan", {"signature_name": signature,
                                                   "instances": [{**instance, "labels": label}]})
            assert response.status_code == 400, response.text
            assert (f"labels must lie in [0, {num_classes}); received] [{label}]"
                    in response.json()["error"])
    assert_still_serving(url)


def test_nan_and_infinity_are_read_and_refused_by_the_exported_graph(target):
    # TF Serving's JSON parser reads NaN and Infinity as numbers; without the graph's check a
    # NaN latent came back as a 200 with NaN images.
    url, models, _ = target
    latent = models["contract_gan"].latent_dim
    image = np.zeros(models["contract_vae"].image_shape).tolist()
    requests_by_input = [
        ("contract_gan", {"instances": [[float("nan")] + [0.0] * (latent - 1)]}, "z"),
        ("contract_cgan", {"instances": [{"z": [float("inf")] * latent, "labels": 0}]}, "z"),
        ("contract_vae", {"signature_name": "decode",
                          "inputs": [[-float("inf")] * models["contract_vae"].latent_dim]}, "z"),
        ("contract_vae", {"signature_name": "encode",
                          "instances": [image, np.full_like(image, np.nan).tolist()]}, "images"),
        ("contract_vae", {"instances": [np.full_like(image, np.nan).tolist()]}, "images")]
    for name, body, refused in requests_by_input:
        response = post(url, name, body)  # json.dumps writes NaN, Infinity and -Infinity
        assert response.status_code == 400, response.text
        assert f"{refused} must be finite numbers; received NaN or Infinity" in response.json()[
            "error"]
    assert_still_serving(url)


def test_client_surfaces_server_errors_and_retries(target):
    url, models, _ = target
    client = Client(url, "contract_cgan")
    np.testing.assert_allclose(client.sample([5], labels=[3])[0],
                               (models["contract_cgan"].generate(1, labels=3, seed=5)[0] + 1) / 2,
                               atol=1e-4)
    with pytest.raises(ServingError, match="HTTP 400.*missing \\['labels'\\]"):
        client.sample([5])
    assert client.status()["model_version_status"][0]["version"] == "1"
    dead = Client("http://127.0.0.1:9", "contract_gan", retries=2, backoff=0.01, timeout=1)
    start = time.monotonic()
    said = (r"^No answer from http://127\.0\.0\.1:9/v1/models/contract_gan after 3 attempt\(s\): "
            r".*Connection refused.*Start one with `keras-gen serve saved_models`")
    with pytest.raises(requests.ConnectionError, match=said):  # requests' type, as before
        dead.status()
    assert time.monotonic() - start >= 0.03  # two backoffs: 0.01 + 0.02


def test_client_checks_its_arguments_before_sending(target, monkeypatch):
    # sample(5) and a scalar in the row format failed inside numpy ("len() of unsized object"),
    # labels=7 for two seeds likewise, and seed 1.5 came back as the image of seed 1.
    url, models, _ = target
    client = Client(url, "contract_cgan")
    sevens = client.sample([5, 6], labels=7)  # one label for every seed, as generate() takes
    expected = models["contract_cgan"].generate(2, labels=7, seed=5)[0]
    np.testing.assert_allclose(sevens[0], (expected + 1) / 2, atol=1e-4)
    np.testing.assert_allclose(sevens[1], client.sample([6], labels=[7])[0], atol=1e-6)
    monkeypatch.setattr(client, "_call", lambda *args, **kwargs: pytest.fail("sent"))
    for seeds, labels, match in [
            (5, None, r"^seeds must be whole numbers, one per image: \[5\] for one image of "
                      r"seed 5, range\(5\) for five\. Received: seeds=5$"),
            ([1.5], None, r"Received: seeds=\[1\.5\]"),
            ([1, 2], [0.5, 1], r"^labels must be whole numbers, class ids or class names, one "
                               r"per seed or one for all of them\. Received: labels=\[0\.5, 1\]")]:
        with pytest.raises(ValueError, match=match):
            client.sample(seeds, labels=labels)
    with pytest.raises(ValueError, match=r"^format='instances' sends one row per example, so "
                                         r"every input needs the same batch size; received batch "
                                         r"sizes \{'seed': None, 'labels': 2\}"):
        client.predict({"seed": 3, "labels": [1, 2]}, signature="sample", format="instances")
    with pytest.raises(ValueError, match=r"^format='instances' sends one row per example, so "
                                         r"an unnamed input needs a batch dimension; received 3\. "
                                         r"Send \[3\] for one example, or format='inputs'\.$"):
        client.predict(3, signature="sample", format="instances")
    with pytest.raises(ValueError, match=r"^inputs must be a dict of input name -> values, or "
                                         r"the values of a signature's one input; received a "
                                         r"set\.$"):
        client.predict({3}, signature="sample")


@pytest.mark.parametrize("arguments, message", [
    # Each failed at the first request: in requests ("No connection adapters were found",
    # "timeout cannot be set to a value less than or equal to 0") or in the retry loop
    # ("cannot access local variable 'response'").
    (("127.0.0.1:8501", "m"), r"^base_url must be the server's http\(s\) URL, e\.g\. "
                              r"'http://127\.0\.0\.1:8501'\. Received: "
                              r"base_url='127\.0\.0\.1:8501'$"),
    (("http://h:1", "a/b"), r"^A model name is its folder and its URL path .* Received: 'a/b'$"),
    (("http://h:1", "m", 0), r"^timeout must be a number of seconds > 0\. Received: timeout=0$"),
    (("http://h:1", "m", 1, -1), r"^retries must be an int >= 0\. Received: retries=-1$"),
    (("http://h:1", "m", 1, 1.5), r"Received: retries=1\.5$"),
    (("http://h:1", "m", 1, 0, -0.5), r"^backoff must be a number of seconds >= 0\."),
])
def test_a_client_that_could_not_send_is_refused_when_made(arguments, message):
    with pytest.raises(ValueError, match=message):
        Client(*arguments)


def test_a_client_refuses_requests_that_name_no_version_or_image(monkeypatch):
    client = Client("http://127.0.0.1:9", "contract_gan", retries=0)
    monkeypatch.setattr(client, "_call", lambda *args, **kwargs: pytest.fail("sent"))
    # int("latest") failed with "invalid literal for int()"; 1.5 was asked for as version 1.
    for version in ("latest", 1.5, 0):
        with pytest.raises(ValueError, match=rf"^version must be a positive int\. Received: "
                                             rf"version={version!r}$"):
            client.status(version=version)
    with pytest.raises(ValueError, match=r"^seeds is empty: pass one seed per image"):
        client.sample([])


def test_client_pauses_garbage_collection_only_while_decoding(target, monkeypatch):
    url, models, _ = target
    client = Client(url, "contract_gan")
    seen = []
    import keras_gen.serving.client as client_module

    real = client_module._decode
    monkeypatch.setattr(client_module, "_decode",
                        lambda name, value: seen.append(gc.isenabled()) or real(name, value))
    client.sample([1, 2])
    assert seen and not any(seen)  # paused while the answer became numpy
    assert gc.isenabled()  # and collecting again afterwards
    gc.disable()
    try:
        client.sample([1])
        assert not gc.isenabled()  # a caller's own choice is left alone
    finally:
        gc.enable()


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
