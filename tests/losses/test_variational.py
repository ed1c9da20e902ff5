"""The VAE's loss terms against values worked out by hand."""

import math

import numpy as np
import pytest

from keras_gen.losses import kl_divergence, reconstruction_loss


def test_kl_by_hand():
    # mean (1, 0), log_var (0, log 2):
    # -0.5 * [(1 + 0 - 1 - 1) + (1 + log 2 - 0 - 2)] = 1 - log(2) / 2
    kl = kl_divergence(np.array([[1.0, 0.0]]), np.array([[0.0, math.log(2.0)]]))
    np.testing.assert_allclose(kl, [1.0 - math.log(2.0) / 2], rtol=1e-6)
    np.testing.assert_allclose(kl_divergence(np.zeros((3, 4)), np.zeros((3, 4))), [0.0] * 3)


def test_reconstruction_by_hand():
    images = np.ones((2, 2, 2, 1), np.float32)  # pixel intensity (1 + 1) / 2 = 1
    # Bernoulli: logits 0 -> -log(sigmoid(0)) = log 2 per pixel, 4 pixels.
    np.testing.assert_allclose(reconstruction_loss(images, np.zeros_like(images), "bernoulli"),
                               [4 * math.log(2.0)] * 2, rtol=1e-6)
    # Gaussian: 0.5 * (1 - 0)^2 per pixel.
    np.testing.assert_allclose(reconstruction_loss(images, np.zeros_like(images), "gaussian"),
                               [2.0, 2.0])


def test_reconstruction_refuses_an_unknown_likelihood():
    images = np.zeros((1, 2, 2, 1), np.float32)
    with pytest.raises(ValueError, match=r"likelihood must be one of \('bernoulli', 'gaussian'\)"):
        reconstruction_loss(images, images, "laplace")
