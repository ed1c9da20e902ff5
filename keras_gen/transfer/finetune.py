"""`prepare_finetune`: a pretrained model made ready to fine-tune (optimizers, FreezeD, ADA)."""

import math

import keras

from keras_gen.models import GAN, VAE, VAEGAN
from keras_gen.models.optimizers import default_adam
from keras_gen.transfer.augment import AdaptiveAugment, DiffAugment
from keras_gen.transfer.freezing import check_discriminator_blocks, freeze_discriminator_blocks
from keras_gen.utils.arguments import check_bool, is_number


def prepare_finetune(model, freeze_d=0, ada=False, ada_speed_images=100_000, learning_rate=None,
                     ema_warmup=True, diffaugment=False):
    """Configures a pretrained model for fine-tuning on a small dataset and recompiles it.

    Every family gets fresh optimizers with its recipe's settings (the preset ships no optimizer
    state, and the trainable variables may have changed). FreezeD needs a discriminator (GANs,
    conditional GANs, VAE-GANs) and ADA or DiffAugment a GAN's augmentation (GANs, conditional
    GANs); a VAE is refused either, with what to do instead. Layers frozen before (by `freeze`,
    or saved frozen) stay frozen; `frozen_layers(model)` lists them. So does a saved
    augmentation, unless `ada` or `diffaugment` replaces it (`model.set_augment(None)` first
    removes it).

    Args:
        model: a keras_gen `GAN`, `ConditionalGAN`, `VAE` or `VAEGAN` (e.g. from `from_preset`).
        freeze_d: int. FreezeD: how many of the discriminator's lowest blocks to freeze (0 = none).
        ada: bool. Add adaptive discriminator augmentation (target r_t = 0.6).
        ada_speed_images: int. Images for ADA's p to move by 1 (the paper's 500k suits long
            runs; fine-tuning runs are short).
        learning_rate: optional float > 0. Overrides every optimizer's learning rate.
        ema_warmup: bool. GANs: restart the generator EMA's decay ramp (see `GAN`), so the
            sampling generator follows the adaptation from the first steps instead of
            averaging over ~1 / (1 - ema_decay) steps that begin at the pretrained weights.
        diffaugment: bool. Add DiffAugment instead (the paper's color, translation and cutout
            on every image): the simpler option, with nothing to adapt.

    Returns:
        The same model, compiled and ready for `fit`.

    Example:

    ```python
    gan = prepare_finetune(GAN.from_preset("dcgan_mnist"), freeze_d=1, ada=True)
    gan.fit(small_dataset, epochs=20)
    vae = prepare_finetune(VAE.from_preset("vae_mnist"), learning_rate=5e-4)
    ```
    """
    # Checked before anything changes: 0 trained nothing for a whole run, and a negative rate
    # climbed the losses (to ~5e9 in one epoch of `keras-gen finetune --learning-rate -1`).
    if learning_rate is not None and (not is_number(learning_rate)
                                      or not 0 < learning_rate < math.inf):
        raise ValueError("learning_rate must be a number > 0 (e.g. 2e-4), or None to keep the "
                         f"model's own. Received: learning_rate={learning_rate!r}")
    check_bool("ada", ada, ValueError)
    check_bool("diffaugment", diffaugment, ValueError)
    check_bool("ema_warmup", ema_warmup, ValueError)  # set as an attribute, past GAN's check
    check_finetune_options(model, freeze_d, ada, diffaugment)
    config = model.get_compile_config() or {}  # before set_augment marks it uncompiled
    if freeze_d:
        freeze_discriminator_blocks(model, freeze_d)
    if ada:
        model.set_augment(AdaptiveAugment(speed_images=ada_speed_images))
    elif diffaugment:
        model.set_augment(DiffAugment())
    # How the steps run is kept too: a model compiled with XLA fine-tuned without it.
    execution = {key: config[key] for key in ("jit_compile", "steps_per_execution")
                 if key in config}
    if isinstance(model, GAN):
        model.ema_warmup = ema_warmup
        optimizers = _fresh_optimizers(config, ("g_optimizer", "d_optimizer"), default_adam,
                                       learning_rate)
        model.compile(**optimizers, loss=config.get("loss", "non_saturating"),
                      d_steps=config.get("d_steps", 1), gp_weight=config.get("gp_weight"),
                      r1_gamma=config.get("r1_gamma", 0.0), **execution)
    else:
        # The KL warm-up, counted in the fresh optimizer's steps, runs again. Turning it off made
        # no consistent difference (vae_mnist on 1,000 Fashion-MNIST images: FID 16.06 and 10.87
        # after 10 and 50 epochs without it, 15.47 and 11.02 with it).
        if isinstance(model, VAEGAN):
            names, default = ("e_optimizer", "g_optimizer", "d_optimizer"), default_adam
        else:  # VAE.compile's own default, Keras' Adam
            names, default = ("optimizer",), keras.optimizers.Adam
        model.compile(**_fresh_optimizers(config, names, default, learning_rate), **execution)
    return model


def check_finetune_options(model, freeze_d=0, ada=False, diffaugment=False):
    """Raises `ValueError` for FreezeD on a model without a discriminator or with fewer
    blocks than `freeze_d`, for ADA or DiffAugment off a GAN, or for both of them.

    `prepare_finetune` calls it first; `keras-gen finetune` too, before the data loads.

    Args:
        model: the model to fine-tune.
        freeze_d: int. Discriminator blocks to freeze (0 = none).
        ada: bool. Whether ADA was asked for.
        diffaugment: bool. Whether DiffAugment was asked for.

    Example:

    ```python
    check_finetune_options(VAE.from_preset("vae_mnist"), freeze_d=1)  # ValueError: no discriminator
    ```
    """
    family = type(model).__name__
    if not isinstance(model, (GAN, VAE)):
        raise ValueError("prepare_finetune takes a keras_gen GAN, ConditionalGAN, VAE or VAEGAN; "
                         f"received a {family}.")
    if freeze_d and not hasattr(model, "discriminator"):
        raise ValueError(
            f"FreezeD (freeze_d, --freeze-d) freezes a discriminator's blocks, and a {family} "
            "has none. Drop it; in Python, transfer.freeze(model.encoder, up_to='block_0') "
            "before prepare_finetune keeps the encoder's lowest block instead.")
    if ada and diffaugment:
        raise ValueError("ada and diffaugment are two augmentations of the discriminator's "
                         "images; pass one of them.")
    asked_for = (("ADA", "ada", ada), ("DiffAugment", "diffaugment", diffaugment))
    for name, argument, asked in asked_for:
        if asked and not isinstance(model, GAN):
            raise ValueError(
                f"{name} ({argument}, --{argument}) augments what a GAN's discriminator sees; a "
                f"{family} does not train with it. Drop it.")
    if freeze_d:
        check_discriminator_blocks(model, freeze_d)


def _fresh_optimizers(config, names, default, learning_rate):
    """New optimizers with the compile config's settings (`default()` where it has none)."""
    optimizers = {name: keras.optimizers.deserialize(config[name]) if config.get(name)
                  else default() for name in names}
    if learning_rate is not None:
        for optimizer in optimizers.values():
            optimizer.learning_rate = learning_rate
    return optimizers
