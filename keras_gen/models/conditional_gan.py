"""`ConditionalGAN`: class-conditional GANs (projection or ACGAN discriminator), trained by fit."""

import keras
import numpy as np
import tensorflow as tf

from keras_gen.models import randomness
from keras_gen.models.call_inputs import check_num_images
from keras_gen.models.checked_fit import step_labels
from keras_gen.models.gan import GAN
from keras_gen.models.input_structure import describe
from keras_gen.models.labels import NamedClassesMixin, check_labels
from keras_gen.models.network_check import check_label_classes, check_network
from keras_gen.networks.conditional import check_num_classes
from keras_gen.utils.arguments import check_positive_int


@keras.saving.register_keras_serializable(package="keras_gen")
class ConditionalGAN(NamedClassesMixin, GAN):
    """A class-conditional GAN: ask for "a 7" and get a 7.

    The generator takes `[z, labels]`. The discriminator is either a
    projection discriminator taking `[images, labels]` (Miyato & Koyama 2018)
    or an auxiliary-classifier discriminator taking images and returning
    `[logits, class_logits]` (ACGAN, Odena et al. 2017); the kind is read from
    the discriminator's inputs. `fit` takes `(images, labels)`, the labels
    class ids shaped `(N,)` or `(N, 1)`. Losses, penalties, EMA, metrics, mixed
    precision and `tf.distribute` behave as in `GAN`. Fake images are drawn
    for uniformly random classes. With ACGAN, the discriminator's class head
    learns from real images only and the generator is rewarded for fakes the
    head classifies as their requested class, both weighted by `ac_weight`.

    Args:
        generator: `keras.Model`. `[z, labels] -> images` in [-1, 1].
        discriminator: `keras.Model`. `[images, labels] -> logits`, or
            `images -> [logits, class_logits]`.
        num_classes: int. Number of classes.
        ac_weight: float. Weight of the ACGAN classification losses.
        ema_decay: optional float. Generator EMA, as in `GAN`.
        ema_warmup: bool. Ramp the EMA decay up, as in `GAN`.
        augment: optional augmentation layer, as in `GAN`.
        seed: int. Seed of the training noise and labels.
        class_names: optional list of str, one per class in label order (an image folder's
            subfolders); saved with the model, and `generate(labels="dogs")` takes them.
        **kwargs: passed to `keras.Model`.

    Example:

    ```python
    cgan = ConditionalGAN(
        networks.conditional_dcgan_generator((28, 28, 1), 64, num_classes=10),
        networks.projection_discriminator((28, 28, 1), num_classes=10), num_classes=10)
    cgan.compile()
    cgan.fit(keras_gen.data.load("digits"), epochs=5)
    sevens = cgan.generate(8, labels=7, seed=0)
    ```
    """

    def __init__(self, generator, discriminator, num_classes, ac_weight=1.0, ema_decay=None,
                 seed=0, augment=None, ema_warmup=False, class_names=None, **kwargs):
        num_classes = check_num_classes(num_classes)
        if len(check_network("generator", generator).inputs) != 2:
            raise ValueError(
                "A ConditionalGAN generator takes [z, labels]. Build it with "
                "networks.conditional_dcgan_generator. Received inputs: "
                f"{getattr(generator, 'inputs', generator)}"
            )
        super().__init__(generator, discriminator, ema_decay=ema_decay, seed=seed, augment=augment,
                         ema_warmup=ema_warmup, **kwargs)
        self.num_classes = num_classes
        self.class_names = class_names
        self.ac_weight = float(ac_weight)
        # One input (images) means an ACGAN head; two ([images, labels]) a projection head.
        self.auxiliary = len(discriminator.inputs) == 1
        check_label_classes("generator", generator, num_classes)
        check_label_classes("discriminator", discriminator, num_classes)
        head = discriminator.outputs[-1].shape[-1] if len(discriminator.outputs) == 2 else None
        if self.auxiliary and head != num_classes:
            returns = (f"{len(discriminator.outputs)} output(s)" if head is None
                       else f"{head} class logits")
            raise ValueError(
                f"An ACGAN discriminator (one input) returns [logits, class logits] with one "
                f"class logit per class; {discriminator.name!r} returns {returns} for "
                f"num_classes={num_classes}. Build it with networks."
                f"auxiliary_classifier_discriminator(..., num_classes={num_classes}), or a "
                "projection discriminator that takes [images, labels].")

    def call(self, inputs, training=False):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                "ConditionalGAN is called on [z, labels]: noise (batch, latent_dim) and int "
                f"labels (batch,); received {describe(inputs)}. To draw images of chosen "
                "classes, cgan.generate(n, labels=...) makes the noise itself."
            )
        self._check_call_input(inputs, "ConditionalGAN")
        generator = self.generator if training else self.sampling_generator
        return generator(list(inputs), training=training)

    def generate(self, num_images, *, labels=None, seed=None, batch_size=256):
        """Generates images of the requested classes; one seed and labels give the same images.

        `labels` and `seed` are passed by name: `GAN.generate(n, seed)` and `VAE.generate(n,
        seed)` take the seed second, and here a second positional value was taken for the
        labels (`generate(64, 0)`: 64 zeros from a fresh seed).

        Args:
            num_images: int. How many images.
            labels: optional int or int array `(num_images,)` in `[0, num_classes)`, or
                class names (str) of a model with `class_names`; `None` cycles through the
                classes (0, 1, ..., K-1, 0, ...).
            seed: optional int. `None` draws a fresh seed.
            batch_size: int. Images per forward pass.

        Returns:
            float32 numpy array `(num_images, H, W, C)` in [-1, 1].

        Example:

        ```python
        one_row_per_class = cgan.generate(100, labels=np.repeat(np.arange(10), 10), seed=0)
        ```
        """
        num_images = check_num_images(self, num_images,
                                      "call the model on it: cgan.predict([z, labels])")
        z = self.sample_noise(num_images, seed)
        check_positive_int("batch_size", batch_size)
        labels = check_labels(labels, self.num_classes, num_images, class_names=self.class_names)
        batches = [self([z[i : i + batch_size], labels[i : i + batch_size]], training=False)
                   for i in range(0, num_images, batch_size)]
        return np.concatenate([np.asarray(tf.cast(b, tf.float32)) for b in batches])

    def _unpack(self, data):
        real, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if labels is None:
            raise ValueError(
                "ConditionalGAN trains on (images, labels) batches, but the dataset yields "
                "images only. keras_gen.data.load(...) yields both."
            )
        return real, step_labels(self, labels)

    def _fake_conditions(self, batch, counter, stream):
        seed = randomness.step_seed(self.seed, counter, stream)
        return randomness.replica_slice_draw(
            lambda n, s: tf.random.stateless_uniform((n,), seed=s, minval=0,
                                                     maxval=self.num_classes, dtype=tf.int32),
            batch, seed)

    def _generate_images(self, z, conditions, training, generator=None):
        return (generator or self.generator)([z, conditions], training=training)

    def _discriminate(self, images, conditions, training):
        if not self.auxiliary:
            return self.discriminator([images, conditions], training=training), 0.0
        logits, class_logits = self.discriminator(images, training=training)
        return logits, self.ac_weight * self._class_loss(conditions, class_logits)

    def _generator_extra_loss(self, fake_extra, conditions):
        return fake_extra  # ACGAN: the class loss of the fakes; 0 for projection

    @staticmethod
    def _class_loss(labels, class_logits):
        return tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=tf.cast(class_logits, tf.float32))

    def get_config(self):
        config = super().get_config()
        config.update({"num_classes": self.num_classes, "ac_weight": self.ac_weight,
                       "class_names": None if self.class_names is None else list(self.class_names)})
        return config
