"""Adversarial losses (pure functions of logits) and gradient penalties.

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

__all__ = [
    "LOSS_PAIRS",
    "get_loss_pair",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "non_saturating_discriminator_loss",
    "non_saturating_generator_loss",
    "r1_penalty",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]
