"""TF Serving's REST request and response formats: "instances" (row) and "inputs" (columnar).

Follows the semantics documented for TF Serving's REST API: a signature with one input accepts
bare values; `{"b64": ...}` objects carry bytes for string inputs; outputs whose name ends in
`_bytes` come back as `{"b64": ...}`; "instances" answers `{"predictions": ...}`, "inputs"
answers `{"outputs": ...}`. Numbers convert by TF Serving's rules (`tensorflow_serving/util/
json_tensor.cc`): integer inputs take JSON integers within their type's range, float inputs
refuse what the float type cannot hold, and neither takes `true` or `false`. The JSON text
itself is read and written by `json_text`.
"""

import base64
import json
import re

import numpy as np


class BadRequest(ValueError):
    """A malformed or invalid request (HTTP 400)."""


class WrongInputNames(BadRequest):
    """A request naming inputs that are not the signature's; `received` is the set it named.

    The server adds which of the model's other signatures takes those names, if one does.
    """

    def __init__(self, message, received):
        super().__init__(message)
        self.received = set(received)


def _names_inputs(instance):
    """Whether an instance is an object of named inputs, as TF Serving tells (`IsElementObject`):
    any object but binary data, `{"b64": "..."}` (`IsValBase64Object`: one key, a string)."""
    if not isinstance(instance, dict):
        return False
    return not (len(instance) == 1 and isinstance(instance.get("b64"), str))


def _decode_b64(value):
    if isinstance(value, dict):
        if set(value) != {"b64"}:
            raise BadRequest(
                f"An object input must be {{\"b64\": ...}}; received keys {sorted(value)}")
        try:
            return _absl_b64decode(value["b64"])
        except (ValueError, TypeError) as error:
            raise BadRequest(f"Invalid base64 in a \"b64\" input: {error}") from error
    if isinstance(value, list):
        return [_decode_b64(item) for item in value]
    return value


_ASCII_SPACE = re.compile(r"[ \t\n\v\f\r]")


def _absl_b64decode(text):
    """Base64 as TF Serving decodes it (`absl::Base64Unescape`): whitespace anywhere is
    skipped (`base64.encodebytes` wraps lines) and padding (`=`, or absl's `.`) may be left
    off, but when given it must be right.

    Raises:
        ValueError: not base64 by those rules. TypeError: not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a string, received {json.dumps(text)}")
    compact = _ASCII_SPACE.sub("", text)
    data = compact.rstrip("=.")
    padding, needed = len(compact) - len(data), -len(data) % 4
    if needed == 3:
        raise ValueError(f"{len(data)} base64 characters leave 6 bits over; a byte needs 8")
    if padding not in (0, needed):
        raise ValueError(f"{len(data)} base64 characters take {needed} '=' of padding (or "
                         f"none), not {padding}")
    return base64.b64decode(data + "=" * needed, validate=True)


def _to_array(name, value, spec, may_hold_booleans):
    import tensorflow as tf

    try:
        if spec.dtype == tf.string:
            # Only string inputs carry {"b64": ...}; TF Serving rejects them elsewhere, and
            # numeric inputs skip the walk over every value.
            array = np.array(_decode_b64(value), dtype=object)
            # TensorFlow's session failed on them with an internal error: a 500.
            odd = [item for item in array.reshape(-1) if not isinstance(item, (str, bytes))]
            if odd:
                raise ValueError(f"{json.dumps(odd[0])} is not a string; send strings, or "
                                 "{\"b64\": ...} objects for binary data")
        else:
            try:
                array = np.asarray(value)
            except ValueError as error:
                if "inhomogeneous" not in str(error):
                    raise
                raise ValueError("its lists are ragged (rows of different lengths, or a list "
                                 "where a number belongs); every row must have the same "
                                 "shape") from None
            # numpy reads [true, 0.5] as [1.0, 0.5] and [1, true] as [1, 1], where TF Serving
            # refuses `true` (not a JSON number): only a walk over the values finds it, ~4x
            # numpy's own time.
            if array.dtype == object or array.dtype.kind in "USb" or may_hold_booleans:
                odd = _first_non_number(value)
                if isinstance(odd, dict):
                    raise ValueError("{\"b64\": ...} objects are for string inputs; send numbers")
                if odd is not _NUMBERS_ONLY:
                    raise ValueError(f"{json.dumps(odd)} is not a number; send numbers")
            if spec.dtype.is_integer:
                array = _exact_integers(value, spec.dtype.as_numpy_dtype)
            else:
                _check_fits_float(array, value, spec.dtype.as_numpy_dtype)
                array = array.astype(spec.dtype.as_numpy_dtype)
    except (ValueError, TypeError, OverflowError) as error:
        raise BadRequest(f"Input {name!r} must be {spec.dtype.name} shaped "
                         f"{_shape_text(spec)}: {error}") from error
    expected = spec.shape
    if expected.rank is not None:
        mismatched = any(want is not None and want != got
                         for want, got in zip(expected.as_list(), array.shape))
        if array.ndim != expected.rank or mismatched:
            raise BadRequest(f"Input {name!r} has shape {list(array.shape)}; the signature "
                             f"expects {_shape_text(spec)} (-1 = any).")
    return array


_NUMBERS_ONLY = object()  # what _first_non_number returns for nested lists of numbers


def _first_non_number(value):
    """The first value in nested lists that is not a JSON number (`true` is not one either)."""
    if isinstance(value, list):
        return next((odd for odd in map(_first_non_number, value) if odd is not _NUMBERS_ONLY),
                    _NUMBERS_ONLY)
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return _NUMBERS_ONLY if is_number else value


def _exact_integers(value, dtype):
    """`value` as a `dtype` array, if every number in it is a JSON integer within its range.

    As TF Serving (rapidjson's `IsInt64()`/`IsInt()`): `1.0` is not an integer, and a value
    outside the range is refused rather than wrapped around (label 4294967303 would become
    int32 label 7).
    """
    array = np.asarray(value, dtype=object)  # the JSON numbers themselves: int or float
    numbers = array.reshape(-1)
    limits = np.iinfo(dtype)
    low, high = int(limits.min), int(limits.max)  # iinfo computes them on every access
    not_integer = next((number for number in numbers if type(number) is not int), None)
    if isinstance(not_integer, float) and 2 ** 63 <= abs(not_integer) < float("inf"):
        # JSON readers (orjson here, rapidjson in TF Serving) read a whole number beyond 64
        # bits as a decimal, so the sender may have written no decimal point at all.
        raise ValueError(f"{json.dumps(not_integer)} is not an integer: a decimal, or a whole "
                         f"number beyond 64 bits (which JSON readers read as a decimal); send "
                         f"whole numbers within {limits.dtype}'s range [{low}, {high}]")
    if not_integer is not None:
        raise ValueError(f"{json.dumps(not_integer)} is not an integer; send whole numbers "
                         f"without a decimal point or exponent")
    outside = next((number for number in numbers if not low <= number <= high), None)
    if outside is not None:
        raise ValueError(f"{outside} is outside {limits.dtype}'s range [{low}, {high}]")
    return array.astype(dtype)


def _check_fits_float(array, value, dtype):
    """Refuses numbers that `dtype` cannot hold, as TF Serving does ("without loss of precision").

    Its rule, number by number: a decimal must lie within the type's finite range (1e39 would
    become float32 infinity, and the images NaN), and a JSON integer must be at most 2**24 - 1
    for float32 (2**53 - 1 for float64), also among decimals (`[16777217, 0.5]`).
    """
    if not array.size:
        return
    limits = np.finfo(dtype)
    largest = 2 ** (limits.nmant + 1) - 1
    # NaN and Infinity pass, as in TF Serving: the signatures' own check refuses them.
    magnitudes = np.abs(array[np.isfinite(array)] if array.dtype.kind == "f" else array)
    if array.dtype.kind == "f" and (magnitudes > limits.max).any():
        raise ValueError(f"values beyond +-{float(limits.max):.4g} do not fit {limits.dtype}")
    # Only a number this large can be an integer out of range: the walk over the JSON numbers
    # themselves (is it an integer or a decimal?) is left to those requests.
    if (magnitudes > largest).any() and (array.dtype.kind in "iu" or any(
            type(number) is int and abs(number) > largest
            for number in np.asarray(value, dtype=object).reshape(-1))):
        raise ValueError(f"integers beyond +-{largest} are refused for {limits.dtype} "
                         f"(TF Serving's lossless limit); send them as decimals")


def _shape_text(spec):
    return str([-1 if d is None else d for d in spec.shape.as_list()])


def mentions_booleans(raw_body):
    """False if a raw request body cannot hold `true` or `false`: `parse_request` may skip them.

    Example:

    ```python
    mentions_booleans(b'{"instances": [[0.5, 1.0]]}')  # False
    ```
    """
    return b"true" in raw_body or b"false" in raw_body


def parse_request(body, input_specs, max_batch, may_hold_booleans=True):
    """Turns a decoded JSON body into `(format, {input name: numpy array})`.

    Args:
        body: the decoded JSON object.
        input_specs: dict of input name -> `tf.TensorSpec` of the signature.
        max_batch: int. Largest batch accepted.
        may_hold_booleans: bool. False, from `mentions_booleans` of the raw body, spares
            numeric inputs the walk over their values that looks for booleans.

    Returns:
        `("instances" | "inputs", arrays)`.

    Example:

    ```python
    parse_request({"instances": [[0.0] * 64]}, {"z": tf.TensorSpec((None, 64))}, 256)
    ```
    """
    if not isinstance(body, dict):
        raise BadRequest(
            "The request body must be a JSON object with \"instances\" or \"inputs\".")
    has_rows, has_columns = "instances" in body, "inputs" in body
    if has_rows and has_columns:
        raise BadRequest("Send either \"instances\" (row format) or \"inputs\" (columnar format), "
                         "not both.")
    if not has_rows and not has_columns:
        raise BadRequest("Missing \"instances\" or \"inputs\" in the request body.")
    names = sorted(input_specs)
    if has_rows:
        form, columns = "instances", _columns_of_instances(body["instances"], names, max_batch)
    else:
        form, columns = "inputs", _columns_of_inputs(body["inputs"], names)
    # Keys of "inputs" that are not inputs are read by no one, as in TF Serving (which looks
    # up each input by name); an instance's keys were checked to be the inputs exactly.
    missing, unknown = set(names) - set(columns), set(columns) - set(names)
    if missing:
        raise WrongInputNames(f"The signature takes inputs {names}; missing {sorted(missing)}, "
                              f"unknown {sorted(unknown)}.", columns)
    arrays = {name: _to_array(name, columns[name], input_specs[name], may_hold_booleans)
              for name in names}
    sizes = {name: (len(a) if a.ndim else 1) for name, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise BadRequest(f"All inputs need the same batch size; received {sizes}.")
    if 0 in sizes.values():
        # Refused as the row format refuses "instances": []. TensorFlow's oneDNN convolution
        # gives an empty batch the wrong shape, so the model would fail with a message about
        # its internals ("Specified a list with shape [28,28,1] from a tensor with shape ...").
        raise BadRequest(f"The inputs hold no examples (batch size 0: {sizes}); send at least "
                         "one.")
    if max(sizes.values()) > max_batch:
        raise BadRequest(f"Batch of {max(sizes.values())} exceeds this server's limit of "
                         f"{max_batch}; split the request.")
    return form, arrays


def _columns_of_instances(rows, names, max_batch):
    """The row format's `{input name: list of values}` (a bare list for a one-input signature)."""
    if not isinstance(rows, list) or not rows:
        raise BadRequest("\"instances\" must be a non-empty list, one entry per example.")
    if len(rows) > max_batch:
        raise BadRequest(f"Batch of {len(rows)} instances exceeds this server's limit of "
                         f"{max_batch}; split the request.")
    # As in TF Serving, the first instance decides: an object (other than {"b64": ...}) names
    # the inputs, anything else is the value of a one-input signature's input; no mixing.
    if not _names_inputs(rows[0]) and len(names) == 1:
        mixed = next((index for index, row in enumerate(rows) if _names_inputs(row)), None)
        if mixed is not None:
            raise BadRequest(f"Instance {mixed} is an object of named inputs, instance 0 a "
                             f"value: send every instance as the value of {names[0]!r}, or "
                             f"every one as an object {{\"{names[0]}\": ...}}.")
        return {names[0]: rows}
    for row in rows:
        if not isinstance(row, dict) or set(row) != set(names):
            message = (f"Each instance must be an object with exactly the inputs {names}; "
                       f"received {sorted(row) if isinstance(row, dict) else row}.")
            raise WrongInputNames(message, row) if isinstance(row, dict) else BadRequest(message)
    return {name: [row[name] for row in rows] for name in names}


def _columns_of_inputs(inputs, names):
    """The columnar format's `{input name: value}` (a bare value for a one-input signature)."""
    if _names_inputs(inputs):  # as an instance: {"b64": "..."} is one binary value
        return inputs
    if len(names) == 1:
        return {names[0]: inputs}
    raise BadRequest(f"\"inputs\" must be an object with the inputs {names}.")


def _jsonable(name, array):
    if name.endswith("_bytes"):
        return np.vectorize(lambda b: {"b64": base64.b64encode(b).decode("ascii")},
                            otypes=[object])(array).tolist()
    # Numeric arrays stay numpy: the server's orjson writes them directly, float32 in its
    # shortest round-tripping form (as TF Serving does), ten times faster than `tolist()`.
    return np.ascontiguousarray(array)


def format_response(form, outputs):
    """Builds the response body for `outputs` (name -> numpy array) in the request's format.

    Numeric outputs stay numpy arrays; serialize with `json_text.dumps` (or any JSON encoder
    that takes numpy arrays).

    Example:

    ```python
    format_response("instances", {"images": images})  # {"predictions": [...]}
    ```
    """
    names = sorted(outputs)
    if form == "inputs":
        if len(names) == 1:
            return {"outputs": _jsonable(names[0], outputs[names[0]])}
        return {"outputs": {name: _jsonable(name, outputs[name]) for name in names}}
    columns = {name: _jsonable(name, outputs[name]) for name in names}
    if len(names) == 1:
        return {"predictions": columns[names[0]]}
    count = len(columns[names[0]])
    return {"predictions": [{name: columns[name][i] for name in names} for i in range(count)]}
