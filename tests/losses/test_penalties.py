"""Gradient penalties on discriminators whose input gradients are known in closed form."""

import numpy as np
import tensorflow as tf

from keras_gen import losses


def _linear_critic(weights):
    """D(x) = sum(w * x): its gradient is w everywhere."""
    w = tf.constant(weights, tf.float32)
    return lambda images, training=False: tf.reduce_sum(images * w, axis=[1, 2, 3])[:, None]


def test_gradient_penalty_of_linear_critic():
    # w = (3, 4) in a 1x2x1 image: ||w|| = 5, penalty (5 - 1)^2 = 16 wherever we probe.
    critic = _linear_critic(np.array([[[3.0], [4.0]]]))
    real = np.zeros((2, 1, 2, 1), np.float32)
    fake = np.ones((2, 1, 2, 1), np.float32)
    alpha = np.array([0.0, 0.7], np.float32).reshape(2, 1, 1, 1)
    penalty = losses.gradient_penalty(critic, real, fake, alpha).numpy()
    np.testing.assert_allclose(penalty, [16.0, 16.0], rtol=1e-5)


def test_gradient_penalty_is_zero_for_unit_gradient():
    critic = _linear_critic(np.array([[[0.6], [0.8]]]))
    real = np.zeros((1, 1, 2, 1), np.float32)
    penalty = losses.gradient_penalty(critic, real, real + 1, np.full((1, 1, 1, 1), 0.5,
                                                                      np.float32)).numpy()
    np.testing.assert_allclose(penalty, [0.0], atol=1e-5)


def test_gradient_penalty_probes_the_interpolate():
    # D(x) = 0.5 * sum(x^2): gradient x, so at x_hat = alpha * fake (real = 0)
    # the norm is alpha * ||fake||. fake = (2, 0), alpha = 0.25 -> norm 0.5,
    # penalty (0.5 - 1)^2 = 0.25.
    def critic(images, training=False):
        return 0.5 * tf.reduce_sum(tf.square(images), axis=[1, 2, 3])[:, None]

    real = np.zeros((1, 1, 2, 1), np.float32)
    fake = np.array([[[[2.0], [0.0]]]], np.float32)
    penalty = losses.gradient_penalty(critic, real, fake, np.full((1, 1, 1, 1), 0.25,
                                                                  np.float32)).numpy()
    np.testing.assert_allclose(penalty, [0.25], rtol=1e-5)


def test_r1_penalty_is_squared_gradient_norm_on_real():
    critic = _linear_critic(np.array([[[3.0], [4.0]]]))
    real = np.random.default_rng(0).normal(size=(3, 1, 2, 1)).astype(np.float32)
    np.testing.assert_allclose(losses.r1_penalty(critic, real).numpy(), [25.0] * 3, rtol=1e-5)
