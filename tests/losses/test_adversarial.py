"""Adversarial losses against values worked out by hand."""

import math

import numpy as np
import pytest

from keras_gen import losses

LOG2 = math.log(2.0)


def _np(tensor):
    return np.asarray(tensor)


def test_non_saturating_at_zero_logits_is_log_two_per_term():
    zeros = np.zeros((3, 1), np.float32)
    np.testing.assert_allclose(_np(losses.non_saturating_generator_loss(zeros)), [LOG2] * 3,
                               rtol=1e-6)
    np.testing.assert_allclose(_np(losses.non_saturating_discriminator_loss(zeros, zeros)),
                               [2 * LOG2] * 3, rtol=1e-6)


def test_non_saturating_matches_cross_entropy_formula():
    real, fake = np.array([[2.0]], np.float32), np.array([[-1.0]], np.float32)

    def sigmoid(x):
        return 1.0 / (1.0 + math.exp(-x))

    expected_d = -math.log(sigmoid(2.0)) - math.log(1.0 - sigmoid(-1.0))
    expected_g = -math.log(sigmoid(-1.0))
    np.testing.assert_allclose(_np(losses.non_saturating_discriminator_loss(real, fake)),
                               [expected_d], rtol=1e-6)
    np.testing.assert_allclose(_np(losses.non_saturating_generator_loss(fake)), [expected_g],
                               rtol=1e-6)


def test_least_squares():
    # D: 0.5 * (1 - 1)^2 + 0.5 * 2^2 = 2;  G: 0.5 * (3 - 1)^2 = 2.
    np.testing.assert_allclose(_np(losses.least_squares_discriminator_loss(
        np.array([[1.0]]), np.array([[2.0]]))), [2.0])
    np.testing.assert_allclose(_np(losses.least_squares_generator_loss(np.array([[3.0]]))), [2.0])
    # Real at 0 and fake at 0: 0.5 * 1 + 0 = 0.5.
    np.testing.assert_allclose(_np(losses.least_squares_discriminator_loss(
        np.array([[0.0]]), np.array([[0.0]]))), [0.5])


def test_hinge():
    # relu(1 - 0.5) + relu(1 + 0.5) = 2; margins satisfied give 0.
    np.testing.assert_allclose(_np(losses.hinge_discriminator_loss(
        np.array([[0.5], [3.0]]), np.array([[0.5], [-2.0]]))), [2.0, 0.0])
    np.testing.assert_allclose(_np(losses.hinge_generator_loss(np.array([[0.5], [-1.0]]))),
                               [-0.5, 1.0])


def test_wasserstein():
    np.testing.assert_allclose(_np(losses.wasserstein_discriminator_loss(
        np.array([[3.0]]), np.array([[1.0]]))), [-2.0])
    np.testing.assert_allclose(_np(losses.wasserstein_generator_loss(np.array([[2.0]]))), [-2.0])


def test_patch_logits_are_averaged_per_example():
    # Two examples with 2x2 "patch" logits: the per-example loss is the mean.
    fake = np.array([[[1.0, 3.0], [1.0, 3.0]], [[0.0, 0.0], [0.0, 0.0]]], np.float32)
    np.testing.assert_allclose(_np(losses.wasserstein_generator_loss(fake)), [-2.0, 0.0])


def test_losses_are_float32_for_half_precision_logits():
    fake = np.array([[1.0]], np.float16)
    assert losses.hinge_generator_loss(fake).dtype == "float32"


def test_unknown_loss_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="least_squares.*Received: loss='lsgan'"):
        losses.get_loss_pair("lsgan")
