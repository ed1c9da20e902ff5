"""`VAEGAN`: a VAE whose decoder is also a GAN generator (Larsen et al. 2016)."""

import keras
import tensorflow as tf

from keras_gen.losses.variational import kl_divergence
from keras_gen.models import randomness
from keras_gen.models.compile_args import check_execution_args, refuse_ignored_compile_args
from keras_gen.models.network_check import check_network
from keras_gen.models.network_loading import deserialize_network
from keras_gen.models.optimizers import prepare_optimizer, refuse_shared_optimizers
from keras_gen.models.step_order import after_batch
from keras_gen.models.trainable_guard import trainable_snapshot
from keras_gen.models.vae import VAE
from keras_gen.utils.arguments import check_non_negative

_OPTIMIZERS = ("e_optimizer", "g_optimizer", "d_optimizer")


@keras.saving.register_keras_serializable(package="keras_gen")
class VAEGAN(VAE):
    """VAE-GAN: reconstruction is measured in a discriminator feature layer.

    Larsen et al. 2016, "Autoencoding beyond pixels using a learned similarity
    metric", eqs. 8-10 and Algorithm 1. With `f` the discriminator's feature
    layer, `x~ = Dec(Enc(x))` and `x_p = Dec(z_p)`, `z_p ~ N(0, I)`:

    - encoder:       `beta * KL + L_feat`, with `L_feat = 0.5 * ||f(x) - f(x~)||^2`
    - decoder:       `gamma * L_feat + softplus(-D(x~)) + softplus(-D(x_p))`
    - discriminator: `softplus(-D(x)) + softplus(D(x~)) + softplus(D(x_p))`

    each with its own optimizer. Progress shows `loss` (the three summed),
    `kl`, `feature_reconstruction`, `d_loss`, `g_loss`, `d_real`, `d_fake`.

    Args:
        encoder: `keras.Model`. `images -> [z_mean, z_log_var]`.
        decoder: `keras.Model`. `z -> raw outputs` (read as in `VAE` with `likelihood`).
        discriminator: `keras.Model`. `images -> [logits, features]`
            (`networks.feature_discriminator`).
        beta: float. KL weight.
        gamma: float. Weight of the feature reconstruction in the decoder loss.
        likelihood: `"bernoulli"` or `"gaussian"`: how decoder outputs map to images.
        seed: int.
        **kwargs: passed to `keras.Model`.

    Example:

    ```python
    vaegan = VAEGAN(networks.vae_encoder(shape, 16), networks.vae_decoder(shape, 16),
                    networks.feature_discriminator(shape))
    vaegan.compile()
    vaegan.fit(keras_gen.data.load("digits"), epochs=10)
    ```
    """

    def __init__(self, encoder, decoder, discriminator, beta=1.0, gamma=0.01,
                 likelihood="bernoulli", seed=0, **kwargs):
        super().__init__(encoder, decoder, beta=beta, likelihood=likelihood, seed=seed, **kwargs)
        if len(check_network("discriminator", discriminator).outputs) != 2:
            raise ValueError(
                "The VAEGAN discriminator must return [logits, features]; build it with "
                f"networks.feature_discriminator. Received: {discriminator!r}"
            )
        if tuple(discriminator.inputs[0].shape[1:]) != self.image_shape:
            raise ValueError(
                f"The discriminator takes {tuple(discriminator.inputs[0].shape[1:])} but the "
                f"encoder takes {self.image_shape}. Build all networks for one image_shape."
            )
        # A negative weight rewarded bad feature reconstructions; "x" failed in float().
        check_non_negative("gamma", gamma)
        self.discriminator, self.gamma = discriminator, float(gamma)
        self._trackers = {name: keras.metrics.Mean(name=name) for name in (
            "loss", "kl", "feature_reconstruction", "d_loss", "g_loss", "d_real", "d_fake")}

    def compile(self, e_optimizer=None, g_optimizer=None, d_optimizer=None, jit_compile="auto",
                steps_per_execution=1, run_eagerly=False, **keras_args):
        """Configures training with one optimizer per network (each defaults to Adam(2e-4, 0.5)).

        Other `keras.Model.compile` arguments (`optimizer`, `metrics`, ...) are refused with the
        fix (`compile_args`).

        Example:

        ```python
        vaegan.compile(e_optimizer=keras.optimizers.Adam(1e-4))
        ```
        """
        refuse_ignored_compile_args(self, keras_args, list(_OPTIMIZERS))
        check_execution_args(jit_compile, steps_per_execution, run_eagerly)
        refuse_shared_optimizers(e_optimizer=e_optimizer, g_optimizer=g_optimizer,
                                 d_optimizer=d_optimizer)
        self.e_optimizer = prepare_optimizer(self, e_optimizer, "e_optimizer")
        self.g_optimizer = prepare_optimizer(self, g_optimizer, "g_optimizer")
        self.d_optimizer = prepare_optimizer(self, d_optimizer, "d_optimizer")
        super().compile(optimizer=None, jit_compile=jit_compile,
                        steps_per_execution=steps_per_execution, run_eagerly=run_eagerly)
        for name, network in zip(_OPTIMIZERS, (self.encoder, self.decoder, self.discriminator)):
            getattr(self, name).build(network.trainable_variables)
        self._trainable_at_compile = trainable_snapshot(self)

    def _loss_terms(self, images, step, training):
        batch = tf.shape(images)[0]
        z_mean, z_log_var = self.encoder(images, training=training)
        z = self.reparameterize(z_mean, z_log_var, step=step)
        reconstructed = self._to_images(self.decoder(z, training=training))
        z_prior = randomness.replica_slice_draw(
            lambda n, s: tf.random.stateless_normal((n, self.latent_dim), seed=s), batch,
            randomness.step_seed(self.seed, step, randomness.STREAM_G_NOISE))
        sampled = self._to_images(self.decoder(z_prior, training=training))
        real_logits, real_features = self.discriminator(images, training=training)
        rec_logits, rec_features = self.discriminator(reconstructed, training=training)
        prior_logits, _ = self.discriminator(sampled, training=training)
        real_logits, rec_logits, prior_logits = (
            tf.cast(t[:, 0], tf.float32) for t in (real_logits, rec_logits, prior_logits))
        diff = tf.cast(real_features, tf.float32) - tf.cast(rec_features, tf.float32)
        terms = {
            "kl": kl_divergence(z_mean, z_log_var),
            "feature_reconstruction": 0.5 * tf.reduce_sum(tf.square(diff), axis=-1),
            "d_loss": (tf.nn.softplus(-real_logits) + tf.nn.softplus(rec_logits)
                       + tf.nn.softplus(prior_logits)),
            "g_loss": tf.nn.softplus(-rec_logits) + tf.nn.softplus(-prior_logits),
        }
        return terms, real_logits, prior_logits

    def train_step(self, data):
        images, _ = self._unpack(data)
        with after_batch(data):
            with tf.GradientTape(persistent=True) as tape:
                terms, real_logits, prior_logits = self._loss_terms(
                    images, self.d_optimizer.iterations, training=True)
                per_network = {
                    "e_optimizer": self.beta * terms["kl"] + terms["feature_reconstruction"],
                    "g_optimizer": self.gamma * terms["feature_reconstruction"] + terms["g_loss"],
                    "d_optimizer": terms["d_loss"],
                }
                scaled = {name: getattr(self, name).scale_loss(tf.nn.compute_average_loss(loss))
                          for name, loss in per_network.items()}
            for name, network in zip(_OPTIMIZERS, (self.encoder, self.decoder, self.discriminator)):
                variables = network.trainable_variables
                getattr(self, name).apply_gradients(zip(tape.gradient(scaled[name], variables),
                                                        variables))
            del tape
        return self._update_gan_metrics(terms, real_logits, prior_logits)

    def test_step(self, data):
        images, _ = self._unpack(data)
        terms, real_logits, prior_logits = self._loss_terms(images, 0, training=False)
        return self._update_gan_metrics(terms, real_logits, prior_logits)

    def _update_gan_metrics(self, terms, real_logits, prior_logits):
        values = {name: tf.reduce_mean(value) for name, value in terms.items()}
        values["loss"] = tf.add_n(list(values.values()))
        values["d_real"] = tf.reduce_mean(real_logits)
        values["d_fake"] = tf.reduce_mean(prior_logits)
        for name, value in values.items():
            self._trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    def get_config(self):
        config = super().get_config()
        for key in ("kl_warmup_steps", "num_classes", "class_names"):  # fixed for VAE-GAN
            config.pop(key)
        config.update({"discriminator": keras.saving.serialize_keras_object(self.discriminator),
                       "gamma": self.gamma})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["discriminator"] = deserialize_network(config["discriminator"])
        return super().from_config(config)

    def get_compile_config(self):
        if not self.compiled:
            return None
        config = {name: keras.saving.serialize_keras_object(getattr(self, name))
                  for name in _OPTIMIZERS}
        config.update(jit_compile=self.jit_compile, steps_per_execution=self.steps_per_execution)
        return config

    def compile_from_config(self, config):
        config = dict(config)
        for name in _OPTIMIZERS:
            config[name] = keras.saving.deserialize_keras_object(config[name])
        self.compile(**config)
