"""Network builders: plain functional `keras.Model`s with named blocks.

Example:

```python
from keras_gen import networks

generator = networks.dcgan_generator((28, 28, 1), latent_dim=64)
discriminator = networks.dcgan_discriminator((28, 28, 1))
```
"""

from keras_gen.networks.classifier import domain_classifier
from keras_gen.networks.conditional import (auxiliary_classifier_discriminator,
                                            conditional_dcgan_generator, projection_discriminator)
from keras_gen.networks.dcgan import NORMALIZATIONS, dcgan_discriminator, dcgan_generator
from keras_gen.networks.vae import feature_discriminator, vae_decoder, vae_encoder

__all__ = ["NORMALIZATIONS", "auxiliary_classifier_discriminator", "conditional_dcgan_generator",
           "dcgan_discriminator", "dcgan_generator", "domain_classifier",
           "feature_discriminator", "projection_discriminator", "vae_decoder", "vae_encoder"]
