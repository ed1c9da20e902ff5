"""The REST contract of the exported signatures (GAN, conditional GAN, VAE): both request
formats, PNG bytes out and in, and what the exported graphs refuse.

Runs against KERAS_GEN_SERVING_URL when set, as test_contract.py does.
"""

import base64
import re

import numpy as np
import pytest
import tensorflow as tf

from keras_gen.serving import Client, ServingError
from tests.serving.contract_requests import assert_still_serving, post


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
