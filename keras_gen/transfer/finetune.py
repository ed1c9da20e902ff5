"""`finetune()`: start from a preset, optionally freeze discriminator blocks and add ADA, train."""

import math
import numbers

import keras

from keras_gen.models.optimizers import default_adam
from keras_gen.transfer.augment import AdaptiveAugment
from keras_gen.transfer.freezing import freeze_discriminator_blocks


def prepare_finetune(model, freeze_d=0, ada=False, ada_speed_images=100_000, learning_rate=None,
                     ema_warmup=True):
    """Configures a pretrained GAN for fine-tuning on a small dataset and recompiles it.

    Args:
        model: a keras_gen `GAN` / `ConditionalGAN` (e.g. from `GAN.from_preset`).
        freeze_d: int. FreezeD: how many of the discriminator's lowest blocks to freeze (0 = none).
        ada: bool. Add adaptive discriminator augmentation (target r_t = 0.6).
        ada_speed_images: int. Images for ADA's p to move by 1 (the paper's 500k suits long
            runs; fine-tuning runs are short).
        learning_rate: optional float > 0. Overrides both optimizers' learning rate.
        ema_warmup: bool. Restart the generator EMA's decay ramp (see `GAN`), so the
            sampling generator follows the adaptation from the first steps instead of
            averaging over ~1 / (1 - ema_decay) steps that begin at the pretrained weights.

    Returns:
        The same model, compiled and ready for `fit`.

    Example:

    ```python
    gan = prepare_finetune(GAN.from_preset("dcgan_mnist"), freeze_d=1, ada=True)
    gan.fit(small_dataset, epochs=20)
    ```
    """
    # Checked before anything changes: 0 trained nothing for a whole run, and a negative rate
    # climbed the losses (to ~5e9 in one epoch of `keras-gen finetune --learning-rate -1`).
    if learning_rate is not None and (
            not isinstance(learning_rate, numbers.Real) or isinstance(learning_rate, bool)
            or not 0 < learning_rate < math.inf):
        raise ValueError("learning_rate must be a number > 0 (e.g. 2e-4), or None to keep the "
                         f"model's own. Received: learning_rate={learning_rate!r}")
    if ada not in (True, False):
        raise ValueError(f"ada must be True or False. Received: ada={ada!r}")
    config = model.get_compile_config() or {}  # before set_augment marks it uncompiled
    if freeze_d:
        freeze_discriminator_blocks(model, freeze_d)
    model.ema_warmup = ema_warmup
    if ada:
        model.set_augment(AdaptiveAugment(speed_images=ada_speed_images))
    # A model never compiled gets compile()'s default optimizers, so a learning rate can be set.
    g_optimizer, d_optimizer = (
        keras.optimizers.deserialize(config[name]) if config else default_adam()
        for name in ("g_optimizer", "d_optimizer"))
    if learning_rate is not None:
        for optimizer in (g_optimizer, d_optimizer):
            optimizer.learning_rate = learning_rate
    # Fresh optimizers (same settings): the preset ships no optimizer state, and the
    # trainable variables may have changed.
    model.compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer,
                  loss=config.get("loss", "non_saturating"), d_steps=config.get("d_steps", 1),
                  gp_weight=config.get("gp_weight"), r1_gamma=config.get("r1_gamma", 0.0))
    return model
