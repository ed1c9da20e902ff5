"""TF Serving's JSON text: float32 written shortest, NaN and Infinity both ways, bad JSON."""

import numpy as np
import pytest

from keras_gen.serving.json_text import dumps, loads
from keras_gen.serving.rest import BadRequest, format_response


def test_float32_outputs_are_written_in_their_shortest_exact_form():
    images = np.array([[0.1, 0.5], [1.0, 1 / 3]], np.float32)
    body = dumps(format_response("inputs", {"images": images}))
    # float32(0.1) is 0.100000001490116...: written as 0.1, as TF Serving does, not 17 digits.
    assert body == b'{"outputs":[[0.1,0.5],[1.0,0.33333334]]}'
    assert np.array_equal(np.array(loads(body)["outputs"], np.float32), images)


def test_non_finite_outputs_are_written_as_tf_serving_writes_them():
    # orjson alone would write null; TF Serving writes NaN, Infinity and -Infinity.
    images = np.array([[np.nan, np.inf], [-np.inf, 0.1]], np.float32)
    body = dumps(format_response("inputs", {"images": images}))
    assert body == b'{"outputs": [[NaN, Infinity], [-Infinity, 0.1]]}'
    assert np.array_equal(np.array(loads(body)["outputs"], np.float32), images, equal_nan=True)
    rows = dumps(format_response("instances", {"images": images, "ids": np.array([7, 8])}))
    assert rows == (b'{"predictions": [{"ids": 7, "images": [NaN, Infinity]}, '
                    b'{"ids": 8, "images": [-Infinity, 0.1]}]}')


def test_malformed_json_is_a_bad_request():
    with pytest.raises(BadRequest, match="not valid JSON"):
        loads(b'{"instances": [1, 2}')
    # Nested past the parsers' limits: a RecursionError, which the server answered with a 500.
    with pytest.raises(BadRequest, match="not valid JSON: depth limit exceeded"):
        loads(b'{"instances": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")


def test_nan_and_infinity_are_read_as_numbers_as_tf_serving_reads_them():
    body = loads(b'{"instances": [NaN, Infinity, -Infinity, 0.5]}')
    assert np.array_equal(body["instances"], [np.nan, np.inf, -np.inf, 0.5], equal_nan=True)
    # rapidjson's own spellings too (its reader.h: "Inf", then "inity" if an "i" follows; a
    # minus before NaN is read and dropped); in a string they stay text.
    body = loads(b'{"instances": [Inf, -Inf, -NaN], "note": "Inf \\" -NaN"}')
    assert np.array_equal(body["instances"], [np.inf, -np.inf, np.nan], equal_nan=True)
    assert body["note"] == 'Inf " -NaN'
    # Other non-JSON stays refused, as does a body that is not UTF-8 (TF Serving reads UTF-8).
    for body in [b'{"instances": [nan]}', b'[Infinit]', b'[+Inf]',
                 '{"instances": [1]}'.encode("utf-16")]:
        with pytest.raises(BadRequest, match="not valid JSON"):
            loads(body)
