"""`VAE`: variational autoencoders (VAE, beta-VAE, conditional VAE) trained with `fit`."""

import keras
import numpy as np
import tensorflow as tf

from keras_gen.losses.variational import LIKELIHOODS, kl_divergence, reconstruction_loss
from keras_gen.models import randomness
from keras_gen.models.batch_norm_sync import synchronize_batch_norm
from keras_gen.models.call_inputs import ImageInputMixin, check_num_images, ensure_image_batch
from keras_gen.models.checked_fit import CheckedFitMixin, step_labels
from keras_gen.models.compile_args import (EXECUTION_ARGS, check_execution_args,
                                           refuse_ignored_compile_args,
                                           without_ignored_compile_args)
from keras_gen.models.input_structure import describe
from keras_gen.models.labels import NamedClassesMixin, check_labels
from keras_gen.models.network_check import (check_encoder_decoder_pair, check_label_classes,
                                            check_network)
from keras_gen.models.network_loading import deserialize_network
from keras_gen.models.preset_mixin import PresetMixin
from keras_gen.models.reparameterization import Reparameterization
from keras_gen.models.saving_mixin import SavingMixin
from keras_gen.models.step_order import after_batch
from keras_gen.models.trainable_guard import trainable_snapshot
from keras_gen.networks.conditional import check_num_classes
from keras_gen.utils.arguments import check_non_negative, check_positive_int, is_int
from keras_gen.utils.images import model_range_batch, refuse_integer_images, warn_if_unit_range


@keras.saving.register_keras_serializable(package="keras_gen")
class VAE(NamedClassesMixin, PresetMixin, SavingMixin, CheckedFitMixin, ImageInputMixin,
          keras.Model):
    """A variational autoencoder; beta-VAE with `beta`, a conditional VAE with `num_classes`.

    Trains on the ELBO, `reconstruction + beta_t * KL`, where `beta_t` rises
    linearly from 0 to `beta` over `kl_warmup_steps` (Bowman et al. 2016) or
    is `beta` throughout. Progress shows `loss`, `reconstruction`, `kl` and
    `beta`; `evaluate` / `validation_data` report the same on held-out data.
    Images are in [-1, 1] everywhere.

    Args:
        encoder: `keras.Model`. `images` (or `[images, labels]`) -> `[z_mean, z_log_var]`.
        decoder: `keras.Model`. `z` (or `[z, labels]`) -> raw outputs shaped like the images.
        beta: float. KL weight (1 = VAE; > 1 = beta-VAE, Higgins et al. 2017).
        likelihood: `"bernoulli"` (decoder outputs logits) or `"gaussian"` (means).
        kl_warmup_steps: int. Steps over which the KL weight rises to `beta`; 0 = none.
        num_classes: optional int. Conditional VAE: both networks take labels.
        seed: int. Seed of the reparameterisation noise.
        class_names: optional list of str, one per class of a conditional VAE; saved with the
            model, and its `labels=` arguments take them.
        **kwargs: passed to `keras.Model`.

    Example:

    ```python
    vae = VAE(networks.vae_encoder((28, 28, 1), 2), networks.vae_decoder((28, 28, 1), 2))
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    vae.fit(keras_gen.data.load("digits"), epochs=10)
    recon = vae.reconstruct(images)
    ```

    Reference: Kingma & Welling 2014, "Auto-Encoding Variational Bayes".
    """

    def __init__(self, encoder, decoder, beta=1.0, likelihood="bernoulli", kl_warmup_steps=0,
                 num_classes=None, seed=0, class_names=None, **kwargs):
        super().__init__(**kwargs)
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}. Received: {likelihood!r}")
        check_non_negative("beta", beta)
        if not is_int(kl_warmup_steps) or kl_warmup_steps < 0:
            raise ValueError(f"kl_warmup_steps must be an int >= 0. Received: {kl_warmup_steps!r}")
        if not is_int(seed):
            raise ValueError(f"seed must be an int. Received: seed={seed!r}")
        conditional = num_classes is not None
        for role, network in (("encoder", encoder), ("decoder", decoder)):
            if (len(check_network(role, network).inputs) == 2) != conditional:
                expected = "two inputs (data, labels)" if conditional else "one input"
                raise ValueError(
                    f"With num_classes={num_classes}, the {role} must be a keras.Model with "
                    f"{expected}. Build it with networks.vae_{role}(..., num_classes=...)."
                )
        check_encoder_decoder_pair(encoder, decoder)
        if conditional:
            for role, network in (("encoder", encoder), ("decoder", decoder)):
                check_label_classes(role, network, check_num_classes(num_classes))
        self.encoder, self.decoder = encoder, decoder
        self.beta, self.likelihood = float(beta), likelihood
        # As Python ints: a numpy integer would not serialize to JSON in the config.
        self.kl_warmup_steps, self.seed = int(kl_warmup_steps), int(seed)
        self.num_classes = None if num_classes is None else check_num_classes(num_classes)
        self.class_names = class_names
        self.image_shape = tuple(encoder.inputs[0].shape[1:])
        self.latent_dim = int(decoder.inputs[0].shape[-1])
        self.reparameterize = Reparameterization(self.seed, name="reparameterization")
        self._trackers = {name: keras.metrics.Mean(name=name)
                          for name in ("loss", "reconstruction", "kl", "beta")}
        self.built = True

    @property
    def metrics(self):
        return list(self._trackers.values())

    def compile(self, optimizer="adam", **kwargs):
        """Configures training: one optimizer for encoder and decoder (as `keras.Model.compile`).

        The VAE trains on its ELBO and reports its terms, so `loss`, `loss_weights`, `metrics`
        and `weighted_metrics` are refused with the fix (`compile_args`). Under a strategy with
        several replicas, batch-norm layers are switched to statistics over the global batch
        (`synchronize_batch_norm`).

        Example:

        ```python
        vae.compile(optimizer=keras.optimizers.Adam(1e-3))
        ```
        """
        check_execution_args(**{key: kwargs[key] for key in EXECUTION_ARGS if key in kwargs})
        super().compile(optimizer=optimizer, **refuse_ignored_compile_args(self, kwargs))
        if self.optimizer is not None:
            # Build optimizer state now, so BackupAndRestore and load_model find it.
            self.optimizer.build(self.encoder.trainable_variables +
                                 self.decoder.trainable_variables)
        synchronize_batch_norm(self)
        self._trainable_at_compile = trainable_snapshot(self)

    def compile_from_config(self, config):
        # Keras skips custom compile() methods when loading; this one is safe to call.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**without_ignored_compile_args(self, config))

    def _with_labels(self, network, data, labels):
        return network(data if self.num_classes is None else [data, labels])

    def _check_images(self, images, consumer=None):
        refuse_integer_images(images, type(self).__name__)
        return ensure_image_batch(images, self.image_shape, consumer or type(self).__name__,
                                  "Resize/convert the images or build the networks for their "
                                  "shape.")

    def _concrete_labels(self, labels, count):
        if self.num_classes is None:
            if labels is not None:
                raise ValueError("This VAE is not conditional (num_classes=None); drop labels.")
            return None
        if labels is None:
            raise ValueError(f"This conditional VAE needs labels in [0, {self.num_classes}).")
        return check_labels(labels, self.num_classes, count, class_names=self.class_names)

    def current_beta(self, step):
        """The KL weight at a training step (after warm-up: `beta`).

        Example:

        ```python
        vae.current_beta(0)
        ```
        """
        if not self.kl_warmup_steps:
            return tf.constant(self.beta, tf.float32)
        ramp = tf.cast(step + 1, tf.float32) / float(self.kl_warmup_steps)
        return self.beta * tf.minimum(1.0, ramp)

    def _elbo_terms(self, images, labels, step, training):
        z_mean, z_log_var = self._with_labels(
            lambda x: self.encoder(x, training=training), images, labels)
        z = self.reparameterize(z_mean, z_log_var, step=step)
        decoded = self._with_labels(lambda x: self.decoder(x, training=training), z, labels)
        return (reconstruction_loss(images, decoded, self.likelihood),
                kl_divergence(z_mean, z_log_var))

    def _unpack(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        images = self._check_images(images)
        if self.num_classes is None:
            return images, None
        if labels is None:
            raise ValueError("A conditional VAE trains on (images, labels) batches; the dataset "
                             "yields images only.")
        return images, step_labels(self, labels)

    def train_step(self, data):
        images, labels = self._unpack(data)
        with after_batch(data):
            step = self.optimizer.iterations
            beta = self.current_beta(step)
            with tf.GradientTape() as tape:
                reconstruction, kl = self._elbo_terms(images, labels, step, training=True)
                loss = tf.nn.compute_average_loss(reconstruction + beta * kl)
                scaled = self.optimizer.scale_loss(loss)
            variables = self.encoder.trainable_variables + self.decoder.trainable_variables
            self.optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return self._update_metrics(reconstruction, kl, beta)

    def test_step(self, data):
        images, labels = self._unpack(data)
        beta = self.current_beta(self.optimizer.iterations)
        reconstruction, kl = self._elbo_terms(images, labels, 0, training=False)
        return self._update_metrics(reconstruction, kl, beta)

    def _update_metrics(self, reconstruction, kl, beta):
        values = {"reconstruction": tf.reduce_mean(reconstruction), "kl": tf.reduce_mean(kl),
                  "beta": beta}
        values["loss"] = values["reconstruction"] + beta * values["kl"]
        for name, value in values.items():
            self._trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    def _to_images(self, decoded):
        decoded = tf.cast(decoded, tf.float32)
        if self.likelihood == "bernoulli":
            return tf.sigmoid(decoded) * 2.0 - 1.0
        return tf.clip_by_value(decoded, -1.0, 1.0)

    def call(self, inputs, training=False):
        """Reconstructs images (the posterior's mean, decoded): `predict` and export use this."""
        if self.num_classes is None:
            images, labels = inputs, None
        elif isinstance(inputs, (list, tuple)) and len(inputs) == 2:
            images, labels = inputs
        else:
            raise ValueError("A conditional VAE is called on [images, labels]; received "
                             f"{describe(inputs)}. vae.reconstruct(images, labels) does the same.")
        self._check_call_input(inputs, type(self).__name__)
        z_mean, _ = self._with_labels(lambda x: self.encoder(x, training=training), images, labels)
        return self._to_images(self._with_labels(
            lambda x: self.decoder(x, training=training), z_mean, labels))

    def encode(self, images, labels=None):
        """Returns the posterior means `(N, latent_dim)` of images in [-1, 1].

        Example:

        ```python
        codes = vae.encode(test_images)
        ```
        """
        return self._encode(images, labels, "encode")

    def _encode(self, images, labels, method):
        """`encode` for the public `method` that called it, which the messages name."""
        images = model_range_batch(images, method, self.image_shape)
        self._check_images(images, f"{type(self).__name__}.{method}")
        # stacklevel 3: the user's line that called encode, reconstruct or interpolate.
        warn_if_unit_range(images, f"{type(self).__name__}.{method}", "it encodes them as "
                           "grey-backed images, unlike those it learnt from", stacklevel=3)
        labels = self._concrete_labels(labels, len(images))
        if not len(images):
            # TensorFlow's oneDNN convolution gives an empty batch the wrong number of channels
            # (decode returned shape (0, 28, 28, 4); encode failed on a bias add): an empty
            # batch's codes are known without running the networks.
            return np.zeros((0, self.latent_dim), np.float32)
        z_mean, _ = self._with_labels(lambda x: self.encoder(x, training=False), images, labels)
        return np.asarray(z_mean)

    def decode(self, z, labels=None):
        """Decodes latent vectors `(N, latent_dim)` to images in [-1, 1].

        Example:

        ```python
        images = vae.decode(np.zeros((1, vae.latent_dim)))
        ```
        """
        codes = np.asarray(z)
        if codes.dtype.kind not in "biuf":  # None, strings: "could not convert string to float"
            raise ValueError(f"z must be numbers, shaped (N, {self.latent_dim}). Received "
                             f"{z!r:.60}")
        z = codes.astype(np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}). Received {z.shape}")
        if not np.isfinite(z).all():  # decoded to NaN images without a word; encode refuses them
            raise ValueError("z must be finite; received NaN or infinite codes (an encoder "
                             "that diverged gives them).")
        labels = self._concrete_labels(labels, len(z))
        if not len(z):  # see _encode: the networks are not run on an empty batch
            return np.zeros((0, *self.image_shape), np.float32)
        decoded = self._with_labels(lambda x: self.decoder(x, training=False), z, labels)
        return np.asarray(self._to_images(decoded))

    def reconstruct(self, images, labels=None):
        """Encodes then decodes images (posterior means): `decode(encode(images))`.

        Example:

        ```python
        recon = vae.reconstruct(test_images[:8])
        ```
        """
        return self.decode(self._encode(images, labels, "reconstruct"), labels)

    def generate(self, num_images, seed=None, labels=None, batch_size=256):
        """Decodes prior samples `z ~ N(0, I)`; the same seed (and labels) gives the same images.

        Args:
            num_images: int.
            seed: optional int. `None` draws a fresh seed.
            labels: for a conditional VAE, an int or array; `None` cycles the classes.
            batch_size: int. Unused beyond memory (decoding is one pass per batch).

        Example:

        ```python
        samples = vae.generate(64, seed=0)
        ```
        """
        num_images = check_num_images(self, num_images, "decode it: vae.decode(z" + (
            ", labels)" if self.num_classes is not None else ")"))
        check_positive_int("batch_size", batch_size)
        if self.num_classes is not None:
            labels = check_labels(labels, self.num_classes, num_images,
                                  class_names=self.class_names)
        else:
            labels = self._concrete_labels(labels, num_images)  # refuses labels
        seed = randomness.sampling_seed(seed)
        z = tf.random.stateless_normal((num_images, self.latent_dim), seed=[seed, 0]).numpy()
        return np.concatenate([
            self.decode(z[i : i + batch_size],
                        None if labels is None else labels[i : i + batch_size])
            for i in range(0, num_images, batch_size)])

    def interpolate(self, start, end, steps=8, labels=None):
        """Decodes `steps` points on the line between the codes of two images.

        Args:
            start: array `(H, W, C)`. First image.
            end: array `(H, W, C)`. Last image.
            steps: int >= 2. Points including both ends.
            labels: for a conditional VAE, the one class of the whole path: an int, or a class
                name of a model with `class_names`.

        Returns:
            float32 array `(steps, H, W, C)` in [-1, 1].

        Example:

        ```python
        path = vae.interpolate(images[0], images[1], steps=10)
        ```
        """
        if not is_int(steps) or steps < 2:
            raise ValueError(f"steps must be an int >= 2. Received: steps={steps!r}")
        for name, image in (("start", start), ("end", end)):
            if np.shape(image) != self.image_shape:
                raise ValueError(
                    f"interpolate takes one image each as start and end, shaped "
                    f"{self.image_shape}; {name} has shape {np.shape(image)}. For a batch, "
                    "call interpolate once per pair.")
        if labels is not None and np.ndim(labels) != 0:
            # A list was repeated per endpoint: "expected shape (2,), received (2, 2)".
            raise ValueError(f"interpolate decodes the whole path in one class: pass one label "
                             f"(a class id or name), e.g. labels=3. Received: labels={labels!r}")
        pair_labels = None if labels is None else [labels, labels]
        codes = self._encode(np.stack([start, end]), pair_labels, "interpolate")
        weights = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
        path = (1.0 - weights) * codes[0] + weights * codes[1]
        return self.decode(path, None if labels is None else np.full(steps, labels))

    def get_config(self):
        config = super().get_config()
        config.update({
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "beta": self.beta, "likelihood": self.likelihood,
            "kl_warmup_steps": self.kl_warmup_steps, "num_classes": self.num_classes,
            "seed": self.seed,
            "class_names": None if self.class_names is None else list(self.class_names),
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("encoder", "decoder"):
            config[key] = deserialize_network(config[key])
        return cls(**config)
