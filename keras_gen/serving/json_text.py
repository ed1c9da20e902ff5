"""TF Serving's JSON text: request bodies read and answers written as its rapidjson does.

Beyond strict JSON, TF Serving reads and writes `NaN`, `Infinity` and `-Infinity`, and writes
float32 values in their shortest round-tripping digits.
"""

import json
import re

import numpy as np

from keras_gen.serving.rest import BadRequest


def dumps(payload):
    """Serializes a response payload (numpy arrays allowed) to JSON bytes.

    orjson writes it, ten times faster than the standard library; it would write NaN and
    infinity as `null`, so a payload holding them is written as TF Serving writes it, with
    `NaN`, `Infinity` and `-Infinity` (not strict JSON, but what its clients parse).

    Example:

    ```python
    dumps({"outputs": np.zeros((1, 2), np.float32)})  # b'{"outputs":[[0.0,0.0]]}'
    dumps({"outputs": np.array([np.nan], np.float32)})  # b'{"outputs": [NaN]}'
    ```
    """
    import orjson

    if _holds_non_finite(payload):
        return json.dumps(payload, default=_shortest_floats).encode()
    return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)


def _shortest_floats(array):
    """A numeric array as nested lists, float32 values in their shortest digits.

    0.1, not 0.10000000149011612, as orjson and TF Serving write float32.
    """
    if array.dtype != np.float32:
        return array.tolist()
    # Iterating the flat array yields float32 scalars, whose `str` is the shortest form.
    shortest = [float(str(value)) for value in array.ravel()]
    return np.array(shortest, dtype=object).reshape(array.shape).tolist()


def _holds_non_finite(value):
    if isinstance(value, np.ndarray):
        return value.dtype.kind == "f" and not np.isfinite(value).all()
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list):
        return False
    return any(_holds_non_finite(item) for item in value)


# A JSON string (left as it is), or a name rapidjson reads as a number, with its minus if any.
_RAPIDJSON_NAMES = re.compile(r'"(?:[^"\\]|\\.)*"|(-?)(Inf(?:inity)?|NaN)')


def _python_name(match):
    """The standard library's spelling of a rapidjson non-finite name; a string unchanged."""
    minus, name = match.groups()
    if name is None:
        return match.group(0)
    return "NaN" if name == "NaN" else f"{minus}Infinity"


def loads(body):
    """Parses a request body as TF Serving does; malformed JSON raises `BadRequest`.

    TF Serving's parser (rapidjson with `kParseNanAndInfFlag`) reads `NaN`, `Infinity`, `Inf`
    and the last two with a minus (and `-NaN`, as NaN) as numbers, and so does this; the
    signatures then refuse them with a reason.

    Example:

    ```python
    loads(b'{"instances": [0, 1]}')  # {"instances": [0, 1]}
    ```
    """
    import orjson

    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        try:  # the standard library reads those names, and is used only when orjson fails
            return json.loads(_RAPIDJSON_NAMES.sub(_python_name, bytes(body).decode("utf-8")))
        except (ValueError, RecursionError):  # arrays nested past orjson's limit: a 500 before
            raise BadRequest(f"The request body is not valid JSON: {error}") from error
