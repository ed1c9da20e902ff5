"""`GAN`: trains any generator/discriminator pair with `model.fit`."""

import keras
import numpy as np
import tensorflow as tf

from keras_gen.losses import adversarial, penalties
from keras_gen.models import randomness
from keras_gen.models.augment_check import check_augment
from keras_gen.models.batch_norm_sync import synchronize_batch_norm
from keras_gen.models.call_inputs import NoiseInputMixin, check_num_images, ensure_image_batch
from keras_gen.models.checked_fit import CheckedFitMixin
from keras_gen.models.compile_args import check_execution_args, refuse_ignored_compile_args
from keras_gen.models.ema import moving_average_copy, update_moving_average, warmed_up_decay
from keras_gen.models.network_check import check_network
from keras_gen.models.network_loading import deserialize_network
from keras_gen.models.optimizers import prepare_optimizer, refuse_shared_optimizers
from keras_gen.models.preset_mixin import PresetMixin
from keras_gen.models.saving_mixin import SavingMixin
from keras_gen.models.step_order import after_batch
from keras_gen.models.trainable_guard import trainable_snapshot
from keras_gen.utils.arguments import (check_bool, check_non_negative, check_positive_int,
                                       is_int)
from keras_gen.utils.images import refuse_integer_images


@keras.saving.register_keras_serializable(package="keras_gen")
class GAN(PresetMixin, SavingMixin, CheckedFitMixin, NoiseInputMixin, keras.Model):
    """A generative adversarial network trained with `fit`.

    `train_step` runs `d_steps` discriminator updates and one generator update
    per batch, compiled by `tf.function` (XLA with `jit_compile=True`). Losses
    are averaged over the global batch, so training is the same on one device
    and under `tf.distribute` strategies. Noise is drawn statelessly from
    `(seed, optimizer step)`, so runs are reproducible and resume exactly from
    a backup (XLA's random kernels draw other numbers than TensorFlow's for
    the same seed, so XLA and non-XLA runs are each reproducible but differ
    from each other). Progress shows `g_loss`, `d_loss`, `d_real` and `d_fake` (mean
    discriminator logits on real and generated images) and `loss`
    (`g_loss + d_loss`, there so Keras callbacks that watch `loss`, such as
    `TerminateOnNaN`, catch a diverged run).

    Args:
        generator: `keras.Model`. Maps `z` `(batch, latent_dim)` to images in [-1, 1].
        discriminator: `keras.Model`. Maps images to logits `(batch, 1)`.
        ema_decay: optional float in [0, 1). When set, an exponential moving
            average of the generator's weights is kept and used for sampling
            (`call`, `predict`, `generate`).
        ema_warmup: bool. Ramp the EMA decay up as `min(ema_decay, (1 + t) / (10 + t))`
            over generator steps `t` (the `num_updates` rule of
            `tf.train.ExponentialMovingAverage`), so the average follows the fast
            early changes of a fresh or fine-tuning run instead of lagging about
            `1 / (1 - ema_decay)` steps behind. `t` counts the generator optimizer's
            iterations, so it restarts when the model is compiled with new optimizers.
        seed: int. Seed of the training noise.
        augment: optional layer `(images, seed) -> images` applied to real and
            generated images before the discriminator during training, e.g.
            `keras_gen.transfer.DiffAugment()` or `AdaptiveAugment()` (whose
            probability is then shown as `ada_p`).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    ```python
    gan = keras_gen.models.GAN(
        keras_gen.networks.dcgan_generator((28, 28, 1), latent_dim=64),
        keras_gen.networks.dcgan_discriminator((28, 28, 1)),
        ema_decay=0.999,
    )
    gan.compile(loss="hinge")
    gan.fit(keras_gen.data.load("digits"), epochs=5)
    images = gan.generate(16, seed=0)  # float32 in [-1, 1]
    ```

    Reference: Goodfellow et al. 2014, "Generative Adversarial Nets".
    """

    def __init__(self, generator, discriminator, ema_decay=None, seed=0, augment=None,
                 ema_warmup=False, **kwargs):
        super().__init__(**kwargs)
        check_network("generator", generator)
        check_network("discriminator", discriminator)
        if type(self) is GAN and (len(generator.inputs) != 1 or len(discriminator.inputs) != 1):
            # Else accepted, and failed at the first step inside the networks. (Subclasses,
            # ConditionalGAN first, say what their networks take.)
            raise ValueError(
                f"A GAN's generator takes noise only and its discriminator images only; these "
                f"take {len(generator.inputs)} and {len(discriminator.inputs)} inputs. For "
                "networks that take labels, use ConditionalGAN(..., num_classes=...).")
        noise_shape = self._noise_input_shape(generator)
        if len(noise_shape) != 2:
            raise ValueError(
                "generator must take a flat noise vector (batch, latent_dim). "
                f"Received a generator with noise input shape {noise_shape}"
            )
        image_shape, d_input = self._image_shapes(generator, discriminator)
        if image_shape != d_input:
            raise ValueError(
                f"The generator makes images of shape {image_shape} but the discriminator "
                f"takes {d_input}. Build both networks for the same image_shape."
            )
        if ema_decay is not None and not 0.0 <= ema_decay < 1.0:
            raise ValueError(
                f"ema_decay must be in [0, 1) or None. Received: ema_decay={ema_decay}")
        if not is_int(seed):
            raise ValueError(f"seed must be an int. Received: seed={seed!r}")
        seed = int(seed)  # a numpy integer would not serialize to JSON in the config
        self.generator = generator
        self.discriminator = discriminator
        self.ema_decay = ema_decay
        self.ema_warmup = check_bool("ema_warmup", ema_warmup)
        self.seed = seed
        self.augment = check_augment(augment)
        self.latent_dim = int(noise_shape[-1])
        self.image_shape = image_shape
        self.ema_generator = None if ema_decay is None else moving_average_copy(generator)
        names = ["loss", "g_loss", "d_loss", "d_real", "d_fake"]
        if hasattr(augment, "update"):  # adaptive augmentation reports its probability
            names.append("ada_p")
        self._trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True

    def set_augment(self, augment):
        """Sets (or removes, with `None`) the discriminator augmentation; `compile()` afterwards.

        Example:

        ```python
        gan = GAN.from_preset("dcgan_mnist")
        gan.set_augment(keras_gen.transfer.AdaptiveAugment())
        gan.compile()
        ```
        """
        self.augment = check_augment(augment)
        if hasattr(augment, "update") and "ada_p" not in self._trackers:
            self._trackers["ada_p"] = keras.metrics.Mean(name="ada_p")
        elif not hasattr(augment, "update"):
            self._trackers.pop("ada_p", None)
        self.compiled = False  # the traced train step must be rebuilt

    @staticmethod
    def _noise_input_shape(generator):
        return tuple(generator.inputs[0].shape)

    @staticmethod
    def _image_shapes(generator, discriminator):
        """`(generated image shape, discriminator image input shape)`, without the batch axis."""
        return tuple(generator.outputs[0].shape[1:]), tuple(discriminator.inputs[0].shape[1:])

    @property
    def metrics(self):
        return list(self._trackers.values())

    @property
    def trainable(self):
        return keras.Model.trainable.fget(self)

    @trainable.setter
    def trainable(self, value):
        # Keras sets every sublayer; the moving average follows the generator's weights and
        # is never trained by gradient, so it stays frozen (its weights are not trainable ones).
        keras.Model.trainable.fset(self, value)
        if getattr(self, "ema_generator", None) is not None:
            self.ema_generator.trainable = False

    @property
    def sampling_generator(self):
        """The generator used for sampling: the EMA copy when `ema_decay` is set."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def compile(self, g_optimizer=None, d_optimizer=None, loss="non_saturating", d_steps=1,
                gp_weight=None, r1_gamma=0.0, jit_compile="auto", steps_per_execution=1,
                run_eagerly=False, **keras_args):
        """Configures the GAN for training.

        Args:
            g_optimizer: optional `keras.optimizers.Optimizer` for the generator.
                Defaults to Adam(2e-4, beta_1=0.5).
            d_optimizer: optional optimizer for the discriminator (same default).
            loss: str. `"non_saturating"`, `"least_squares"`, `"hinge"` or
                `"wasserstein"`.
            d_steps: int. Discriminator (critic) steps per generator step; each
                reuses the batch's real images with fresh noise.
            gp_weight: optional float. WGAN-GP gradient-penalty weight; `None`
                means 10 for `"wasserstein"` (Gulrajani et al. 2017) and 0 otherwise.
            r1_gamma: float. R1 penalty weight gamma (the penalty is
                `gamma / 2 * ||grad D(x)||**2`, Mescheder et al. 2018).
            jit_compile: bool or `"auto"`. Compile the train step with XLA.
            steps_per_execution: int. Batches per compiled call.
            run_eagerly: bool. Run the step eagerly, for debugging.
            **keras_args: refused with the fix (`optimizer`, `metrics`, ...: see
                `compile_args`).

        Under a strategy with several replicas, the networks' batch-norm layers
        are switched to statistics over the global batch
        (`synchronize_batch_norm`), so N devices train as one does.

        Example:

        ```python
        gan.compile(loss="wasserstein", d_steps=5,
                    g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                    d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9))
        ```
        """
        refuse_ignored_compile_args(self, keras_args, ["g_optimizer", "d_optimizer"],
                                    takes_loss=True)
        check_execution_args(jit_compile, steps_per_execution, run_eagerly)
        g_loss_fn, d_loss_fn = adversarial.get_loss_pair(loss)
        if not is_int(d_steps) or d_steps < 1:
            raise ValueError(f"d_steps must be an int >= 1. Received: d_steps={d_steps!r}")
        if gp_weight is None:
            gp_weight = 10.0 if loss == "wasserstein" else 0.0
        check_non_negative("gp_weight", gp_weight)
        check_non_negative("r1_gamma", r1_gamma)
        refuse_shared_optimizers(g_optimizer=g_optimizer, d_optimizer=d_optimizer)
        self.g_optimizer = prepare_optimizer(self, g_optimizer, "g_optimizer")
        self.d_optimizer = prepare_optimizer(self, d_optimizer, "d_optimizer")
        self.loss_name, self.d_steps = loss, int(d_steps)
        self.gp_weight, self.r1_gamma = float(gp_weight), float(r1_gamma)
        self._g_loss_fn, self._d_loss_fn = g_loss_fn, d_loss_fn
        super().compile(optimizer=None, jit_compile=jit_compile,
                        steps_per_execution=steps_per_execution, run_eagerly=run_eagerly)
        # Build optimizer state now so BackupAndRestore and load_model find it.
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        synchronize_batch_norm(self)
        self._trainable_at_compile = trainable_snapshot(self)

    def call(self, z, training=False):
        self._check_call_input(z, type(self).__name__)
        generator = self.generator if training else self.sampling_generator
        return generator(z, training=training)

    def generate(self, num_images, seed=None, batch_size=256, *, labels=None):
        """Generates images with the sampling generator; the same seed gives the same images.

        Args:
            num_images: int. How many images.
            seed: optional int. `None` draws a fresh seed.
            batch_size: int. Images per forward pass.
            labels: None. An unconditional GAN draws every class; labels are refused with how
                to get images of chosen classes (a `ConditionalGAN` takes them).

        Returns:
            float32 numpy array `(num_images, H, W, C)` in [-1, 1].

        Example:

        ```python
        images = gan.generate(64, seed=0)
        ```
        """
        if labels is not None:  # was Python's "unexpected keyword argument 'labels'"
            raise ValueError(
                f"This {type(self).__name__} is not conditional: it draws every class, not the "
                "ones asked for; drop labels. For images of chosen classes use a ConditionalGAN: "
                "recipes.build_gan('cgan', num_classes=...), or a conditional preset such as "
                "cgan_mnist.")
        num_images = check_num_images(self, num_images, "call the model on it: gan.predict(z) "
                                                        "(images in [-1, 1])")
        z = self.sample_noise(num_images, seed)  # which checks the seed
        check_positive_int("batch_size", batch_size)
        batches = [self(z[start : start + batch_size], training=False)
                   for start in range(0, num_images, batch_size)]
        return np.concatenate([np.asarray(tf.cast(b, tf.float32)) for b in batches])

    def _check_images(self, real):
        refuse_integer_images(real, type(self).__name__)
        return ensure_image_batch(
            real, self.image_shape, type(self).__name__, "Load the data with matching "
            "image_size/channels, or build the networks for the image shape of the data.")

    def _noise(self, batch, counter, stream):
        seed = randomness.step_seed(self.seed, counter, stream)
        return randomness.replica_slice_draw(
            lambda n, s: tf.random.stateless_normal((n, self.latent_dim), seed=s), batch, seed)

    # Conditioning hooks: an unconditional GAN has no conditions; ConditionalGAN
    # overrides these four and reuses the training steps below unchanged.
    def _unpack(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return real, None

    def _fake_conditions(self, batch, counter, stream):
        return None

    def _generate_images(self, z, conditions, training, generator=None):
        return (generator or self.generator)(z, training=training)

    def _discriminate(self, images, conditions, training):
        """Returns `(adversarial logits, per-example extra discriminator loss or 0)`."""
        return self.discriminator(images, training=training), 0.0

    def _generator_extra_loss(self, fake_logits_extra, conditions):
        return 0.0

    def _augmented(self, images, counter, stream):
        if self.augment is None:
            return images
        seed = randomness.replica_seed(randomness.step_seed(self.seed, counter, stream))
        return self.augment(images, seed)

    def _discriminator_step(self, real, real_conditions):
        batch = tf.shape(real)[0]
        counter = self.d_optimizer.iterations
        conditions = self._fake_conditions(batch, counter, randomness.STREAM_D_LABELS)
        fake = self._generate_images(self._noise(batch, counter, randomness.STREAM_D_NOISE),
                                     conditions, training=True)
        # The discriminator only ever sees augmented images (both kinds alike).
        real = self._augmented(real, counter, randomness.STREAM_D_AUG_REAL)
        fake = self._augmented(fake, counter, randomness.STREAM_D_AUG_FAKE)
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_logits, real_extra = self._discriminate(real, real_conditions, True)
            fake_logits, _ = self._discriminate(fake, conditions, True)
            per_example = self._d_loss_fn(real_logits, fake_logits) + real_extra
            if self.gp_weight:
                alpha = randomness.replica_slice_draw(
                    lambda n, s: tf.random.stateless_uniform((n, 1, 1, 1), seed=s), batch,
                    randomness.step_seed(self.seed, counter, randomness.STREAM_D_ALPHA))
                # The interpolates keep the real images' conditions.
                per_example += self.gp_weight * penalties.gradient_penalty(
                    lambda x, training: self._discriminate(x, real_conditions, training)[0],
                    real, fake, alpha)
            if self.r1_gamma:
                per_example += 0.5 * self.r1_gamma * penalties.r1_penalty(
                    lambda x, training: self._discriminate(x, real_conditions, training)[0], real)
            # Divide by the global batch: replicas' gradients are summed.
            loss = tf.nn.compute_average_loss(per_example)
            scaled = self.d_optimizer.scale_loss(loss)
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        if hasattr(self.augment, "update"):
            self.augment.update(real_logits)
        return tf.reduce_mean(per_example), real_logits, fake_logits

    def _generator_step(self, batch):
        counter = self.g_optimizer.iterations
        conditions = self._fake_conditions(batch, counter, randomness.STREAM_G_LABELS)
        z = self._noise(batch, counter, randomness.STREAM_G_NOISE)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self._generate_images(z, conditions, training=True)
            fake = self._augmented(fake, counter, randomness.STREAM_G_AUG)
            fake_logits, fake_extra = self._discriminate(fake, conditions, True)
            per_example = self._g_loss_fn(fake_logits) + self._generator_extra_loss(
                fake_extra, conditions)
            loss = tf.nn.compute_average_loss(per_example)
            scaled = self.g_optimizer.scale_loss(loss)
        self.g_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        if self.ema_generator is not None:
            update_moving_average(self.ema_generator, self.generator, self._current_ema_decay())
        return tf.reduce_mean(per_example)

    def _current_ema_decay(self):
        if not self.ema_warmup:
            return self.ema_decay
        # After apply_gradients, so the first update sees t = 1: decay 2/11.
        return warmed_up_decay(self.ema_decay, self.g_optimizer.iterations)

    def train_step(self, data):
        real, conditions = self._unpack(data)
        real = self._check_images(real)
        with after_batch(data):
            for _ in range(self.d_steps):
                d_loss, real_logits, fake_logits = self._discriminator_step(real, conditions)
            g_loss = self._generator_step(tf.shape(real)[0])
        return self._update_metrics(g_loss, d_loss, real_logits, fake_logits)

    def test_step(self, data):
        real, real_conditions = self._unpack(data)
        real = self._check_images(real)
        batch, counter = tf.shape(real)[0], self.g_optimizer.iterations
        conditions = self._fake_conditions(batch, counter, randomness.STREAM_G_LABELS)
        fake = self._generate_images(self._noise(batch, counter, randomness.STREAM_G_NOISE),
                                     conditions, False, self.sampling_generator)
        real_logits, _ = self._discriminate(real, real_conditions, False)
        fake_logits, _ = self._discriminate(fake, conditions, False)
        d_loss = tf.reduce_mean(self._d_loss_fn(real_logits, fake_logits))
        g_loss = tf.reduce_mean(self._g_loss_fn(fake_logits))
        return self._update_metrics(g_loss, d_loss, real_logits, fake_logits)

    def _update_metrics(self, g_loss, d_loss, real_logits, fake_logits):
        values = {"loss": g_loss + d_loss, "g_loss": g_loss, "d_loss": d_loss,
                  "d_real": tf.reduce_mean(tf.cast(real_logits, tf.float32)),
                  "d_fake": tf.reduce_mean(tf.cast(fake_logits, tf.float32))}
        if "ada_p" in self._trackers:
            values["ada_p"] = tf.cast(self.augment.p.value, tf.float32)
        for name, value in values.items():
            self._trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    def get_config(self):
        config = super().get_config()
        config.update({
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "ema_decay": self.ema_decay,
            "ema_warmup": self.ema_warmup,
            "seed": self.seed,
            "augment": keras.saving.serialize_keras_object(self.augment),
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator", "augment"):
            config[key] = deserialize_network(config.get(key))
        return cls(**config)

    def get_compile_config(self):
        if not self.compiled:
            return None
        return {
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "loss": self.loss_name, "d_steps": self.d_steps, "gp_weight": self.gp_weight,
            "r1_gamma": self.r1_gamma, "jit_compile": self.jit_compile,
            "steps_per_execution": self.steps_per_execution,
        }

    def compile_from_config(self, config):
        config = dict(config)
        for key in ("g_optimizer", "d_optimizer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        self.compile(**config)
