"""The benchmarks' baseline: TensorFlow's DCGAN tutorial, its networks and its training step."""

import keras
import tensorflow as tf


def tutorial_networks(noise_dim=100):
    """The generator and discriminator of TensorFlow's DCGAN tutorial, layer for layer.

    Example:

    ```python
    generator, discriminator = tutorial_networks()
    ```
    """
    layers = keras.layers
    generator = keras.Sequential([
        keras.Input((noise_dim,)),
        layers.Dense(7 * 7 * 256, use_bias=False), layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
    ])
    discriminator = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
        layers.Flatten(), layers.Dense(1),
    ])
    return generator, discriminator


def make_tutorial_step(generator, discriminator, g_optimizer, d_optimizer, noise_dim, jit=False):
    """The tutorial's `train_step`: one noise batch, both losses from one forward pass.

    Args:
        generator, discriminator: `keras.Model`s.
        g_optimizer, d_optimizer: Keras optimizers.
        noise_dim: int. Noise size.
        jit: bool. XLA-compile the step.

    Returns:
        A `tf.function` taking a batch of real images, returning `(gen_loss, disc_loss)`.

    Example:

    ```python
    step = make_tutorial_step(g, d, keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4), 100)
    ```
    """
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function(jit_compile=jit)
    def train_step(images):
        noise = tf.random.normal([tf.shape(images)[0], noise_dim])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated = generator(noise, training=True)
            real_output = discriminator(images, training=True)
            fake_output = discriminator(generated, training=True)
            gen_loss = cross_entropy(tf.ones_like(fake_output), fake_output)
            disc_loss = (cross_entropy(tf.ones_like(real_output), real_output)
                         + cross_entropy(tf.zeros_like(fake_output), fake_output))
        g_optimizer.apply_gradients(zip(gen_tape.gradient(gen_loss, generator.trainable_variables),
                                        generator.trainable_variables))
        d_optimizer.apply_gradients(zip(disc_tape.gradient(disc_loss,
                                                           discriminator.trainable_variables),
                                        discriminator.trainable_variables))
        return gen_loss, disc_loss

    return train_step
