"""`Reparameterization`: the VAE's seeded draw of latents from the encoder's mean and variance."""

import keras
import tensorflow as tf

from keras_gen.models import randomness


@keras.saving.register_keras_serializable(package="keras_gen")
class Reparameterization(keras.layers.Layer):
    """Seeded reparameterisation `z = mean + exp(log_var / 2) * eps`, `eps ~ N(0, I)`.

    `eps` is a stateless draw from `(seed, step)`, so a given step always
    draws the same noise (reproducible, exact after a restore), and a global
    batch split over `tf.distribute` replicas draws what one device would.
    Kingma & Welling 2014, "Auto-Encoding Variational Bayes", section 2.4.

    Args:
        seed: int. Base seed.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    ```python
    z = Reparameterization(seed=0)(z_mean, z_log_var, step=optimizer.iterations)
    ```
    """

    def __init__(self, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.built = True  # no weights to create

    def call(self, z_mean, z_log_var, step=0):
        seed = randomness.step_seed(self.seed, step, randomness.STREAM_D_NOISE)
        eps = randomness.replica_slice_draw(
            lambda n, s: tf.random.stateless_normal((n, z_mean.shape[-1]), seed=s),
            tf.shape(z_mean)[0], seed)
        z_mean, z_log_var = tf.cast(z_mean, tf.float32), tf.cast(z_log_var, tf.float32)
        return z_mean + tf.exp(0.5 * z_log_var) * eps

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
