"""Gradient penalties on the discriminator, each taking it as a callable.

Both return one value per example, shape `(batch,)`, for the trainer to
average over the global batch. They use TensorFlow's `GradientTape`, as the
training steps do.
"""

import tensorflow as tf


def _input_gradient_norms_squared(discriminator, images):
    images = tf.cast(images, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        # Summing over the batch keeps examples separate: each logit depends
        # only on its own image. The sum must be taken inside the tape.
        total = tf.reduce_sum(tf.cast(discriminator(images, training=True), tf.float32))
    gradients = tape.gradient(total, images)
    return tf.reduce_sum(tf.reshape(tf.square(gradients), (tf.shape(images)[0], -1)), axis=-1)


def gradient_penalty(discriminator, real, fake, alpha):
    """WGAN-GP penalty: `(||grad_x D(x_hat)||_2 - 1)**2` at `x_hat = real + alpha * (fake - real)`.

    Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", eq. 3
    (weight lambda = 10 in the paper; the trainer applies the weight). Each
    example's gradient is taken separately, so do not use batch normalisation
    in the critic.

    Args:
        discriminator: callable. Maps images to logits `(batch, 1)`.
        real: tensor `(batch, H, W, C)`. Real images.
        fake: tensor `(batch, H, W, C)`. Generated images.
        alpha: tensor broadcastable to the images, e.g. `(batch, 1, 1, 1)`,
            with values in [0, 1]: where on each real-to-fake line to probe.

    Returns:
        float32 tensor `(batch,)`.

    Example:

    ```python
    alpha = tf.random.stateless_uniform((batch, 1, 1, 1), seed=[0, step])
    penalty = tf.reduce_mean(gradient_penalty(critic, real, fake, alpha))
    ```
    """
    real = tf.cast(real, tf.float32)
    fake = tf.cast(fake, tf.float32)
    interpolated = real + tf.cast(alpha, tf.float32) * (fake - real)
    norms = tf.sqrt(_input_gradient_norms_squared(discriminator, interpolated) + 1e-12)
    return tf.square(norms - 1.0)


def r1_penalty(discriminator, real):
    """R1 penalty: `||grad_x D(x)||_2**2` on real images.

    Mescheder et al. 2018, "Which Training Methods for GANs do actually
    Converge?", eq. 9; the trainer multiplies it by `gamma / 2`.

    Args:
        discriminator: callable. Maps images to logits `(batch, 1)`.
        real: tensor `(batch, H, W, C)`. Real images.

    Returns:
        float32 tensor `(batch,)`.

    Example:

    ```python
    penalty = tf.reduce_mean(r1_penalty(discriminator, real_images))
    ```
    """
    return _input_gradient_norms_squared(discriminator, real)
