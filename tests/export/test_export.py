"""SavedModel export: signatures of every family, versions, atomicity, models.config, CLI tools."""

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from keras_gen import export
from keras_gen.cli import main
from tests.helpers import hand_edited_models_config, tiny_gan
from tests.models.test_conditional_gan import tiny_cgan
from tests.models.test_vae import tiny_vae, tiny_vaegan


@pytest.mark.parametrize("build", [lambda: tiny_cgan("auxiliary"),
                                   lambda: tiny_vae(num_classes=10), tiny_vaegan],
                         ids=["acgan", "cvae", "vaegan"])
def test_every_family_exports_and_matches_through_the_session_loader(build, tmp_path):
    model = build()
    path = export.export_saved_model(model, str(tmp_path / "model"))  # verify=True checks it
    assert path.endswith(os.path.join("model", "1"))
    assert os.path.exists(os.path.join(path, "saved_model.pb"))


def test_a_model_trained_in_mixed_bfloat16_exports(tmp_path):
    # Refused: "Signature 'sample' output 'images' differs from the Keras model by 0.000481
    # (allowed 0.0001)" (keras-gen train cgan --precision mixed_bfloat16): bfloat16's rounding,
    # placed differently in the SavedModel's graph. The tiny test models stay within 1e-4.
    from keras_gen import data, recipes
    from keras_gen.export.verify import EXPORT_ATOL, SessionModel, probe_cases
    from keras_gen.utils import dtype_policy

    with dtype_policy("mixed_bfloat16"):
        model = recipes.build_gan("dcgan", seed=0)
        model.fit(data.load("digits", batch_size=64, seed=0, limit=128), verbose=0)
    path = export.export_saved_model(model, str(tmp_path / "model"))  # verify=True checks it
    with SessionModel(path) as session_model:
        worst = max(float(np.max(np.abs(session_model.run(signature, inputs)[name] - value)))
                    for signature, inputs, expected in probe_cases(model)
                    for name, value in expected.items())
    assert EXPORT_ATOL["float32"] < worst <= EXPORT_ATOL["bfloat16"]  # rounded, yet close


def test_cli_exports_a_mixed_bfloat16_model_to_compute_in_float32(tmp_path):
    # A model trained in mixed_bfloat16 served in bfloat16 only: ~3x slower on CPUs without
    # AVX512-BF16 or AMX (benchmarks/export_precision.py).
    from keras_gen.export.verify import SessionModel, probe_cases
    from keras_gen.utils import dtype_policy, model_in_policy

    with dtype_policy("mixed_bfloat16"):
        model = tiny_gan()
    model.save(tmp_path / "gan.keras")
    out = str(tmp_path / "saved_models")
    assert main(["export", str(tmp_path / "gan.keras"), "--name", "own", "--out", out]) == 0
    assert main(["export", str(tmp_path / "gan.keras"), "--name", "fp32", "--out", out,
                 "--precision", "float32"]) == 0
    in_float32 = model_in_policy(model, "float32")  # the same weights

    def worst_difference(name):
        with SessionModel(os.path.join(out, name, "1")) as session_model:
            return max(float(np.max(np.abs(session_model.run(signature, inputs)[key] - value)))
                       for signature, inputs, expected in probe_cases(in_float32)
                       for key, value in expected.items())

    assert worst_difference("fp32") < 1e-5  # float32 throughout, as the model in float32
    assert worst_difference("own") > 1e-4  # rounded to bfloat16's 8 bits on the way


def test_conditional_vae_signatures_refuse_labels_outside_the_classes(tmp_path):
    import tensorflow as tf

    vae = tiny_vae(num_classes=10)
    path = export.export_saved_model(vae, str(tmp_path / "cvae"))
    z = np.zeros((2, vae.latent_dim), np.float32)
    decoded = export.run_with_session_loader(path, "decode", {"z": z, "labels": np.array([0, 9])})
    assert decoded["images"].shape == (2, 28, 28, 1)
    # -1 would otherwise be served as class 9 (the embedding lookup wraps negative indices).
    for labels in [[0, -1], [10, 0]]:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"labels must lie in \[0, 10\); received"):
            export.run_with_session_loader(path, "decode", {"z": z, "labels": np.array(labels)})


def test_signatures_refuse_inputs_of_different_batch_sizes_or_none(tmp_path):
    # A real container ran such requests into the generator: a ConcatOp error for 3 seeds and 2
    # labels, and for an empty `z` a 200 with images of 4 channels instead of 1 (oneDNN).
    import tensorflow as tf

    cgan, gan = tiny_cgan(), tiny_gan()
    with export.SessionModel(export.export_saved_model(cgan, str(tmp_path / "cgan"))) as served:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"seed and labels must hold the same number of examples, at "
                                 r"least one; received batch sizes\] \[3 2\]"):
            served.run("sample", {"seed": np.array([1, 2, 3], np.int64),
                                  "labels": np.array([0, 1])})
        assert served.run("sample", {"seed": np.array([1, 2], np.int64),
                                     "labels": np.array([0, 1])})["images"].shape == (2, 28, 28, 1)
    with export.SessionModel(export.export_saved_model(gan, str(tmp_path / "gan"))) as served:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"z must hold at least one example; received batch sizes\] \[0\]"):
            served.run("serving_default", {"z": np.zeros((0, gan.latent_dim), np.float32)})


def test_vae_sample_signature_draws_what_generate_draws(tmp_path):
    # A served VAE had no `sample`: a client could not draw new images without making the noise.
    import tensorflow as tf

    vae = tiny_vae(num_classes=10)
    path = export.export_saved_model(vae, str(tmp_path / "cvae"))
    outputs = export.run_with_session_loader(path, "sample", {"seed": np.array([5, 6], np.int64),
                                                              "labels": np.array([3, 7])})
    expected = np.concatenate([vae.generate(1, seed=5, labels=3),
                               vae.generate(1, seed=6, labels=7)])
    np.testing.assert_allclose(outputs["images"], (expected + 1) / 2, atol=1e-5)
    png = tf.io.decode_png(outputs["images_png_bytes"][1]).numpy()
    np.testing.assert_array_equal(png, np.round(outputs["images"][1] * 255).astype(np.uint8))


def test_named_classes_are_sampled_by_name_through_the_session_loader(tmp_path):
    # A SavedModel held only class ids; models without names get no such signature.
    import tensorflow as tf

    cvae = tiny_vae(num_classes=10, class_names=[f"c{label}" for label in range(10)])
    path = export.export_saved_model(cvae, str(tmp_path / "cvae"))
    seeds = np.array([5, 6], np.int64)
    by_name = export.run_with_session_loader(
        path, "sample_by_name", {"seed": seeds, "class_name": np.array([b"c3", b"c7"])})
    by_id = export.run_with_session_loader(path, "sample", {"seed": seeds,
                                                            "labels": np.array([3, 7])})
    np.testing.assert_array_equal(by_name["images"], by_id["images"])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"class_name must be one of these class names\] \[c0 c1 .* c9\] "
                             r"\[received\] \[c3 cats\]"):
        export.run_with_session_loader(path, "sample_by_name",
                                       {"seed": seeds, "class_name": np.array([b"c3", b"cats"])})
    unnamed = export.export_saved_model(tiny_vae(num_classes=10), str(tmp_path / "unnamed"))
    assert "sample_by_name" not in tf.saved_model.load(unnamed).signatures


def test_sample_signature_png_bytes_decode_to_the_images(tmp_path):
    import tensorflow as tf

    gan = tiny_gan()
    path = export.export_saved_model(gan, str(tmp_path / "gan"))
    outputs = export.run_with_session_loader(path, "sample", {"seed": np.array([5, 6], np.int64)})
    assert outputs["images"].dtype == np.float32 and outputs["images"].shape == (2, 28, 28, 1)
    np.testing.assert_allclose(outputs["images"][1], (gan.generate(1, seed=6)[0] + 1) / 2,
                               atol=1e-5)
    png = tf.io.decode_png(outputs["images_png_bytes"][0]).numpy()
    np.testing.assert_array_equal(png, np.round(outputs["images"][0] * 255).astype(np.uint8))
    # Only the sampling generator's weights ship: no discriminator, no training-only generator.
    exported = tf.train.load_checkpoint(os.path.join(path, "variables", "variables"))
    shapes = exported.get_variable_to_shape_map()
    exported_values = sum(int(np.prod(shape)) for name, shape in shapes.items()
                          if "OBJECT_GRAPH" not in name)
    assert exported_values == gan.sampling_generator.count_params()


def test_versions_count_up_and_are_never_overwritten(tmp_path):
    gan, base = tiny_gan(), str(tmp_path / "gan")
    assert export.export_saved_model(gan, base, verify=False).endswith("1")
    assert export.export_saved_model(gan, base, verify=False).endswith("2")
    assert export.export_saved_model(gan, base, version=7, verify=False).endswith("7")
    assert export.existing_versions(base) == [1, 2, 7]
    with pytest.raises(FileExistsError, match="never overwritten"):
        export.export_saved_model(gan, base, version=2, verify=False)
    assert sorted(os.listdir(base)) == ["1", "2", "7"]  # no temporary folders left


def test_model_names_are_ones_tf_serving_finds_in_a_url():
    # Names that URLs, shells and models.config carry without %-escapes ("my model" would be
    # my%20model in every request).
    for name in ("dcgan_digits", "v2.1-beta", "_x", "A9"):
        assert export.check_model_name(name) == name
    for name in ("my model", "a:b", "caf\u00e9", ".hidden", "-x", "", "a/b", None):
        with pytest.raises(ValueError, match=r"letters, digits, '_', '\.' and '-'.*Received"):
            export.check_model_name(name)


def test_a_badly_named_export_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match=r"Received: 'my model'"):
        export.export_saved_model(tiny_gan(), str(tmp_path / "my model"))
    assert os.listdir(tmp_path) == []


def test_a_failed_export_leaves_no_version(tmp_path, monkeypatch):
    from keras_gen.export import verify as verify_module

    def mismatch(model, path, atol=1e-4):
        raise verify_module.ExportMismatch("simulated mismatch")

    monkeypatch.setattr(verify_module, "verify_export", mismatch)
    with pytest.raises(verify_module.ExportMismatch):
        export.export_saved_model(tiny_gan(), str(tmp_path / "gan"))
    assert os.listdir(tmp_path / "gan") == []


def test_models_config_lists_every_model_and_keeps_policies_and_labels(tmp_path):
    gan = tiny_gan()
    for name in ("b_model", "a_model"):
        export.export_saved_model(gan, str(tmp_path / name), verify=False)
    (tmp_path / "not_a_model").mkdir()
    export.write_models_config(str(tmp_path))
    assert export.read_models_config(str(tmp_path))["a_model"]["version_policy"] == {"latest": 1}
    # A canary set up by hand: versions 1 and 2 served, labelled. A re-export keeps both.
    with hand_edited_models_config(str(tmp_path)) as entries:
        assert sorted(entries) == ["a_model", "b_model"]
        assert entries["a_model"].base_path == "/models/a_model"
        export.export_saved_model(gan, str(tmp_path / "a_model"), verify=False)  # version 2
        entries["a_model"].model_version_policy.specific.versions.extend([1, 2])
        entries["a_model"].version_labels["stable"] = 1
        entries["a_model"].version_labels["canary"] = 2
        entries["b_model"].version_labels["stable"] = 1
    export.export_saved_model(gan, str(tmp_path / "b_model"), verify=False)  # version 2
    export.write_models_config(str(tmp_path))
    read = export.read_models_config(str(tmp_path))
    assert read["a_model"]["version_policy"] == {"specific": [1, 2]}
    assert read["a_model"]["version_labels"] == {"stable": 1, "canary": 2}
    # b_model serves its latest only, now version 2, so a label on 1 would be refused by TF
    # Serving: it is dropped.
    assert read["b_model"]["version_policy"] == {"latest": 1}
    assert read["b_model"]["version_labels"] == {}
    assert export.served_versions({"latest": 2}, [1, 2, 3]) == [2, 3]


def test_models_config_leaves_out_folders_no_rest_url_reaches(tmp_path):
    export.export_saved_model(tiny_gan(), str(tmp_path / "good"), verify=False)
    for copied_by_hand in ("my model", ".hidden", "-dash"):
        shutil.copytree(tmp_path / "good", tmp_path / copied_by_hand)
    with pytest.warns(UserWarning) as warned:
        export.write_models_config(str(tmp_path))
    assert sorted(export.read_models_config(str(tmp_path))) == ["good"]
    messages = sorted(str(warning.message) for warning in warned)
    assert [re.match(r"Not serving '(.*?)':", message).group(1) for message in messages] == [
        str(tmp_path / name) for name in ("-dash", ".hidden", "my model")]
    assert all("Rename the folder (use letters, digits" in message for message in messages)


def test_saved_model_cli_runs_the_export(tmp_path):
    path = export.export_saved_model(tiny_gan(), str(tmp_path / "gan"), verify=False)
    beside_python = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    tool = shutil.which("saved_model_cli") or beside_python
    result = subprocess.run([tool, "run", "--dir", path, "--tag_set", "serve", "--signature_def",
                             "sample", "--input_exprs", "seed=[0, 1]"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "images_png_bytes" in result.stdout and "images" in result.stdout


def test_cli_export(tmp_path, capsys):
    tiny_gan().save(tmp_path / "gan.keras")
    out = tmp_path / "saved_models"
    assert main(["export", str(tmp_path / "gan.keras"), "--name", "tiny", "--out", str(out)]) == 0
    assert (out / "tiny" / "1" / "saved_model.pb").exists() and (out / "models.config").exists()
    assert main(["export", str(tmp_path / "gan.keras"), "--name", "tiny", "--out", str(out),
                 "--version", "1"]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "gan.keras"), "--name", "../x", "--out", str(out)]) == 2
    assert "--name: A model name is its folder and its URL path" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "gan.keras"), "--name", "a b", "--out", str(out)]) == 2
    assert "Received: 'a b'" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "gan.keras"), "--out", str(out)]) == 2
    assert "--name is required for a .keras file" in capsys.readouterr().err
    assert sorted(os.listdir(out)) == ["models.config", "tiny"]
