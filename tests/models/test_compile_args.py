"""`compile()` refuses Keras arguments a keras_gen model would ignore, with the fix."""

import json
import re
import zipfile

import keras
import pytest

from tests.helpers import tiny_cgan, tiny_gan
from tests.models.test_vae import tiny_vae, tiny_vaegan


def test_a_vae_refuses_a_loss_or_metrics_it_would_ignore():
    # Before, compile(loss="mse") trained on the ELBO all the same and metrics=["mae"] logged
    # nothing: history had loss, reconstruction, kl and beta only.
    vae = tiny_vae()
    ignored = {"loss": "mse", "loss_weights": [2.0], "metrics": ["mae"],
               "weighted_metrics": ["mae"]}
    for arg, value in ignored.items():
        fix = (r"Choose the reconstruction term with VAE\(\.\.\., likelihood=\.\.\.\)"
               if arg.startswith("loss") else r"Measure generated images in a callback instead, "
                                              r"e\.g\. keras_gen\.callbacks\.QualityMonitor\.$")
        with pytest.raises(ValueError, match=rf"^VAE\.compile does not take {arg}: .*, so "
                                             rf"{re.escape(f'{arg}={value!r}')} would be "
                                             rf"ignored\. {fix}"):
            vae.compile("adam", **{arg: value})
    # Left at None they are what a loaded model's compile config holds: accepted.
    vae.compile("adam", loss=None, metrics=None, jit_compile=False)
    assert vae.jit_compile is False and isinstance(vae.optimizer, keras.optimizers.Adam)


def test_models_with_several_optimizers_name_them_for_optimizer():
    # GAN.compile(optimizer=...) was "got an unexpected keyword argument 'optimizer'".
    for model, names in [(tiny_gan(), "g_optimizer=..., d_optimizer=..."),
                         (tiny_cgan(), "g_optimizer=..., d_optimizer=..."),
                         (tiny_vaegan(), "e_optimizer=..., g_optimizer=..., d_optimizer=...")]:
        name = type(model).__name__
        with pytest.raises(TypeError, match=rf"^{name}\.compile takes one optimizer per network, "
                                            rf"not optimizer=: pass {names} \(each defaults"):
            model.compile(optimizer=keras.optimizers.Adam())
        with pytest.raises(ValueError, match=rf"^{name}\.compile does not take metrics: "):
            model.compile(metrics=["mae"])
        with pytest.raises(TypeError, match=rf"^{name}\.compile\(\) got unexpected keyword "
                                            r"arguments \['auto_scale_loss'\]$"):
            model.compile(auto_scale_loss=False)
        # One object for two networks failed at the second one's first step: "Unknown variable".
        adam = keras.optimizers.Adam()
        with pytest.raises(ValueError, match=r"^g_optimizer and d_optimizer are the same "
                                             r"optimizer object; each network needs its own"):
            model.compile(g_optimizer=adam, d_optimizer=adam)
    model.compile(g_optimizer="adam", d_optimizer="adam")  # names make an optimizer each
    assert model.g_optimizer is not model.d_optimizer


def test_a_vae_saved_with_an_ignored_loss_or_metric_still_loads(tmp_path):
    # Files saved before the refusal hold e.g. loss="mse" in their compile config; loading them
    # failed with the refusal. They load, with a warning, compiled as they trained.
    vae = tiny_vae()
    vae.save(tmp_path / "vae.keras")
    with zipfile.ZipFile(tmp_path / "vae.keras") as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(files["config.json"])
    config["compile_config"].update(loss="mse", metrics=["mae"])  # as the old version wrote
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "old.keras", "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.warns(UserWarning, match=r"saved compiled with \{'loss': 'mse', 'metrics': "
                                         r"\['mae'\]\}, which it ignored in training"):
        loaded = keras.saving.load_model(tmp_path / "old.keras")
    assert loaded.compiled and float(loaded.optimizer.learning_rate) == pytest.approx(1e-3)
