"""`Client`: a small TF Serving REST client with timeouts, retries and clear errors."""

import base64
import contextlib
import gc
import time

import numpy as np

from keras_gen.export.saved_model import check_model_name
from keras_gen.utils.arguments import check_positive_int, holds_class_ids, is_int, is_number


class ServingError(RuntimeError):
    """The server answered with an error: `status` is the HTTP code, the message the server's."""

    def __init__(self, status, message):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class Client:
    """Talks to a TF Serving REST endpoint (the container or `keras-gen serve`).

    Args:
        base_url: str. e.g. `"http://127.0.0.1:8501"`.
        model_name: str. The model's name in `models.config`.
        timeout: float. Seconds per HTTP request.
        retries: int. Extra attempts after a connection error (not after an HTTP error).
        backoff: float. Seconds before the first retry; doubles each time.

    Example:

    ```python
    client = Client("http://127.0.0.1:8501", "dcgan_digits")
    images = client.sample([0, 1, 2])  # (3, 28, 28, 1) float32 in [0, 1]
    ```
    """

    def __init__(self, base_url, model_name, timeout=30.0, retries=3, backoff=0.2):
        import requests

        # Each failed at the first request, inside requests ("No connection adapters were
        # found", "timeout cannot be set to a value less than or equal to 0") or here
        # (retries=-1: "cannot access local variable 'response'").
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be the server's http(s) URL, e.g. "
                             f"'http://127.0.0.1:8501'. Received: base_url={base_url!r}")
        check_model_name(model_name)
        if not is_number(timeout) or not timeout > 0:
            raise ValueError(f"timeout must be a number of seconds > 0. Received: "
                             f"timeout={timeout!r}")
        if not is_int(retries) or retries < 0:
            raise ValueError(f"retries must be an int >= 0. Received: retries={retries!r}")
        if not is_number(backoff) or not backoff >= 0:
            raise ValueError(f"backoff must be a number of seconds >= 0. Received: "
                             f"backoff={backoff!r}")
        self.base_url, self.model_name = base_url.rstrip("/"), model_name
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._session = requests.Session()

    def _url(self, version=None, label=None, suffix=""):
        if version is not None and label is not None:
            raise ValueError("Pass version or label, not both.")
        path = f"{self.base_url}/v1/models/{self.model_name}"
        if version is not None:
            # int("latest") failed with "invalid literal for int()"; 1.5 was asked for as 1.
            path += f"/versions/{check_positive_int('version', version)}"
        elif label is not None:
            path += f"/labels/{label}"
        return path + suffix

    def _call(self, method, url, convert=None, **kwargs):
        import requests

        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                response = self._session.request(method, url, timeout=self.timeout, **kwargs)
                break
            except (requests.ConnectionError, requests.Timeout) as error:
                if attempt == self.retries:
                    # requests' own type, so callers catch it as before; the message says what to
                    # check instead of only "Max retries exceeded with url".
                    raise type(error)(
                        f"No answer from {url} after {attempt + 1} attempt(s): {error}. Is a TF "
                        f"Serving REST endpoint at {self.base_url}? Start one with `keras-gen "
                        "serve saved_models` or serving/'s docker compose, or check the URL and "
                        "port (8501 for REST).") from error
                time.sleep(delay)
                delay *= 2
        if response.status_code >= 400:
            try:
                message = response.json().get("error", response.text)
            except (ValueError, AttributeError):
                message = response.text
            raise ServingError(response.status_code, message)
        with _collection_paused():
            try:
                payload = response.json()
            except ValueError as error:
                raise ServingError(response.status_code,
                                   f"The answer is not JSON: {response.text[:200]!r}") from error
            return convert(payload) if convert else payload

    def status(self, version=None, label=None):
        """GET the model's version status: every version, newest first, or `version` only.

        TF Serving answers a status request by label for all versions, as if
        no label were given; `metadata(label=...)["model_spec"]["version"]`
        is the version a label points to.
        """
        return self._call("GET", self._url(version, label))

    def metadata(self, version=None, label=None):
        """GET the model's signatures."""
        return self._call("GET", self._url(version, label, "/metadata"))

    def predict(self, inputs, signature="serving_default", version=None, label=None,
                format="inputs"):
        """POST `:predict`; returns the outputs as numpy arrays (`_bytes` outputs as bytes).

        Args:
            inputs: dict of input name -> array-like (bytes inputs as `bytes`), or one
                array-like for a signature with one input (sent unnamed, as TF Serving takes
                it: `client.predict(z)`).
            signature: str. Signature name.
            version, label: optional version number or label.
            format: `"inputs"` (columnar) or `"instances"` (row).

        Returns:
            dict of output name -> numpy array. A signature with a single output (a GAN's
            `serving_default`) comes back as `{"output": array}`: TF Serving's response does
            not name a lone output.

        Example:

        ```python
        client = Client("http://localhost:8501", "dcgan_mnist")
        images = client.predict({"z": np.zeros((2, 64), np.float32)})["output"]  # (2, 28, 28, 1)
        images = client.predict(np.zeros((2, 64), np.float32))["output"]  # one input: unnamed
        pngs = client.predict({"seed": [0, 1]}, signature="sample")["images_png_bytes"]
        ```
        """
        def encode(value):
            if isinstance(value, (bytes, bytearray)):
                return {"b64": base64.b64encode(value).decode("ascii")}
            if isinstance(value, (list, tuple, np.ndarray)) and len(value) and isinstance(
                    value[0], (bytes, bytearray)):
                return [encode(v) for v in value]
            return np.asarray(value).tolist()

        named = isinstance(inputs, dict)
        if named:
            columns = {name: encode(value) for name, value in inputs.items()}
        else:  # one input, unnamed: TF Serving takes it so for a signature with one input
            columns = encode(inputs)
            if not isinstance(columns, (list, int, float, str, dict)):
                raise ValueError(f"inputs must be a dict of input name -> values, or the values "
                                 f"of a signature's one input; received a "
                                 f"{type(inputs).__name__}.")
        if format == "inputs":
            body = {"signature_name": signature, "inputs": columns}
        elif format == "instances" and not named:
            if not isinstance(columns, list):
                raise ValueError(
                    f"format='instances' sends one row per example, so an unnamed input needs "
                    f"a batch dimension; received {columns!r}. Send [{columns!r}] for one "
                    "example, or format='inputs'.")
            body = {"signature_name": signature, "instances": columns}
        elif format == "instances":
            counts = {name: len(value) if isinstance(value, list) else None
                      for name, value in columns.items()}
            if None in counts.values() or len(set(counts.values())) != 1:
                # Each row holds one example of every input (TF Serving's row format).
                raise ValueError(
                    "format='instances' sends one row per example, so every input needs the same "
                    f"batch size; received batch sizes {counts} (None: not a batch). Give each "
                    "input a batch dimension, or send format='inputs'.")
            count = next(iter(counts.values()))
            body = {"signature_name": signature,
                    "instances": [{k: v[i] for k, v in columns.items()} for i in range(count)]}
        else:
            raise ValueError(f"format must be 'inputs' or 'instances'. Received: {format!r}")
        return self._call("POST", self._url(version, label, ":predict"), convert=_to_numpy,
                          json=body)

    def sample(self, seeds, labels=None, version=None):
        """Images for the given seeds (and labels, for conditional models): float32 in [0, 1].

        Args:
            seeds: sequence of ints, one image each; the same seed always gives the same image.
            labels: optional int or str, or a sequence of them. For a conditional model: class
                ids, or class names (sent to `sample_by_name`, which models with class names
                have); one per seed, or one for all of them.
            version: optional int. The model version (default: the newest).

        Returns:
            float32 numpy array `(len(seeds), height, width, channels)`.

        Example:

        ```python
        sevens = Client(url, "cgan_mnist").sample(range(16), labels=7)
        sneakers = Client(url, "cgan_fashion_mnist").sample(range(16), labels="Sneaker")
        ```
        """
        seeds = _whole_numbers("seeds", seeds, "one per image: [5] for one image of seed 5, "
                               "range(5) for five")
        if not seeds.size:  # a request for no image
            raise ValueError("seeds is empty: pass one seed per image, e.g. range(4) for four.")
        inputs, signature = {"seed": seeds.astype(np.int64)}, "sample"
        if labels is not None:
            names = np.asarray(labels).dtype.kind in "US"
            if not names:
                labels = _whole_numbers("labels", labels, "class ids or class names, one per "
                                        "seed or one for all of them", scalar=True)
            labels = np.asarray(labels)
            if labels.ndim == 0:  # one class for every seed, as generate(n, labels=7) takes
                labels = np.full(seeds.shape, labels)
            if names:  # served by the model's sample_by_name
                inputs["class_name"] = [str(name).encode() for name in labels]
                signature = "sample_by_name"
            else:
                inputs["labels"] = labels.astype(np.int32)
        return self.predict(inputs, signature=signature, version=version)["images"]


def _whole_numbers(name, values, what, scalar=False):
    """`values` as a numpy array of whole numbers (1-d, or a scalar if allowed), else ValueError.

    A cast to int made seed 1.5 the image of seed 1, and a scalar or a string failed inside
    numpy ("len() of unsized object", "invalid literal for int()").
    """
    array = np.asarray(values)
    if not (array.ndim == 1 or scalar and array.ndim == 0) or not holds_class_ids(array):
        raise ValueError(f"{name} must be whole numbers, {what}. Received: {name}={values!r}")
    return array


@contextlib.contextmanager
def _collection_paused():
    """Pauses Python's cyclic garbage collector while a JSON answer is decoded.

    A batch of 64 28x28 images decodes into ~52,000 nested lists; their allocations trigger
    full collections, which with TensorFlow loaded walk millions of objects (~190 ms each
    here, several per second of decoding). Decoded JSON holds no reference cycles, so
    nothing is lost by not collecting while it exists.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _to_numpy(payload):
    if "outputs" in payload:
        outputs = payload["outputs"]
        outputs = outputs if isinstance(outputs, dict) else {"output": outputs}
    else:
        rows = payload["predictions"]
        outputs = ({k: [row[k] for row in rows] for k in rows[0]}
                   if rows and isinstance(rows[0], dict) else {"output": rows})
    return {name: _decode(name, value) for name, value in outputs.items()}


def _decode(name, value):
    if name.endswith("_bytes"):
        return [base64.b64decode(item["b64"]) for item in value]
    return np.asarray(value, dtype=np.float32)
