"""TF Serving's JSON formats by unit: response shapes, base64 bytes, number rules, input names."""

import re

import numpy as np
import pytest

from keras_gen.serving.json_text import dumps, loads
from keras_gen.serving.rest import BadRequest, format_response


def test_row_format_pairs_each_output_per_instance_and_base64_encodes_bytes():
    outputs = {"images": np.array([[0.25], [0.75]], np.float32),
               "images_png_bytes": np.array([b"\x00", b"\xff"], dtype=object)}
    assert loads(dumps(format_response("instances", outputs))) == {"predictions": [
        {"images": [0.25], "images_png_bytes": {"b64": "AA=="}},
        {"images": [0.75], "images_png_bytes": {"b64": "/w=="}}]}
    assert loads(dumps(format_response("inputs", outputs))) == {"outputs": {
        "images": [[0.25], [0.75]], "images_png_bytes": [{"b64": "AA=="}, {"b64": "/w=="}]}}


def test_base64_objects_are_decoded_for_string_inputs_and_refused_for_numbers():
    import tensorflow as tf

    from keras_gen.serving.rest import parse_request

    form, arrays = parse_request({"instances": [{"b64": "aGk="}]},
                                 {"images_bytes": tf.TensorSpec((None,), tf.string)}, 8)
    assert form == "instances" and arrays["images_bytes"].tolist() == [b"hi"]
    with pytest.raises(BadRequest, match=r"'z'.*b64.*for string inputs"):
        parse_request({"inputs": {"z": [[{"b64": "AAAA"}]]}},
                      {"z": tf.TensorSpec((None, 1), tf.float32)}, 8)


@pytest.mark.parametrize("text, decoded", [
    ("aGk=", b"hi"), ("aGk", b"hi"), ("aGk.", b"hi"), ("aA", b"h"), ("aA==", b"h"), ("", b""),
    # Whitespace anywhere is skipped: base64.encodebytes and `base64` wrap lines at 76.
    ("aGVs\nbG8=\n", b"hello"), (" aG\tVs bG8 ", b"hello"), ("aGk =", b"hi")])
def test_base64_is_read_as_tf_serving_reads_it(text, decoded):
    # TF Serving decodes "b64" with absl::Base64Unescape: padding optional ('=' or '.') but
    # right when given, whitespace skipped. Python's strict decoder refused the unpadded and
    # the wrapped forms, which the container serves.
    import tensorflow as tf

    from keras_gen.serving.rest import parse_request

    _, arrays = parse_request({"instances": [{"b64": text}]},
                              {"images_bytes": tf.TensorSpec((None,), tf.string)}, 8)
    assert arrays["images_bytes"].tolist() == [decoded]


@pytest.mark.parametrize("text", [
    "aGk==",     # one pad too many
    "aGkxa",     # 5 characters: 6 bits left over
    "aG=k",      # data after the padding
    "aG-k",      # URL-safe alphabet, not TF Serving's
    "aGk=aGk=",  # two encodings glued together
])
def test_base64_that_tf_serving_refuses_is_refused(text):
    import tensorflow as tf

    from keras_gen.serving.rest import parse_request

    with pytest.raises(BadRequest, match=r"Invalid base64 in a \"b64\" input"):
        parse_request({"instances": [{"b64": text}]},
                      {"images_bytes": tf.TensorSpec((None,), tf.string)}, 8)


def test_values_that_are_not_numbers_are_named_for_numeric_inputs():
    import tensorflow as tf

    from keras_gen.serving.rest import parse_request

    specs = {"seed": tf.TensorSpec((None,), tf.int64), "z": tf.TensorSpec((None, 2), tf.float32)}
    # The message named numpy's dtype for the whole input ("non-numeric values (<U5)",
    # "(object)"); it now quotes the first value that is not a number, in JSON's spelling.
    # Booleans among a float input's numbers were read as 1.0 and 0.0, where TF Serving
    # refuses them (json_tensor.cc: DT_FLOAT takes only `IsNumber()`).
    for seed, z, shown in [(["Seven"], [[0.5, 1.0]], '"Seven"'), ([None], [[0.5, 1.0]], "null"),
                           ([True], [[0.5, 1.0]], "true"), ([1, True], [[0.5, 1.0]] * 2, "true"),
                           ([1], [[0.5, "1"]], '"1"'), ([1], [[True, 0.5]], "true"),
                           ([1], [[1, False]], "false")]:
        with pytest.raises(BadRequest, match=r"must be (int64|float32) shaped .*: "
                                             rf"{re.escape(shown)} is not a number; send "
                                             r"numbers$"):
            parse_request({"inputs": {"seed": seed, "z": z}}, specs, 8)
    # Ragged lists were numpy's words ("setting an array element with a sequence. The requested
    # array has an inhomogeneous shape after 2 dimensions...").
    for z in [[[0.5, [1.0]]], [[0.5, 1.0], [1.0]]]:
        with pytest.raises(BadRequest, match=r"^Input 'z' must be float32 shaped \[-1, 2\]: "
                                             r"its lists are ragged \(rows of different "
                                             r"lengths, or a list where a number belongs\); "
                                             r"every row must have the same shape$"):
            parse_request({"inputs": {"seed": [1, 2], "z": z}}, specs, 8)


def test_integer_inputs_take_only_json_integers_within_their_range():
    import tensorflow as tf

    from keras_gen.serving.rest import parse_request

    specs = {"seed": tf.TensorSpec((None,), tf.int64), "labels": tf.TensorSpec((None,), tf.int32)}

    def parse(seed, label):
        return parse_request({"inputs": {"seed": [seed], "labels": [label]}}, specs, 8)[1]

    # The ends of each range pass exactly.
    arrays = parse(2 ** 63 - 1, -2 ** 31)
    assert arrays["seed"].dtype == np.int64 and arrays["seed"].tolist() == [2 ** 63 - 1]
    assert arrays["labels"].dtype == np.int32 and arrays["labels"].tolist() == [-2 ** 31]
    # One past them is refused, not wrapped: 2**32 + 7 would be int32 label 7.
    with pytest.raises(BadRequest, match=r"'labels'.*4294967303 is outside int32's range "
                                         r"\[-2147483648, 2147483647\]"):
        parse(0, 2 ** 32 + 7)
    with pytest.raises(BadRequest, match=r"'seed'.*9223372036854775808 is outside int64"):
        parse(2 ** 63, 0)
    # A decimal is not an integer even when whole (TF Serving refuses 1.0 and 1e30 too).
    for seed, shown in [(1.0, "1.0"), (1e30, "1e+30"), (1.5, "1.5"), (float("inf"), "Infinity")]:
        with pytest.raises(BadRequest, match=rf"'seed'.*{re.escape(shown)} is not an integer"):
            parse(seed, 0)
    # A whole number beyond 64 bits reaches us as a decimal too (JSON readers, TF Serving's
    # rapidjson among them, read 99999999999999999999 so): the advice names the range, not only
    # the decimal point the sender may never have written.
    with pytest.raises(BadRequest, match=r"'seed'.*1e\+20 is not an integer: a decimal, or a "
                                         r"whole number beyond 64 bits.*send whole numbers "
                                         r"within int64's range \[-9223372036854775808, "):
        parse(99999999999999999999.0, 0)
    with pytest.raises(BadRequest, match=r"'seed'.*1\.0 is not an integer; send whole numbers "
                                         r"without a decimal point or exponent$"):
        parse(1.0, 0)


def test_float_inputs_refuse_numbers_float32_cannot_hold():
    import tensorflow as tf

    from keras_gen.serving.rest import parse_request

    specs = {"z": tf.TensorSpec((None, 2), tf.float32)}

    def parse(row):
        return parse_request({"instances": [row]}, specs, 8)[1]["z"]

    # float32's largest finite value and integers up to 2**24 - 1 pass...
    largest = float(np.finfo(np.float32).max)
    assert parse([largest, 2 ** 24 - 1]).tolist() == [[largest, 16777215.0]]
    # ...beyond them a value would turn into infinity or another integer (2**24 + 1 -> 2**24).
    with pytest.raises(BadRequest, match=r"'z'.*beyond \+-3\.403e\+38 do not fit float32"):
        parse([1e39, 0.0])
    with pytest.raises(BadRequest, match=r"'z'.*integers beyond \+-16777215 are refused"):
        parse([0, 2 ** 24 + 1])
    # The same number written as a decimal is accepted, as TF Serving accepts it; written as an
    # integer it is refused among decimals too (TF Serving judges every number on its own).
    assert parse([0.0, 16777217.0]).tolist() == [[0.0, 16777216.0]]
    with pytest.raises(BadRequest, match=r"'z'.*integers beyond \+-16777215 are refused"):
        parse([0.5, 2 ** 24 + 1])
    assert parse([0.5, 2 ** 24 - 1]).tolist() == [[0.5, 16777215.0]]
    # NaN and Infinity pass to the signature, which refuses them itself (as in TF Serving).
    assert np.array_equal(parse([np.nan, -np.inf]), [[np.nan, -np.inf]], equal_nan=True)


def test_an_empty_batch_is_refused_in_both_formats():
    # The columnar one reached the model, whose oneDNN convolution gives an empty batch the wrong
    # shape: the answer was a 400 about "Specified a list with shape [28,28,1] from a tensor ...".
    import tensorflow as tf

    from keras_gen.serving.rest import parse_request

    specs = {"seed": tf.TensorSpec((None,), tf.int64), "labels": tf.TensorSpec((None,), tf.int32)}
    with pytest.raises(BadRequest, match=r"^The inputs hold no examples \(batch size 0: "
                                         r"\{'labels': 0, 'seed': 0\}\); send at least one\.$"):
        parse_request({"inputs": {"seed": [], "labels": []}}, specs, 8)
    with pytest.raises(BadRequest, match="must be a non-empty list"):
        parse_request({"instances": []}, specs, 8)


def test_an_instance_object_names_inputs_even_for_a_one_input_signature():
    # As TF Serving (json_tensor.cc: an object other than {"b64": ...} names its inputs): an
    # instance {"seed": 1} sent to a signature taking only "z" was read as z's value, and the
    # answer blamed base64 ("{"b64": ...} objects are for string inputs").
    import tensorflow as tf

    from keras_gen.serving.rest import WrongInputNames, parse_request

    specs = {"z": tf.TensorSpec((None, 2), tf.float32)}
    with pytest.raises(WrongInputNames, match=re.escape(
            "Each instance must be an object with exactly the inputs ['z']; received "
            "['seed'].")) as caught:
        parse_request({"instances": [{"seed": 1}]}, specs, 8)
    assert caught.value.received == {"seed"}
    with pytest.raises(WrongInputNames) as caught:
        parse_request({"inputs": {"seed": [1]}}, specs, 8)
    assert caught.value.received == {"seed"}
    # The first instance decides, as there: values and objects are not mixed.
    with pytest.raises(BadRequest, match=re.escape(
            "Instance 1 is an object of named inputs, instance 0 a value: send every "
            "instance as the value of 'z', or every one as an object {\"z\": ...}.")):
        parse_request({"instances": [[0.5, 0.5], {"z": [0.5, 0.5]}]}, specs, 8)
    with pytest.raises(BadRequest, match=re.escape(
            "Each instance must be an object with exactly the inputs ['z']; received "
            "[0.5, 0.5].")):
        parse_request({"instances": [{"z": [0.5, 0.5]}, [0.5, 0.5]]}, specs, 8)
    # Both ways stay accepted on their own; {"b64": ...} is a value, not a named input.
    for body in [{"instances": [[0.5, 0.5]]}, {"instances": [{"z": [0.5, 0.5]}]}]:
        assert parse_request(body, specs, 8)[1]["z"].tolist() == [[0.5, 0.5]]
    strings = {"images_bytes": tf.TensorSpec((None,), tf.string)}
    assert parse_request({"instances": [{"b64": "aGk="}, {"b64": "eA=="}]}, strings, 8)[1][
        "images_bytes"].tolist() == [b"hi", b"x"]
    with pytest.raises(BadRequest, match="Instance 1 is an object of named inputs"):
        parse_request({"instances": [{"b64": "aGk="}, {"b64": 1}]}, strings, 8)
