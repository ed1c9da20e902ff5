"""A local server that speaks TensorFlow Serving's REST API, for machines without Docker.

`keras-gen serve saved_models/ --port 8501` answers the same URLs and JSON as the
`tensorflow/serving` container, so clients and contract tests work against either. Built on
Werkzeug (requests, responses) and Waitress (a maintained, threaded WSGI server): no HTTP is
parsed here.
"""

import re
import threading
import zlib
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Request

from keras_gen.export.session_model import PREDICT_METHOD
from keras_gen.serving.repository import ModelRepository, NotFound
from keras_gen.serving.json_text import dumps, loads
from keras_gen.serving.rest import (BadRequest, WrongInputNames, format_response,
                                    mentions_booleans, parse_request)
from keras_gen.utils.arguments import check_positive_int, is_int

# TF Serving matches its routes case-insensitively ("(?i)/v1/models/...") and then compares the
# verb as written, so `/V1/Models/x:predict` is served and `:PREDICT` is a malformed request.
# Its status route takes no name too (`GET /v1/models`), to answer that one is missing.
_ROUTE = re.compile(
    r"^(?i:/v1/models)(?:/(?P<name>[^/:]+))?"
    r"(?:(?i:/versions/)(?P<version>\d+)|(?i:/labels/)(?P<label>[^/:]+))?"
    r"(?P<action>/metadata|:predict|:classify|:regress)?$"
)


def _path_as_sent(request):
    """The request's path and query with their %-escapes as sent, which is what TF Serving
    routes on.

    TF Serving matches its routes on the path as sent and decodes the name and label only
    once they are parsed, so `a%2Fb` is the model `a/b`, while WSGI's `PATH_INFO` is decoded
    first (`a/b`: no route). Its routes are matched against the path with its query (evhttp's
    `path_and_query`), so `?timeout=5` makes a request malformed there; it is kept here for
    the same answer. Waitress and Werkzeug keep the request target as sent in `REQUEST_URI`.
    """
    raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI")
    if not raw:
        return request.full_path if request.query_string else request.path
    if raw.startswith("/"):  # a path and query, as clients send them
        return raw
    parts = urlsplit(raw)  # absolute form, "http://host:port/path?query", as proxies send
    return raw[len(f"{parts.scheme}://{parts.netloc}"):] or "/"


class ServingApp:
    """The WSGI application: status, metadata and `:predict` routes.

    `:classify` and `:regress` are refused with a 400, as TF Serving refuses them for a model
    whose signatures are all predict signatures (every keras_gen export).

    Args:
        repository: `ModelRepository`.
        max_batch: int. Largest batch a request may carry.
        max_body_bytes: int. Largest request body, counted uncompressed (a 413 beyond it).

    Example:

    ```python
    app = ServingApp(ModelRepository("saved_models"))
    waitress.serve(app, host="127.0.0.1", port=8501)
    ```
    """

    def __init__(self, repository, max_batch=256, max_body_bytes=32 * 1024 * 1024):
        self.repository = repository
        # 0 refused every request, as too large, while the server looked up.
        self.max_batch = check_positive_int("max_batch", max_batch)
        self.max_body_bytes = check_positive_int("max_body_bytes", max_body_bytes)

    def __call__(self, environ, start_response):
        request = Request(environ)
        request.max_content_length = self.max_body_bytes
        try:
            status, payload = self.dispatch(request)
        except BadRequest as error:
            status, payload = 400, {"error": str(error)}
        except NotFound as error:
            status, payload = 404, {"error": str(error)}
        except RequestEntityTooLarge:  # from max_content_length, sent whole or in chunks
            status, payload = 413, {"error": (
                f"The request body is larger than this server's limit of {self._limit_text()}. "
                "Send fewer instances per request, or raise the limit (keras-gen serve "
                "--max-body-mb).")}
        except HTTPException as error:
            status, payload = error.code, {"error": error.description}
        except Exception as error:  # A failed request must not take the server down.
            status, payload = 500, {"error": f"{type(error).__name__}: {error}"}
        # A JSON body and its length are all an answer needs; a Werkzeug Response object
        # costs ~20 us more per request (of a ~0.4 ms budget at batch 1).
        body = dumps(payload)
        start_response(f"{status} {HTTPStatus(status).phrase}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        # An answer to HEAD has no body (RFC 9110): Waitress sends what it is given, and a
        # client read those bytes as the next answer on the connection.
        return [] if request.method == "HEAD" else [body]

    def _limit_text(self):
        mib, rest = divmod(self.max_body_bytes, 2 ** 20)
        return f"{mib} MiB ({self.max_body_bytes} bytes)" if mib and not rest else (
            f"{self.max_body_bytes} bytes")

    def dispatch(self, request):
        path = _path_as_sent(request)
        match = _ROUTE.match(path)
        if (match and match["name"] is None and request.method == "GET"
                and match["action"] in (None, "/metadata")):
            raise BadRequest("Missing model name in request.")
        if not match or match["name"] is None:
            # TF Serving hands every /v1/ path to its REST handler, which refuses one it cannot
            # parse as InvalidArgument (400); other paths find no handler (404).
            error = BadRequest if path.lower().startswith("/v1/") else NotFound
            raise error(f"Malformed request: {request.method} {path}")
        # Matched on the path as sent, then decoded, as TF Serving's ParseModelInfo does.
        name, action = unquote(match["name"]), match["action"]
        label = unquote(match["label"]) if match["label"] else None
        version = _version_number(match["version"]) if match["version"] else None
        if action in (":predict", ":classify", ":regress"):
            if request.method != "POST":
                raise BadRequest(f"{action} takes POST requests.")
            if action != ":predict":
                raise self.classify_or_regress_error(request, action[1:], name, version, label)
            return 200, self.predict(request, name, version, label)
        if request.method != "GET":
            raise BadRequest(f"{path} takes GET requests.")
        if action == "/metadata":
            return 200, self.metadata(name, version, label)
        # TF Serving's status answer ignores a label (get_model_status_impl.cc looks at the
        # version only) and lists all versions; /labels/L/metadata tells which one L means.
        return 200, {"model_version_status": [
            {"version": str(number), "state": state,
             "status": {"error_code": code, "error_message": message}}
            for number, state, code, message in self.repository.status(name, version)]}

    def predict(self, request, name, version, label):
        raw_body = request.get_data(cache=False)
        if "gzip" in request.headers.get("Content-Encoding", ""):
            raw_body = _gunzip(raw_body, self.max_body_bytes)
        body = loads(raw_body)
        given = body.get("signature_name", "") if isinstance(body, dict) else ""
        # A list was a 500 (unhashable); null was read as the default, which TF Serving
        # refuses ("'signature_name' key must be a string value").
        if not isinstance(given, str):
            raise BadRequest(f"\"signature_name\" must be a string; received "
                             f"{dumps(given).decode()}. Leave it out for serving_default.")
        signature_name = given or "serving_default"
        _, model = self.repository.get(name, version, label)
        definition = model.signature_defs.get(signature_name)
        if definition is None:
            raise BadRequest(f"Serving signature name: \"{signature_name}\" not found in "
                             f"signature def; available: {_predict_signatures(model)}")
        if definition.method_name != PREDICT_METHOD:
            raise BadRequest(f"Expected prediction signature method_name to be "
                             f"{PREDICT_METHOD}. Was: {definition.method_name!r}; available: "
                             f"{_predict_signatures(model)}")
        try:
            form, arrays = parse_request(body, model.input_specs(signature_name),
                                         self.max_batch,
                                         may_hold_booleans=mentions_booleans(raw_body))
        except WrongInputNames as error:
            # The usual cause: {"seed": ...} without "signature_name": "sample".
            raise BadRequest(f"{error}{_signature_taking(model, error.received)}") from None
        import tensorflow as tf

        try:
            outputs = model.run(signature_name, arrays)
        except (tf.errors.InvalidArgumentError, ValueError, TypeError) as error:
            raise BadRequest(f"The model rejected the inputs: {_reason(error)}") from error
        return format_response(form, outputs)

    def classify_or_regress_error(self, request, method, name, version, label):
        """The `BadRequest` TF Serving answers `:classify` / `:regress` with for our models.

        TF Serving routes both and refuses them with 400 for a model whose signatures are all
        predict signatures (as every keras_gen export's are); `keras-gen serve` answered 404.
        An unknown model is still a `NotFound`, raised here.
        """
        body = loads(request.get_data(cache=False))
        if not isinstance(body, dict) or not isinstance(body.get("examples"), list):
            return BadRequest(f"When method is {method}, key 'examples' is expected and was not "
                              "found (a list of tf.Example objects).")
        _, model = self.repository.get(name, version, label)
        signature_name = body.get("signature_name") or "serving_default"
        definition = model.signature_defs.get(signature_name)
        if definition is None:
            return BadRequest(f"Serving signature name: \"{signature_name}\" not found in "
                              "signature def")
        if definition.method_name == f"tensorflow/serving/{method}":
            return BadRequest(f"keras-gen serve answers :predict only; serve this model with "
                              f"TensorFlow Serving for :{method}.")
        kind = {"classify": "classification", "regress": "regression"}[method]
        return BadRequest(f"Expected {kind} signature method_name to be tensorflow/serving/"
                          f"{method}. Was: {definition.method_name}. This model answers "
                          f":predict with the signatures {_predict_signatures(model)}.")

    def metadata(self, name, version=None, label=None):
        """TF Serving's metadata answer: the SavedModel's SignatureDefs as protobuf JSON."""
        from tensorflow.core.framework import types_pb2

        version, model = self.repository.get(name, version, label)

        def tensor_info(info):
            dims = [{"size": str(dim.size), "name": dim.name} for dim in info.tensor_shape.dim]
            return {"dtype": types_pb2.DataType.Name(info.dtype), "name": info.name,
                    "tensor_shape": {"dim": dims, "unknown_rank": info.tensor_shape.unknown_rank}}

        signatures = {
            signature_name: {
                "inputs": {k: tensor_info(v) for k, v in definition.inputs.items()},
                "outputs": {k: tensor_info(v) for k, v in definition.outputs.items()},
                "method_name": definition.method_name}
            for signature_name, definition in model.signature_defs.items()}
        return {"model_spec": {"name": name, "signature_name": "", "version": str(version)},
                "metadata": {"signature_def": {"signature_def": signatures}}}


def _reason(error):
    """The line of a TensorFlow error that says what was wrong.

    A session run's message starts with "Graph execution error:" and a blank line, and ends with
    the failing node (`[[{{node map/while/DecodePng}}]]`); the reason is in between.
    """
    lines = [line.strip() for line in getattr(error, "message", str(error)).splitlines()]
    reasons = [line for line in lines
               if line and line != "Graph execution error:" and not line.startswith("[[")]
    return reasons[0] if reasons else lines[0] if lines else type(error).__name__


def _version_number(digits):
    """The version in the path as an int64, as TF Serving reads it (`absl::SimpleAtoi`)."""
    version = int(digits)
    if version > 2 ** 63 - 1:
        raise BadRequest(f"Failed to convert version: {digits} to numeric.")
    return version


def _gunzip(body, limit):
    """`body` uncompressed, as TF Serving's HTTP server uncompresses a body sent with
    `Content-Encoding: gzip`; at most `limit` bytes of it, so a small body cannot unpack into
    gigabytes.

    Raises:
        RequestEntityTooLarge: uncompressed, the body is over `limit` bytes.
        BadRequest: it is not gzip data, or is cut short.
    """
    uncompressed = bytearray()
    while body:  # one gzip member after another, as `gzip.decompress` reads them
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)  # 16: a gzip header, not zlib's
        try:
            uncompressed += member.decompress(body, limit + 1 - len(uncompressed))
        except zlib.error as error:
            raise BadRequest(f"The request body was sent with Content-Encoding: gzip but is not "
                             f"gzip data ({error}). Compress it with gzip, or drop the "
                             "header.") from None
        if len(uncompressed) > limit:
            raise RequestEntityTooLarge()
        if not member.eof:
            raise BadRequest("The request body was sent with Content-Encoding: gzip but its gzip "
                             "data is cut short. Send the whole compressed body.")
        body = member.unused_data
    return bytes(uncompressed)


def _signature_taking(model, names):
    """A sentence naming the predict signature whose inputs are exactly `names`, or ""."""
    for signature_name in _predict_signatures(model):
        if set(model.input_specs(signature_name)) == names:
            return (f" The signature \"{signature_name}\" takes {sorted(names)}: add "
                    f"\"signature_name\": \"{signature_name}\" to the request.")
    return ""


def _predict_signatures(model):
    return sorted(name for name, definition in model.signature_defs.items()
                  if definition.method_name == PREDICT_METHOD)


class LocalServer:
    """Runs a `ServingApp` with Waitress in a background thread (tests, notebooks, `serve`).

    Args:
        base_dir: str. The `saved_models/` folder.
        host: str. Interface to bind; loopback by default.
        port: int. TCP port; 0 picks a free one (see `self.port`).
        threads: int. Worker threads.
        poll_seconds: float. Time between rescans of `base_dir` (`ModelRepository`).
        max_load_retries: int. Tries after a failed load (`ModelRepository`).
        load_retry_seconds: float. Time between those tries.
        **app_kwargs: passed to `ServingApp` (`max_batch`, `max_body_bytes`).

    Example:

    ```python
    with LocalServer("saved_models", port=0) as server:
        print(server.url)  # http://127.0.0.1:<port>
    ```
    """

    def __init__(self, base_dir, host="127.0.0.1", port=8501, threads=8, poll_seconds=1.0,
                 max_load_retries=5, load_retry_seconds=60.0, **app_kwargs):
        from waitress.server import create_server

        # Waitress took port 70000 as 4464 (70000 - 65536) and threads=0 as a server that
        # never answers, without a word.
        if not is_int(port) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an int from 0 to 65535 (0 picks a free one). "
                             f"Received: port={port!r}")
        check_positive_int("threads", threads)
        repository = ModelRepository(base_dir, poll_seconds, max_load_retries, load_retry_seconds)
        self._socket_map = {}  # the Waitress loop's sockets, so `stop` can end the loop
        try:
            self.app = ServingApp(repository, **app_kwargs)
            self._server = create_server(self.app, map=self._socket_map, host=host, port=port,
                                         threads=threads, ident="keras-gen")
        except OSError as error:  # the port is taken, or below 1024 without the right
            repository.close()  # its poller would outlive the server that never was
            raise OSError(error.errno, f"Cannot listen on {host}:{port}: {error.strerror}. "
                                       "Pass another port (--port), or stop what is using this one."
                          ) from None
        except BaseException:  # a bad ServingApp argument, the same
            repository.close()
            raise
        self.host, self.port = host, int(self._server.effective_port)  # Waitress gives a str
        self.url = f"http://{host}:{self.port}"
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        self._server.run()

    def stop(self):
        # Closing the sockets under the loop's running select() raised EBADF in the server's
        # thread (10 of 30 start/stop cycles). Emptied of its sockets and woken, the loop
        # returns; they are closed once it has.
        sockets = list(self._socket_map.values())
        self._socket_map.clear()
        if sockets:  # else stopped already, its trigger closed
            self._server.pull_trigger()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for dispatcher in sockets:
            if dispatcher is not self._server.trigger:  # the server closes its own
                dispatcher.close()
        self.app.repository.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
