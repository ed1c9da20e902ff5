"""TF Serving's JSON formats by unit: response shapes, base64 bytes, float32 text, bad JSON."""

import numpy as np
import pytest

from keras_gen.serving.rest import BadRequest, dumps, format_response, loads


def test_float32_outputs_are_written_in_their_shortest_exact_form():
    images = np.array([[0.1, 0.5], [1.0, 1 / 3]], np.float32)
    body = dumps(format_response("inputs", {"images": images}))
    # float32(0.1) is 0.100000001490116...: written as 0.1, as TF Serving does, not 17 digits.
    assert body == b'{"outputs":[[0.1,0.5],[1.0,0.33333334]]}'
    assert np.array_equal(np.array(loads(body)["outputs"], np.float32), images)


def test_row_format_pairs_each_output_per_instance_and_base64_encodes_bytes():
    outputs = {"images": np.array([[0.25], [0.75]], np.float32),
               "images_png_bytes": np.array([b"\x00", b"\xff"], dtype=object)}
    assert loads(dumps(format_response("instances", outputs))) == {"predictions": [
        {"images": [0.25], "images_png_bytes": {"b64": "AA=="}},
        {"images": [0.75], "images_png_bytes": {"b64": "/w=="}}]}
    assert loads(dumps(format_response("inputs", outputs))) == {"outputs": {
        "images": [[0.25], [0.75]], "images_png_bytes": [{"b64": "AA=="}, {"b64": "/w=="}]}}


def test_malformed_json_is_a_bad_request():
    with pytest.raises(BadRequest, match="not valid JSON"):
        loads(b'{"instances": [1, 2}')


def test_base64_objects_are_decoded_for_string_inputs_and_refused_for_numbers():
    import tensorflow as tf

    from keras_gen.serving.rest import parse_request

    form, arrays = parse_request({"instances": [{"b64": "aGk="}]},
                                 {"images_bytes": tf.TensorSpec((None,), tf.string)}, 8)
    assert form == "instances" and arrays["images_bytes"].tolist() == [b"hi"]
    with pytest.raises(BadRequest, match=r"'z'.*b64.*for string inputs"):
        parse_request({"inputs": {"z": [[{"b64": "AAAA"}]]}},
                      {"z": tf.TensorSpec((None, 1), tf.float32)}, 8)
