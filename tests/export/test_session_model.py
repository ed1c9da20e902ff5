"""`SessionModel`: a SavedModel run the way TF Serving runs it (graph, session, SignatureDefs)."""

import pathlib
import threading

import numpy as np
import pytest
import tensorflow as tf

from keras_gen import export
from keras_gen.export.session_model import PREDICT_METHOD
from tests.helpers import tiny_gan


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    gan = tiny_gan()
    return gan, export.export_saved_model(gan, str(tmp_path_factory.mktemp("gan") / "gan"))


def test_signatures_match_the_object_graph_loader_and_the_keras_model(exported):
    gan, path = exported
    z = gan.sample_noise(3, seed=4).numpy()
    with export.SessionModel(path) as model:
        assert model.signature_def("serving_default").inputs["z"].name == "serving_default_z:0"
        assert model.signature_def("serving_default").method_name == PREDICT_METHOD
        assert PREDICT_METHOD == tf.saved_model.PREDICT_METHOD_NAME
        spec = model.input_specs("serving_default")["z"]
        assert spec.dtype == tf.float32 and spec.shape.as_list() == [None, 8]
        assert model.output_specs("sample")["images_png_bytes"].dtype == tf.string
        # float64 in: converted to the signature's float32, as TF Serving converts JSON numbers.
        images = model.run("serving_default", {"z": z.astype(np.float64)})["images"]
    reference = tf.saved_model.load(path).signatures["serving_default"](z=tf.constant(z))
    np.testing.assert_allclose(images, reference["images"].numpy(), atol=1e-6)
    np.testing.assert_allclose(images, (np.asarray(gan(z)) + 1) / 2, atol=1e-5)


def test_a_pathlib_path_loads_runs_and_verifies(exported):
    # TensorFlow's loader took only str: "Expected binary or unicode string, got PosixPath".
    gan, path = exported
    z = gan.sample_noise(2, seed=1).numpy()
    outputs = export.run_with_session_loader(pathlib.Path(path), "serving_default", {"z": z})
    np.testing.assert_allclose(outputs["images"], (np.asarray(gan(z)) + 1) / 2, atol=1e-5)
    export.verify_export(gan, pathlib.Path(path))  # raises ExportMismatch if it does not load


def test_concurrent_runs_each_get_their_own_answer(exported):
    _, path = exported
    with export.SessionModel(path) as model:
        expected = {seed: model.run("sample", {"seed": [seed]})["images"] for seed in range(8)}
        answers, errors = {}, []

        def work(seed):
            try:
                for _ in range(20):
                    answers.setdefault(seed, []).append(model.run("sample", {"seed": [seed]}))
            except Exception as error:  # Collected: a thread's exception would be lost.
                errors.append(error)

        threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    for seed, outputs in answers.items():
        assert len(outputs) == 20
        for output in outputs:
            np.testing.assert_array_equal(output["images"], expected[seed])
    assert not np.array_equal(expected[0], expected[1])


def test_unknown_signature_and_input_names_list_the_known_ones(exported):
    _, path = exported
    with export.SessionModel(path) as model:
        with pytest.raises(KeyError, match=r"'nope'.*'sample'.*'serving_default'"):
            model.run("nope", {"z": np.zeros((1, 8), np.float32)})
        with pytest.raises(KeyError, match=r"no inputs \['noise'\]; it takes \['z'\]"):
            model.run("serving_default", {"noise": np.zeros((1, 8), np.float32)})
