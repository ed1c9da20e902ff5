"""Named recipes: what each builds, and the arguments it refuses."""

import re

import numpy as np
import pytest

from keras_gen import recipes
from keras_gen.models import GAN, VAE, VAEGAN, ConditionalGAN

TINY = dict(image_shape=(28, 28, 1), width=4)


@pytest.mark.parametrize("recipe", ["dcgan", "sngan", "wgan_gp"])
def test_unconditional_gan_recipes_refuse_classes(recipe):
    # Before, num_classes=10 built an unconditional GAN without a word.
    with pytest.raises(ValueError, match=rf"Recipe '{recipe}' is unconditional and takes no "
                                         r"num_classes.*\['cgan', 'acgan'\]"):
        recipes.build_gan(recipe, num_classes=10, **TINY)
    with pytest.raises(ValueError, match="takes no class_names"):
        recipes.build_gan(recipe, class_names=["a", "b"], **TINY)
    gan = recipes.build_gan(recipe, latent_dim=8, **TINY)
    assert type(gan) is GAN


@pytest.mark.parametrize("recipe", ["vae", "vaegan"])
def test_unconditional_vae_recipes_refuse_classes(recipe):
    with pytest.raises(ValueError, match=rf"Recipe '{recipe}' is unconditional.*\['cvae'\]"):
        recipes.build_vae(recipe, num_classes=10, **TINY)
    model = recipes.build_vae(recipe, latent_dim=4, **TINY)
    assert type(model) is {"vae": VAE, "vaegan": VAEGAN}[recipe]
    assert getattr(model, "num_classes", None) is None


def test_conditional_recipes_default_to_ten_classes():
    assert recipes.build_gan("cgan", latent_dim=8, **TINY).num_classes == 10
    assert recipes.build_vae("cvae", latent_dim=4, **TINY).num_classes == 10
    cgan = recipes.build_gan("acgan", latent_dim=8, num_classes=3, class_names=["a", "b", "c"],
                             **TINY)
    assert isinstance(cgan, ConditionalGAN)
    assert (cgan.num_classes, cgan.class_names) == (3, ("a", "b", "c"))
    cvae = recipes.build_vae("cvae", latent_dim=4, num_classes=2, class_names=["x", "y"], **TINY)
    assert (cvae.num_classes, cvae.class_names) == (2, ("x", "y"))


@pytest.mark.parametrize("build", [recipes.build_gan, recipes.build_vae])
def test_seeds_keras_cannot_take_are_refused_by_name_and_numpy_integers_are_taken(build):
    # -1 and 2**32 failed with numpy's "Seed must be between 0 and 2**32 - 1", naming no
    # argument; a numpy integer (as np.random gives one) with Keras' "Expected `seed` ...".
    for seed in (-1, 2**32, 1.5, None, "1"):
        with pytest.raises(ValueError, match=rf"^seed must be an int from 0 to 4294967295 \(the "
                                             rf"seeds keras\.utils\.set_random_seed takes\)\. "
                                             rf"Received: seed={re.escape(repr(seed))}$"):
            build(seed=seed, **TINY)
    numpy_seeded, int_seeded = build(seed=np.int64(3), **TINY), build(seed=3, **TINY)
    for mine, theirs in zip(numpy_seeded.weights, int_seeded.weights):
        np.testing.assert_array_equal(mine, theirs)
    build(seed=2**32 - 1, **TINY)
