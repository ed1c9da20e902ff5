"""Losses as pure functions: adversarial losses of logits, gradient penalties, VAE terms.

Example:

```python
from keras_gen import losses

g_loss = losses.hinge_generator_loss(fake_logits)             # (batch,)
d_loss = losses.hinge_discriminator_loss(real_logits, fake_logits)
```
"""

from keras_gen.losses.adversarial import (
    LOSS_PAIRS,
    get_loss_pair,
    hinge_discriminator_loss,
    hinge_generator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    non_saturating_discriminator_loss,
    non_saturating_generator_loss,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
)
from keras_gen.losses.penalties import gradient_penalty, r1_penalty
from keras_gen.losses.variational import LIKELIHOODS, kl_divergence, reconstruction_loss

__all__ = [
    "LIKELIHOODS",
    "LOSS_PAIRS",
    "get_loss_pair",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "kl_divergence",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "non_saturating_discriminator_loss",
    "non_saturating_generator_loss",
    "r1_penalty",
    "reconstruction_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]
