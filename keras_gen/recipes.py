"""Named training recipes: networks, loss and optimizers that are known to work together.

`keras-gen train NAME` and `build_gan(NAME, ...)` use these, so the CLI, the
notebooks and the benchmarks train the same thing.
"""

import keras

from keras_gen import networks
from keras_gen.models import GAN, VAE, VAEGAN, ConditionalGAN
from keras_gen.utils.arguments import check_seed

RECIPES = {
    # DCGAN (Radford et al. 2016): batch norm in both networks, Adam(2e-4, 0.5),
    # plus generator EMA. On digits a spectrally normalised discriminator
    # learned too slowly at this learning rate (blurry noise after 40 epochs
    # where batch norm gave digits after 20), so batch norm is the default.
    "dcgan": {
        "loss": "non_saturating", "g_normalization": "batch", "d_normalization": "batch",
        "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999, "d_steps": 1, "ema_decay": 0.99,
        "ema_warmup": False,
    },
    # Class-conditional: the dcgan recipe with a projection discriminator
    # (Miyato & Koyama 2018) or an auxiliary classifier head (Odena et al. 2017).
    "cgan": {
        "loss": "non_saturating", "g_normalization": "batch", "d_normalization": "batch",
        "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999, "d_steps": 1, "ema_decay": 0.99,
        "ema_warmup": False,
        "head": "projection",
    },
    "acgan": {
        "loss": "non_saturating", "g_normalization": "batch", "d_normalization": "batch",
        "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999, "d_steps": 1, "ema_decay": 0.99,
        "ema_warmup": False,
        "head": "auxiliary",
    },
    # SN-GAN (Miyato et al. 2018): spectral norm in the discriminator, hinge loss.
    "sngan": {
        "loss": "hinge", "g_normalization": "batch", "d_normalization": "spectral",
        "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999, "d_steps": 1, "ema_decay": 0.99,
        "ema_warmup": False,
    },
    # WGAN-GP (Gulrajani et al. 2017): no normalisation in the critic (the
    # penalty is per example), 5 critic steps, Adam(1e-4, 0.0, 0.9).
    "wgan_gp": {
        "loss": "wasserstein", "g_normalization": "batch", "d_normalization": None,
        "learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9, "d_steps": 5, "ema_decay": 0.999,
        "ema_warmup": False,
    },
}


def _settings(table, recipe, overrides):
    if recipe not in table:
        raise ValueError(f"recipe must be one of {sorted(table)}. Received: recipe={recipe!r}")
    settings = dict(table[recipe])
    unknown = set(overrides) - set(settings)
    if unknown:
        raise ValueError(f"Unknown recipe fields {sorted(unknown)}; known: {sorted(settings)}")
    settings.update(overrides)
    return settings


def build_gan(recipe="dcgan", image_shape=(28, 28, 1), latent_dim=64, width=32, loss=None,
              seed=0, jit_compile="auto", num_classes=None, class_names=None, **overrides):
    """Builds and compiles a `GAN` from a named recipe.

    Args:
        recipe: str. A key of `RECIPES` (`"dcgan"`, `"wgan_gp"`).
        image_shape: tuple. `(size, size, channels)` of the data.
        latent_dim: int. Noise size.
        width: int. Base channel width of both networks.
        loss: optional str. Overrides the recipe's loss (e.g. `"hinge"`).
        seed: int. Seed for weights initialisation and training noise.
        num_classes: optional int. Classes of the conditional recipes (`"cgan"`,
            `"acgan"`); 10 when not given. The other recipes are unconditional and
            refuse it.
        class_names: optional list of str. Their names, in label order.
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
    settings = _settings(RECIPES, recipe, overrides)
    num_classes = _classes_for(recipe, settings.get("head") is not None, num_classes,
                               class_names, [name for name in RECIPES if "head" in RECIPES[name]])
    if loss is not None:
        settings["loss"] = loss
    seed = check_seed(seed)
    keras.utils.set_random_seed(seed)
    gan = _build_networks(settings, image_shape, latent_dim, width, seed, num_classes,
                          class_names)

    def adam():
        return keras.optimizers.Adam(settings["learning_rate"], beta_1=settings["beta_1"],
                                     beta_2=settings["beta_2"])

    gan.compile(g_optimizer=adam(), d_optimizer=adam(), loss=settings["loss"],
                d_steps=settings["d_steps"], jit_compile=jit_compile)
    return gan


def _classes_for(recipe, conditional, num_classes, class_names, conditional_recipes):
    """`num_classes` for a recipe: 10 by default if conditional, refused if not."""
    if conditional:
        return 10 if num_classes is None else num_classes
    # Else a user asking for 10 classes would train an unconditional model unawares.
    if num_classes is not None or class_names is not None:
        given = "num_classes" if num_classes is not None else "class_names"
        raise ValueError(f"Recipe {recipe!r} is unconditional and takes no {given}. For a "
                         f"class-conditional model use one of {conditional_recipes}, or "
                         f"leave {given} out.")
    return None


def _build_networks(settings, image_shape, latent_dim, width, seed, num_classes, class_names):
    g_norm, d_norm = settings["g_normalization"], settings["d_normalization"]
    head = settings.get("head")
    if head is None:
        return GAN(networks.dcgan_generator(image_shape, latent_dim, width, g_norm),
                   networks.dcgan_discriminator(image_shape, width, d_norm),
                   ema_decay=settings["ema_decay"], ema_warmup=settings["ema_warmup"], seed=seed)
    generator = networks.conditional_dcgan_generator(image_shape, latent_dim, num_classes, width,
                                                     g_norm)
    if head == "projection":
        discriminator = networks.projection_discriminator(image_shape, num_classes, width, d_norm)
    else:
        discriminator = networks.auxiliary_classifier_discriminator(image_shape, num_classes,
                                                                    width, d_norm)
    return ConditionalGAN(generator, discriminator, num_classes=num_classes,
                          ema_decay=settings["ema_decay"], ema_warmup=settings["ema_warmup"],
                          seed=seed, class_names=class_names)


VAE_RECIPES = {
    # Kingma & Welling 2014 with a Bernoulli likelihood and a short KL warm-up
    # (Bowman et al. 2016) so the decoder learns before the KL term bites.
    "vae": {"beta": 1.0, "likelihood": "bernoulli", "kl_warmup_steps": 500,
            "learning_rate": 1e-3, "conditional": False},
    "cvae": {"beta": 1.0, "likelihood": "bernoulli", "kl_warmup_steps": 500,
             "learning_rate": 1e-3, "conditional": True},
    # Larsen et al. 2016; three Adam(2e-4, 0.5) optimizers (the DCGAN setting).
    "vaegan": {"beta": 1.0, "likelihood": "bernoulli", "gamma": 0.01, "learning_rate": 2e-4,
               "conditional": False},
}


def build_vae(recipe="vae", image_shape=(28, 28, 1), latent_dim=16, width=32, seed=0,
              num_classes=None, jit_compile="auto", class_names=None, **overrides):
    """Builds and compiles a model of the VAE family from a named recipe.

    Args:
        recipe: str. A key of `VAE_RECIPES` (`"vae"`, `"cvae"`, `"vaegan"`).
        image_shape: tuple. `(size, size, channels)` of the data.
        latent_dim: int. Latent size.
        width: int. Base channel width of the networks.
        seed: int. Seed for weights and the reparameterisation noise.
        num_classes: optional int. Classes of the conditional recipe (`"cvae"`); 10
            when not given. The other recipes are unconditional and refuse it.
        jit_compile: bool or `"auto"`.
        class_names: optional list of str. The conditional recipe's class names.
        **overrides: recipe fields (`beta`, `kl_warmup_steps`, `learning_rate`, ...).

    Returns:
        A compiled `keras_gen.models.VAE` or `VAEGAN`.

    Example:

    ```python
    vae = build_vae("vae", latent_dim=2, beta=4.0)  # a beta-VAE with a 2-D latent space
    ```
    """
    settings = _settings(VAE_RECIPES, recipe, overrides)
    classes = _classes_for(recipe, settings["conditional"], num_classes, class_names,
                           [name for name in VAE_RECIPES if VAE_RECIPES[name]["conditional"]])
    seed = check_seed(seed)
    keras.utils.set_random_seed(seed)
    encoder = networks.vae_encoder(image_shape, latent_dim, width, classes)
    decoder = networks.vae_decoder(image_shape, latent_dim, width, classes)
    if recipe == "vaegan":
        model = VAEGAN(encoder, decoder, networks.feature_discriminator(image_shape, width),
                       beta=settings["beta"], gamma=settings["gamma"],
                       likelihood=settings["likelihood"], seed=seed)

        def adam():
            return keras.optimizers.Adam(settings["learning_rate"], beta_1=0.5)

        model.compile(e_optimizer=adam(), g_optimizer=adam(), d_optimizer=adam(),
                      jit_compile=jit_compile)
        return model
    model = VAE(encoder, decoder, beta=settings["beta"], likelihood=settings["likelihood"],
                kl_warmup_steps=settings["kl_warmup_steps"], num_classes=classes, seed=seed,
                class_names=class_names)
    model.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"]),
                  jit_compile=jit_compile)
    return model
