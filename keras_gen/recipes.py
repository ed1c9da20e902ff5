"""Named training recipes: networks, loss and optimizers that are known to work together.

`keras-gen train NAME` and `build_gan(NAME, ...)` use these, so the CLI, the
notebooks and the benchmarks train the same thing.
"""

import keras

from keras_gen import networks
from keras_gen.models import GAN, ConditionalGAN

RECIPES = {
    # DCGAN (Radford et al. 2016): batch norm in both networks, Adam(2e-4, 0.5),
    # plus generator EMA. On digits a spectrally normalised discriminator
    # learned too slowly at this learning rate (blurry noise after 40 epochs
    # where batch norm gave digits after 20), so batch norm is the default.
    "dcgan": {
        "loss": "non_saturating", "g_normalization": "batch", "d_normalization": "batch",
        "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999, "d_steps": 1, "ema_decay": 0.99,
    },
    # Class-conditional: the dcgan recipe with a projection discriminator
    # (Miyato & Koyama 2018) or an auxiliary classifier head (Odena et al. 2017).
    "cgan": {
        "loss": "non_saturating", "g_normalization": "batch", "d_normalization": "batch",
        "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999, "d_steps": 1, "ema_decay": 0.99,
        "head": "projection",
    },
    "acgan": {
        "loss": "non_saturating", "g_normalization": "batch", "d_normalization": "batch",
        "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999, "d_steps": 1, "ema_decay": 0.99,
        "head": "auxiliary",
    },
    # SN-GAN (Miyato et al. 2018): spectral norm in the discriminator, hinge loss.
    "sngan": {
        "loss": "hinge", "g_normalization": "batch", "d_normalization": "spectral",
        "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999, "d_steps": 1, "ema_decay": 0.99,
    },
    # WGAN-GP (Gulrajani et al. 2017): no normalisation in the critic (the
    # penalty is per example), 5 critic steps, Adam(1e-4, 0.0, 0.9).
    "wgan_gp": {
        "loss": "wasserstein", "g_normalization": "batch", "d_normalization": None,
        "learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9, "d_steps": 5, "ema_decay": 0.999,
    },
}


def build_gan(recipe="dcgan", image_shape=(28, 28, 1), latent_dim=64, width=32, loss=None,
              seed=0, jit_compile="auto", num_classes=10, **overrides):
    """Builds and compiles a `GAN` from a named recipe.

    Args:
        recipe: str. A key of `RECIPES` (`"dcgan"`, `"wgan_gp"`).
        image_shape: tuple. `(size, size, channels)` of the data.
        latent_dim: int. Noise size.
        width: int. Base channel width of both networks.
        loss: optional str. Overrides the recipe's loss (e.g. `"hinge"`).
        seed: int. Seed for weights initialisation and training noise.
        num_classes: int. Classes of the conditional recipes (`"cgan"`, `"acgan"`).
        jit_compile: bool or `"auto"`. XLA for the train step.
        **overrides: any other recipe field (`learning_rate`, `d_steps`,
            `ema_decay`, `g_normalization`, `d_normalization`, ...).

    Returns:
        A compiled `keras_gen.models.GAN` (`ConditionalGAN` for `"cgan"`/`"acgan"`).

    Example:

    ```python
    gan = build_gan("dcgan", image_shape=(28, 28, 1), loss="hinge")
    ```
    """
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {sorted(RECIPES)}. Received: recipe={recipe!r}")
    settings = dict(RECIPES[recipe])
    unknown = set(overrides) - set(settings)
    if unknown:
        raise ValueError(f"Unknown recipe fields {sorted(unknown)}; known: {sorted(settings)}")
    settings.update(overrides)
    if loss is not None:
        settings["loss"] = loss
    keras.utils.set_random_seed(seed)
    gan = _build_networks(settings, image_shape, latent_dim, width, seed, num_classes)

    def adam():
        return keras.optimizers.Adam(settings["learning_rate"], beta_1=settings["beta_1"],
                                     beta_2=settings["beta_2"])

    gan.compile(g_optimizer=adam(), d_optimizer=adam(), loss=settings["loss"],
                d_steps=settings["d_steps"], jit_compile=jit_compile)
    return gan


def _build_networks(settings, image_shape, latent_dim, width, seed, num_classes):
    g_norm, d_norm = settings["g_normalization"], settings["d_normalization"]
    head = settings.get("head")
    if head is None:
        return GAN(networks.dcgan_generator(image_shape, latent_dim, width, g_norm),
                   networks.dcgan_discriminator(image_shape, width, d_norm),
                   ema_decay=settings["ema_decay"], seed=seed)
    generator = networks.conditional_dcgan_generator(image_shape, latent_dim, num_classes, width,
                                                     g_norm)
    if head == "projection":
        discriminator = networks.projection_discriminator(image_shape, num_classes, width, d_norm)
    else:
        discriminator = networks.auxiliary_classifier_discriminator(image_shape, num_classes,
                                                                    width, d_norm)
    return ConditionalGAN(generator, discriminator, num_classes=num_classes,
                          ema_decay=settings["ema_decay"], seed=seed)
