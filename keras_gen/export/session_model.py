"""`SessionModel`: a SavedModel loaded and run the way TensorFlow Serving runs it."""

import logging
import os
import threading

import numpy as np

# `tf.saved_model.PREDICT_METHOD_NAME`, spelled out so importing this module stays free of
# TensorFlow's import time (the CLI starts faster).
PREDICT_METHOD = "tensorflow/serving/predict"


class _QuietLoaderDeprecation(logging.Filter):
    """Drops TensorFlow's notice that the v1 SavedModel loader is deprecated.

    That loader is TF Serving's own path, which `SessionModel` exists to follow; the notice
    ("Use `tf.saved_model.load` instead", twice on stderr) told every user of `keras-gen export`
    and `keras-gen serve` to change code that is not theirs. Every other record passes.
    """

    def filter(self, record):
        return "saved_model.loader_impl) is deprecated" not in record.getMessage()


def _quiet_loader_deprecation():
    tensorflow_logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _QuietLoaderDeprecation) for f in tensorflow_logger.filters):
        tensorflow_logger.addFilter(_QuietLoaderDeprecation())


class SessionModel:
    """One SavedModel version in a graph and session; signatures run by their tensor names.

    TF Serving loads a SavedModel with TensorFlow's C++ `LoadSavedModel` (a graph, a session,
    the MetaGraph's SignatureDefs) and runs a signature by feeding and fetching the tensors its
    SignatureDef names. This class does the same through the v1 loader, so:

    - an export that runs here runs in the container (`verify_export` uses it);
    - `keras-gen serve` reports the real SignatureDefs (tensor names such as
      `serving_default_z:0`) in its metadata, as TF Serving does;
    - a call costs less than `tf.saved_model.load(path).signatures[name](...)` (about 0.1 ms
      of 0.65 at batch 1 on the `dcgan` generator, `benchmarks/serving_latency.py`): each
      signature's feeds and fetches are bound once into a session callable.

    `run` may be called from many threads at once (TensorFlow sessions are thread-safe).

    Args:
        path: str or `pathlib.Path`. A SavedModel version folder.
        tags: sequence of str. The MetaGraph to load; `("serve",)` as in TF Serving.

    Example:

    ```python
    with SessionModel("saved_models/dcgan_digits/1") as model:
        model.input_specs("sample")  # {"seed": TensorSpec(shape=(None,), dtype=tf.int64, ...)}
        images = model.run("sample", {"seed": np.array([0, 1])})["images"]
    ```
    """

    def __init__(self, path, tags=("serve",)):
        import tensorflow as tf

        self.path = os.fspath(path)  # the loader took no Path: "Expected binary or unicode string"
        self._graph = tf.Graph()
        # With no config the session takes the process's `tf.config.threading` settings.
        self._session = tf.compat.v1.Session(graph=self._graph)
        _quiet_loader_deprecation()
        with self._graph.as_default():
            meta_graph = tf.compat.v1.saved_model.loader.load(self._session, list(tags), self.path)
        self.signature_defs = dict(meta_graph.signature_def)
        self._input_specs, self._callables, self._lock = {}, {}, threading.Lock()

    def signature_def(self, signature):
        """Returns the `SignatureDef` proto named `signature`; `KeyError` lists the names."""
        if signature not in self.signature_defs:
            raise KeyError(f"No signature {signature!r} in {self.path}; it has "
                           f"{sorted(self.signature_defs)}")
        return self.signature_defs[signature]

    def input_specs(self, signature):
        """Returns `{input name: tf.TensorSpec}` of `signature` (shared: do not modify)."""
        specs = self._input_specs.get(signature)
        if specs is None:  # Built once: a request checks its inputs against these.
            specs = self._input_specs[signature] = _specs(self.signature_def(signature).inputs)
        return specs

    def output_specs(self, signature):
        """Returns `{output name: tf.TensorSpec}` of `signature`."""
        return _specs(self.signature_def(signature).outputs)

    def run(self, signature, inputs):
        """Runs `signature` on `inputs` (dict of name -> array); returns dict of numpy arrays."""
        names = tuple(sorted(inputs))
        key = (signature, names)
        bound = self._callables.get(key)
        if bound is None:
            bound = self._bind(signature, names)
        outputs, function, dtypes = bound
        values = function(*[np.asarray(inputs[name], dtype) for name, dtype in zip(names, dtypes)])
        return dict(zip(outputs, values))

    def _bind(self, signature, names):
        definition = self.signature_def(signature)
        unknown = set(names) - set(definition.inputs)
        if unknown:
            raise KeyError(f"Signature {signature!r} has no inputs {sorted(unknown)}; it takes "
                           f"{sorted(definition.inputs)}")
        specs = self.input_specs(signature)
        outputs = sorted(definition.outputs)
        with self._lock:
            tensor = self._graph.get_tensor_by_name
            function = self._session.make_callable(
                [tensor(definition.outputs[name].name) for name in outputs],
                [tensor(definition.inputs[name].name) for name in names])
            bound = (outputs, function, [specs[name].dtype.as_numpy_dtype for name in names])
            self._callables[(signature, names)] = bound
        return bound

    def close(self):
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _specs(tensor_infos):
    import tensorflow as tf

    return {name: tf.TensorSpec(tf.TensorShape(info.tensor_shape), tf.as_dtype(info.dtype), name)
            for name, info in tensor_infos.items()}


def run_with_session_loader(path, signature, inputs):
    """Loads `path` with TensorFlow's session loader and runs one signature once.

    This is the C++ `LoadSavedModel` path TensorFlow Serving uses (graph, session,
    signature_def tensors), not the Python object-graph loader, so a model that passes here
    loads in TF Serving.

    Args:
        path: str or `pathlib.Path`. A SavedModel version folder.
        signature: str. A signature name.
        inputs: dict of input name -> numpy array.

    Returns:
        dict of output name -> numpy array.

    Example:

    ```python
    run_with_session_loader("saved_models/dcgan/1", "sample", {"seed": np.array([0, 1])})
    ```
    """
    with SessionModel(path) as model:
        return model.run(signature, inputs)
