"""A tiny trained GAN and its preset folder, shared by the preset and fine-tuning tests."""

import pytest

from tests.helpers import tiny_dataset, tiny_gan


@pytest.fixture(scope="module")
def trained_tiny_gan():
    """A tiny hinge-loss GAN after one epoch; trained once for the module, so tests only read it."""
    gan = tiny_gan(loss="hinge")
    gan.fit(tiny_dataset(), verbose=0)
    return gan


@pytest.fixture()
def tiny_preset(trained_tiny_gan, tmp_path):
    """`(gan, folder)`: the trained tiny GAN saved as a preset in this test's own folder."""
    folder = str(tmp_path / "tiny_preset")
    trained_tiny_gan.save_to_preset(folder, {"dataset": "random"})
    return trained_tiny_gan, folder
