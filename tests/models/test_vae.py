"""VAE family: reparameterisation, beta and warm-up, conditional VAE, VAE-GAN, errors, strategy."""

import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import data, networks, recipes
from keras_gen.cli import main
from keras_gen.models import VAE, VAEGAN, Reparameterization
from tests.helpers import (TINY_SHAPE, assert_weights_close, batch_norm_layers, run_model_test,
                           tiny_dataset, tiny_images, weights_of, write_png_folder)


def tiny_vae(num_classes=None, seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    vae = VAE(networks.vae_encoder(TINY_SHAPE, 4, 4, num_classes),
              networks.vae_decoder(TINY_SHAPE, 4, 4, num_classes), num_classes=num_classes,
              seed=seed, **kwargs)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    return vae


def tiny_vaegan(seed=0, d_norm=None):
    keras.utils.set_random_seed(seed)
    model = VAEGAN(networks.vae_encoder(TINY_SHAPE, 4, 4), networks.vae_decoder(TINY_SHAPE, 4, 4),
                   networks.feature_discriminator(TINY_SHAPE, 4, d_norm), seed=seed)
    model.compile()
    return model


def test_reparameterization_is_seeded_by_step():
    layer = Reparameterization(seed=3)
    mean, log_var = tf.zeros((4, 2)), tf.zeros((4, 2))
    np.testing.assert_array_equal(layer(mean, log_var, step=5), layer(mean, log_var, step=5))
    assert not np.allclose(layer(mean, log_var, step=5), layer(mean, log_var, step=6))
    # Zero variance collapses onto the mean.
    collapsed = layer(tf.ones((2, 2)), tf.fill((2, 2), -100.0), step=0)
    np.testing.assert_allclose(collapsed, 1.0, atol=1e-6)


@pytest.mark.parametrize("build", [lambda: tiny_vae(), lambda: tiny_vae(num_classes=10),
                                   tiny_vaegan], ids=["vae", "cvae", "vaegan"])
def test_shared_model_test(build, tmp_path):
    model = build()
    kwargs = {"labels": [1, 2, 3, 4]} if model.num_classes else {}
    run_model_test(model, tiny_dataset(), tmp_path, generate_kwargs=kwargs)


def test_beta_weights_the_kl_and_warmup_ramps_it():
    vae = tiny_vae(beta=4.0)
    logs = vae.fit(tiny_dataset(count=8, batch_size=8), epochs=1, verbose=0).history
    np.testing.assert_allclose(logs["loss"][0], logs["reconstruction"][0] + 4.0 * logs["kl"][0],
                               rtol=1e-5)
    warm = tiny_vae(beta=2.0, kl_warmup_steps=4)
    assert [float(warm.current_beta(step)) for step in range(6)] == [0.5, 1.0, 1.5, 2.0, 2.0, 2.0]


def test_validation_reports_reconstruction_and_kl():
    vae = tiny_vae()
    logs = vae.fit(tiny_dataset(), validation_data=tiny_dataset(seed=1), epochs=1,
                   verbose=0).history
    assert {"val_reconstruction", "val_kl", "val_loss"} <= set(logs)


def test_encode_decode_reconstruct_interpolate():
    vae = tiny_vae()
    images = tiny_dataset().unbatch().batch(3).take(1).get_single_element()[0].numpy()
    codes = vae.encode(images)
    assert codes.shape == (3, 4)
    np.testing.assert_allclose(vae.reconstruct(images), vae.decode(codes), atol=1e-6)
    np.testing.assert_allclose(vae.predict(images, verbose=0), vae.reconstruct(images), atol=1e-5)
    path = vae.interpolate(images[0], images[1], steps=5)
    assert path.shape == (5, 28, 28, 1) and np.abs(path).max() <= 1.0
    np.testing.assert_allclose(path[0], vae.reconstruct(images[:1])[0], atol=1e-5)
    np.testing.assert_allclose(path[-1], vae.reconstruct(images[1:2])[0], atol=1e-5)
    np.testing.assert_array_equal(vae.generate(3, seed=2), vae.generate(3, seed=2))


def test_bad_input_is_named():
    vae, cvae = tiny_vae(), tiny_vae(num_classes=10)
    with pytest.raises(ValueError, match=r"VAE\.encode takes images of shape \(batch, 28, 28, "
                                         r"1\); received shape \(2, 32, 32, 3\)"):
        vae.encode(np.zeros((2, 32, 32, 3)))
    wrong = tf.data.Dataset.from_tensor_slices(np.zeros((4, 32, 32, 1), np.float32)).batch(2)
    with pytest.raises(ValueError, match=r"VAE\.fit takes images of shape \(batch, 28, 28, 1\); "
                                         r"received shape \(None, 32, 32, 1\)"):
        vae.fit(wrong, verbose=0)
    images = np.zeros((2, 28, 28, 1), np.float32)
    with pytest.raises(ValueError, match="needs labels"):
        cvae.reconstruct(images)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        cvae.reconstruct(images, [3, 10])
    with pytest.raises(ValueError, match="expected shape \\(2,\\)"):
        cvae.reconstruct(images, [3, 4, 5])
    with pytest.raises(ValueError, match="not conditional"):
        vae.reconstruct(images, [1, 2])
    # predict on images alone said "Received: SymbolicTensor".
    with pytest.raises(ValueError, match=r"\[images, labels\]; received one tensor of shape "
                                         r"\(\w+, 28, 28, 1\)\. vae\.reconstruct"):
        cvae.predict(images, verbose=0)
    # Each of these failed with a message about something else.
    with pytest.raises(ValueError, match=r"not conditional \(num_classes=None\); drop labels"):
        vae.generate(2, labels=1)  # "'int' object is not subscriptable"
    with pytest.raises(ValueError, match=r"^encode takes a batch of images shaped \(N, 28, 28, 1\);"
                                         r" received shape \(28, 28, 1\)\. For one image pass "
                                         r"images\[None\]\.$"):
        vae.encode(images[0])  # "...; the images passed to encode has (28, 1)"
    with pytest.raises(ValueError, match=r"^encode takes a batch of images shaped \(N, 28, 28, 1\);"
                                         r" received shape \(2, 28, 28\)\. For greyscale images "
                                         r"without their channel axis pass images\[\.\.\., None\]"):
        vae.encode(images[..., 0])  # was told images[None], which makes (1, 2, 28, 28)
    with pytest.raises(ValueError, match=r"^interpolate takes one image each as start and end, "
                                         r"shaped \(28, 28, 1\); start has shape \(2, 28, 28, 1\)"):
        vae.interpolate(images, images)  # "...; the images passed to encode has (2, 28, 28, 1)"
    # A list was repeated per endpoint: "labels ... expected shape (2,), received (2, 2)".
    with pytest.raises(ValueError, match=r"^interpolate decodes the whole path in one class: pass "
                                         r"one label .* Received: labels=\[1, 2\]$"):
        cvae.interpolate(images[0], images[1], labels=[1, 2])
    path = cvae.interpolate(images[0], images[1], steps=3, labels=np.int64(2))
    assert path.shape == (3, 28, 28, 1)
    with pytest.raises(ValueError, match="two inputs"):
        VAE(networks.vae_encoder(TINY_SHAPE, 4, 4), networks.vae_decoder(TINY_SHAPE, 4, 4),
            num_classes=10)
    with pytest.raises(ValueError, match="likelihood"):
        tiny_vae(likelihood="poisson")


def test_encode_takes_only_finite_float_images_in_minus_one_to_one():
    vae = tiny_vae()
    # The ends of the range pass, and within 0.001 of them (float arithmetic's slack).
    edges = np.array([-1.0, 1.0, -1.0005, 1.0005] * 196, np.float32).reshape(1, 28, 28, 1)
    assert vae.encode(edges).shape == (1, 4)
    with pytest.raises(ValueError, match=r"float images in \[-1, 1\]; received uint8.*/ 127\.5"):
        vae.encode(np.full((1, 28, 28, 1), 255, np.uint8))
    with pytest.raises(ValueError, match=r"received values from 0 to 255\. Scale 0-255"):
        vae.reconstruct(np.linspace(0, 255, 784, dtype=np.float32).reshape(1, 28, 28, 1))
    with pytest.raises(ValueError, match="received values from -1.01 to 1"):
        vae.encode(np.where(edges < 0, -1.01, 1.0).astype(np.float32))
    with pytest.raises(ValueError, match="NaN or infinite"):
        vae.encode(np.where(edges < 0, np.nan, 1.0).astype(np.float32))
    # decode gave NaN images for NaN codes, and numpy's messages for what is not numbers.
    with pytest.raises(ValueError, match=r"^z must be finite; received NaN or infinite codes"):
        vae.decode(np.array([[0.0, np.nan, 0.0, 0.0]]))
    for codes in (None, [["a", "b", "c", "d"]]):
        with pytest.raises(ValueError, match=r"^z must be numbers, shaped \(N, 4\)\. Received "):
            vae.decode(codes)
    assert vae.decode(np.zeros((1, 4), np.int64)).shape == (1, 28, 28, 1)  # whole numbers pass


def test_vaegan_needs_a_feature_discriminator():
    with pytest.raises(ValueError, match="\\[logits, features\\]"):
        VAEGAN(networks.vae_encoder(TINY_SHAPE, 4, 4), networks.vae_decoder(TINY_SHAPE, 4, 4),
               networks.dcgan_discriminator(TINY_SHAPE, 4))


@pytest.mark.parametrize("family", ["cvae", "vaegan"])
def test_mirrored_strategy_matches_one_device(family, mirrored_strategy):
    def two_steps(strategy):
        with strategy.scope():  # SGD: Adam's first steps magnify rounding differences
            if family == "cvae":
                model = tiny_vae(num_classes=10)
                model.compile(optimizer=keras.optimizers.SGD(0.01))
            else:  # with a batch-norm discriminator: compile() synchronizes its statistics
                model = tiny_vaegan(d_norm="batch")
                model.compile(*(keras.optimizers.SGD(0.01) for _ in range(3)))
                assert all(layer.synchronized for layer in batch_norm_layers(model)) == (
                    strategy is mirrored_strategy)
        model.fit(tiny_dataset(count=16, batch_size=8), epochs=1, verbose=0)
        return model

    mirrored, single = two_steps(mirrored_strategy), two_steps(tf.distribute.get_strategy())
    assert_weights_close(weights_of(mirrored), weights_of(single), atol=1e-5)


def test_reconstructions_are_closest_to_their_own_inputs():
    vae = recipes.build_vae("vae", latent_dim=8, width=8, seed=0, kl_warmup_steps=0)
    vae.fit(data.load("digits", batch_size=64, seed=0), epochs=8, verbose=0)
    images, _ = data.load_arrays("digits", split="test")
    held_out = images[:100].astype(np.float32) / 127.5 - 1.0
    recon = vae.reconstruct(held_out)
    distances = ((recon[:, None] - held_out[None]) ** 2).reshape(100, 100, -1).sum(-1)
    own_is_nearest = np.mean(distances.argmin(axis=1) == np.arange(100))
    assert own_is_nearest > 0.6, own_is_nearest


def test_cli_trains_vae_and_reconstructs(tmp_path, capsys):
    out = tmp_path / "run"
    for model in ("vae", "cvae"):
        assert main(["train", model, "--epochs", "1", "--out", str(out / model), "--width", "4",
                     "--latent-dim", "4", "--limit", "64", "--batch-size", "32"]) == 0
        assert main(["reconstruct", str(out / model / "model.keras"), "-n", "8",
                     "--out", str(tmp_path / f"{model}.png")]) == 0
        assert (tmp_path / f"{model}.png").exists()
    assert "Reconstructed 8 held-out images of digits (its test split): mean squared error" in (
        capsys.readouterr().out)
    # A folder of the user's own images: it has one split, which was refused as "test".
    write_png_folder(tmp_path / "mine", ["a", "b"], per_class=4)
    assert main(["reconstruct", str(out / "vae" / "model.keras"), "--dataset",
                 str(tmp_path / "mine"), "-n", "8", "--out", str(tmp_path / "mine.png")]) == 0
    # Whether the folder was held out is the user's to know: its images were called held-out
    # even when they were the ones the model trained on.
    assert (f"Reconstructed 8 images of {tmp_path / 'mine'} (an image folder, used whole): mean "
            "squared error") in capsys.readouterr().out
    # --split: the images are those of that split, picked as the test split's are.
    assert main(["reconstruct", str(out / "vae" / "model.keras"), "--split", "train", "-n", "8",
                 "--out", str(tmp_path / "train.png")]) == 0
    printed = capsys.readouterr().out
    assert "Reconstructed 8 images of the 'train' split of digits" in printed
    images = data.load_arrays("digits", split="train")[0]
    originals = images[np.random.default_rng(0).permutation(len(images))[:8]] / 127.5 - 1
    vae = keras.models.load_model(out / "vae" / "model.keras")
    error = np.mean((originals - vae.reconstruct(originals.astype("float32"))) ** 2)
    assert f"mean squared error {error:.4f} " in printed
    # Without --dataset, a run's model reconstructs the images its run trained on (recorded in
    # data_options.json); it reconstructed the embedded digits, whatever the model had learnt.
    assert main(["train", "vae", "--dataset", str(tmp_path / "mine"), "--epochs", "1", "--out",
                 str(out / "mine"), "--width", "4", "--latent-dim", "4", "--batch-size", "4",
                 "--checkpoint-every", "1"]) == 0
    capsys.readouterr()
    for model_file in ("model.keras", os.path.join("checkpoints", "last.keras")):
        assert main(["reconstruct", str(out / "mine" / model_file), "-n", "8",
                     "--out", str(tmp_path / "mine.png")]) == 0
        printed = capsys.readouterr().out
        assert (f"The run trained on {tmp_path / 'mine'} ({out / 'mine' / 'data_options.json'}); "
                "--dataset reconstructs other images.") in printed
        assert f"Reconstructed 8 images of {tmp_path / 'mine'} (an image folder" in printed
    assert main(["train", "vae", "--loss", "hinge", "--out", str(out / "x")]) == 2


def test_images_scaled_to_zero_one_are_warned_about_by_encode_reconstruct_and_interpolate(
        tmp_path):
    # vae.reconstruct(x_test / 255) encoded grey-backed images and said nothing.
    import warnings

    from keras_gen import export

    vae, unit = tiny_vae(), tiny_images(4) * 0.5 + 0.5
    calls = {"encode": lambda: vae.encode(unit), "reconstruct": lambda: vae.reconstruct(unit),
             "interpolate": lambda: vae.interpolate(unit[0], unit[1], steps=3)}
    for method, call in calls.items():
        with pytest.warns(UserWarning, match=rf"^VAE\.{method}: every image value is in \[0, 1\]"
                                             r".*it encodes them as grey-backed images") as caught:
            call()
        assert caught[0].filename == __file__  # the user's line, not one inside keras_gen
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*every image value")
        vae.reconstruct(tiny_images(4))
        # Exporting checks the model on its own samples; bright ones are not a scaling mistake.
        bright = tiny_vae()
        last = bright.decoder.get_layer("to_image")
        last.bias.assign(np.full(last.bias.shape, 5.0, np.float32))  # sigmoid(5) = 0.993
        assert bright.generate(4, seed=3).min() >= 0  # every sample in [0, 1]
        export.export_saved_model(bright, str(tmp_path / "bright"))


@pytest.mark.parametrize("num_classes", [None, 10])
def test_an_empty_batch_encodes_and_decodes_to_empty_arrays_of_the_right_shape(num_classes):
    # TensorFlow's oneDNN convolution gives an empty batch the wrong channels: decode returned
    # shape (0, 28, 28, 4) for 28x28x1 images, and encode failed on "Incompatible shapes".
    vae = tiny_vae(num_classes=num_classes)
    labels = None if num_classes is None else np.zeros((0,), np.int32)
    none = np.zeros((0, *TINY_SHAPE), np.float32)
    codes, images = vae.encode(none, labels), vae.decode(np.zeros((0, 4), np.float32), labels)
    assert (codes.shape, codes.dtype) == ((0, 4), np.float32)
    assert (images.shape, images.dtype) == ((0, *TINY_SHAPE), np.float32)
    assert vae.reconstruct(none, labels).shape == (0, *TINY_SHAPE)


def test_images_of_the_wrong_shape_are_refused_by_call_and_predict():
    # vae(images) on (N, 28, 28) returned images without a word, and predict failed with "as_list()
    # is not defined on an unknown TensorShape" or a graph error at a ReLU.
    vae, cvae = tiny_vae(), tiny_vae(num_classes=10)
    images = np.zeros((4, 28, 28, 1), np.float32)
    np.testing.assert_allclose(vae.predict(images, verbose=0), vae.reconstruct(images), atol=1e-6)
    assert cvae.predict([images, np.arange(4)], verbose=0).shape == images.shape
    for wrong in (images[..., 0], np.zeros((4, 32, 32, 1), np.float32), np.repeat(images, 3, -1)):
        said = (r"takes images of shape \(batch, 28, 28, 1\); received shape "
                rf"{re.escape(str(wrong.shape))}\. Load them at the model's size")
        with pytest.raises(ValueError, match=rf"^VAE\.predict {said}"):
            vae.predict(wrong, verbose=0)
        with pytest.raises(ValueError, match=f"VAE {said}"):
            vae(wrong)
        with pytest.raises(ValueError, match=rf"^VAE\.predict {said}"):
            cvae.predict([wrong, np.arange(4)], verbose=0)
    # An empty batch failed inside a Conv2D (call) or with Keras' UnboundLocalError (predict).
    said = r"received an empty batch \(images of shape \(0, 28, 28, 1\)\); pass at least one"
    with pytest.raises(ValueError, match=rf"^VAE\.predict {said}"):
        vae.predict(images[:0], verbose=0)
    with pytest.raises(ValueError, match=f"VAE {said}"):
        vae(images[:0])
