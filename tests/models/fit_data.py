"""Helpers of the `fit` checks' tests: tiny models of every family, batches and the data a
user passes in its several forms (generators, `PyDataset`s), one batch of it 0-255."""

import keras
import tensorflow as tf

from tests.helpers import tiny_cgan, tiny_gan, tiny_images
from tests.models.test_vae import tiny_vae, tiny_vaegan


def steps_taken(model):
    """Each optimizer's step count: a GAN's two, a VAEGAN's three, a VAE's one."""
    names = ("e_optimizer", "g_optimizer", "d_optimizer", "optimizer")
    return [int(getattr(model, name).iterations) for name in names
            if getattr(model, name, None) is not None]


def batches(*arrays):
    return tf.data.Dataset.from_tensor_slices(arrays if len(arrays) > 1 else arrays[0]).batch(4)


def models_of_every_family(num_classes=None):
    """A GAN and a VAE (conditional ones with `num_classes`), and a VAEGAN, without XLA."""
    if num_classes is not None:
        return tiny_cgan(jit_compile=False), tiny_vae(num_classes=num_classes)
    return tiny_gan(jit_compile=False), tiny_vae(), tiny_vaegan()


def images_with(value_at, index):
    images = tiny_images(4)
    if index == value_at:
        images[0, 0, 0, 0] = 255.0
    return images


def batch_generator(bad_at, count=4):
    for index in range(count):
        yield (images_with(bad_at, index),)


class Batches(keras.utils.PyDataset):
    """Four batches of tiny images, one of them 0-255 (`bad_at`); counts its epochs."""

    def __init__(self, bad_at, **kwargs):
        super().__init__(**kwargs)
        self.bad_at, self.epochs_ended = bad_at, 0

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return images_with(self.bad_at, index)

    def on_epoch_end(self):
        self.epochs_ended += 1
