"""`save`, `save_weights` and `export` on keras_gen models: atomic, and ready for TF Serving."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import tiny_cgan, tiny_gan, tiny_images, weights_of
from tests.models.test_vae import tiny_vae, tiny_vaegan


def _interrupted(method):
    """`method` as a Keras save that dies halfway: it writes part of the file, then fails."""
    def write_part_then_fail(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as handle:
            handle.write(b"PK\x03\x04 half a file")
        raise OSError(28, "No space left on device")
    return write_part_then_fail


@pytest.mark.parametrize("method, name", [("save", "model.keras"),
                                          ("save_weights", "model.weights.h5")])
def test_a_failed_save_leaves_the_last_good_file_and_nothing_else(
        tmp_path, monkeypatch, method, name):
    path = str(tmp_path / name)
    saved = tiny_gan(seed=0)
    getattr(saved, method)(path)
    monkeypatch.setattr(keras.Model, method, _interrupted(method))
    with pytest.raises(OSError, match="No space left on device"):
        getattr(tiny_gan(seed=1), method)(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == [name]
    loaded = keras.models.load_model(path) if method == "save" else tiny_gan(seed=1)
    if method == "save_weights":
        loaded.load_weights(path)
    for left, right in zip(weights_of(saved), weights_of(loaded), strict=True):
        np.testing.assert_array_equal(left, right)


def test_saving_onto_a_folder_is_refused_before_anything_is_written(tmp_path):
    # The file was written in full, then the rename failed naming ".tmp-1a2b3c4d-model.keras".
    gan = tiny_gan()
    for save, name in ((gan.save, "model.keras"), (gan.save_weights, "model.weights.h5")):
        folder = tmp_path / name
        folder.mkdir()
        with pytest.raises(IsADirectoryError, match=rf"^{folder} is a folder, so a file cannot be "
                                                    "written there. Give a file path"):
            save(str(folder))
        assert os.listdir(folder) == []
    assert sorted(os.listdir(tmp_path)) == ["model.keras", "model.weights.h5"]


def test_the_legacy_h5_format_is_refused_with_the_fix_and_writes_nothing(tmp_path):
    # Keras failed partway for every keras_gen model and left a broken file behind.
    for model in (tiny_gan(), tiny_cgan(), tiny_vae(), tiny_vaegan()):
        name = type(model).__name__
        with pytest.raises(ValueError, match=rf"^{name} models cannot be saved in the legacy HDF5 "
                                             r"format .*Save the whole model as \.keras"):
            model.save(str(tmp_path / "model.h5"))
    assert os.listdir(tmp_path) == []
    # A checkpoint callback to .h5 was refused only at its first save, an epoch into training.
    from keras_gen.callbacks import FiniteModelCheckpoint

    for checkpoint in (keras.callbacks.ModelCheckpoint, FiniteModelCheckpoint):
        gan = tiny_gan()
        with pytest.raises(ValueError, match=rf"legacy HDF5 format \({checkpoint.__name__}\('"
                                             r".*gan\.h5'\)\): .* Checkpoint to a \.keras path"):
            gan.fit(tiny_images(8), batch_size=4, verbose=0,
                    callbacks=[checkpoint(str(tmp_path / "gan.h5"))])
        assert int(gan.g_optimizer.iterations) == 0


def test_model_export_writes_the_serving_signatures(tmp_path, capsys):
    # Keras' own export refused these models ("The model provided has never called").
    gan = tiny_gan()
    path = gan.export(tmp_path / "exported")
    assert path == str(tmp_path / "exported")
    assert f"at {path}" in capsys.readouterr().out
    loaded = tf.saved_model.load(path)
    assert sorted(loaded.signatures) == ["sample", "serving_default"]
    images = loaded.signatures["sample"](seed=tf.constant([3], tf.int64))["images"].numpy()
    np.testing.assert_allclose(images, (gan.generate(1, seed=3) + 1) / 2, atol=1e-5)
    with pytest.raises(FileExistsError, match="already exists; an export is never written"):
        gan.export(path, verbose=False)
    assert sorted(os.listdir(tmp_path)) == ["exported"]


def test_keras_other_export_formats_get_the_models_call_signature(tmp_path):
    # Keras infers a subclassed model's signature from a first call, which these models never
    # record: every other format failed with "The model provided has never called".
    z = tf.random.stateless_normal((1, 8), seed=[0, 1]).numpy()
    for model, inputs in ((tiny_gan(), {"z": z}),
                          (tiny_cgan(), {"z": z, "labels": np.array([2], np.int32)}),
                          (tiny_vae(), {"images": tiny_images(1)})):
        path = str(tmp_path / f"{type(model).__name__}.tflite")
        model.export(path, format="litert", verbose=False)
        with pytest.warns(UserWarning, match="tf.lite.Interpreter is deprecated"):
            interpreter = tf.lite.Interpreter(model_path=path)
        runner = interpreter.get_signature_runner()
        assert sorted(runner.get_input_details()) == sorted(inputs)  # named as call's inputs
        (images,) = runner(**inputs).values()
        expected = model(list(inputs.values()) if len(inputs) > 1 else inputs[next(iter(inputs))])
        np.testing.assert_allclose(images, expected, atol=1e-5)


def test_numpy_integers_build_train_and_save_like_python_ints(tmp_path):
    # `dcgan_generator((28, 28, 1), np.int64(8), ...)` failed inside Keras ("Received an invalid
    # value for `units`, expected a positive integer. Received: units=784"), and
    # `generate(np.int64(2))` was "num_images must be a positive int".
    from keras_gen import data, networks
    from keras_gen.models import GAN, VAE, ConditionalGAN

    i = np.int64
    shape = (i(28), i(28), i(1))
    gan = GAN(networks.dcgan_generator(shape, i(8), i(4)),
              networks.dcgan_discriminator(shape, i(4)), seed=i(1))
    gan.compile(d_steps=i(2))
    gan.fit(tiny_images(8), batch_size=i(4), epochs=i(1), verbose=0)
    assert gan.generate(i(3), seed=i(5), batch_size=i(2)).shape == (3, 28, 28, 1)
    cgan = ConditionalGAN(networks.conditional_dcgan_generator(shape, i(8), i(10), i(4)),
                          networks.projection_discriminator(shape, i(10), i(4)), num_classes=i(10))
    cvae = VAE(networks.vae_encoder(shape, i(4), i(4), i(10)),
               networks.vae_decoder(shape, i(4), i(4), i(10)), num_classes=i(10),
               kl_warmup_steps=i(5), seed=i(2))
    cvae.compile("adam")
    for model in (gan, cgan, cvae):  # the configs hold Python ints, so they save and load
        path = str(tmp_path / f"{model.name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        for attribute in ("seed", "num_classes", "kl_warmup_steps", "d_steps"):
            value = getattr(loaded, attribute, None)
            assert value == getattr(model, attribute, None) and type(value) in (int, type(None))
    images, _ = data.load_arrays("digits", image_size=i(16), limit=i(10))
    assert images.shape == (10, 16, 16, 1)
    with pytest.raises(ValueError, match=r"kl_warmup_steps must be an int >= 0\. Received: True"):
        VAE(networks.vae_encoder(shape, 4, 4), networks.vae_decoder(shape, 4, 4),
            kl_warmup_steps=True)  # a bool is not a count (it was accepted)


def test_frozen_blocks_are_still_frozen_after_a_save_and_load(tmp_path):
    # Keras' Sequential.from_config drops a block's own trainable flag: after freezing block_0
    # and a save/load round trip, block_0.trainable (and trainable_summary) said it trains.
    from keras_gen import transfer

    gan, vae, vaegan = tiny_gan(), tiny_vae(), tiny_vaegan()
    frozen = {"gan": (gan, "discriminator", "block_0"), "vae": (vae, "encoder", "block_1"),
              "vaegan": (vaegan, "discriminator", "block_0")}
    for name, (model, network, block) in frozen.items():
        transfer.freeze(getattr(model, network), layers=[block])
        model.compile(**({"optimizer": keras.optimizers.Adam(1e-3)} if name == "vae" else {}))
        model.save(str(tmp_path / f"{name}.keras"))
        loaded = keras.models.load_model(str(tmp_path / f"{name}.keras"))
        assert getattr(loaded, network).get_layer(block).trainable is False
        assert (transfer.trainable_summary(getattr(loaded, network))
                == transfer.trainable_summary(getattr(model, network)))
        loaded.fit(tiny_images(8), batch_size=4, verbose=0)  # compiled with the block frozen
    # The other blocks keep training.
    assert loaded.discriminator.get_layer("block_1").trainable is True
