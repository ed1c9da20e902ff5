"""Model families: `keras.Model` subclasses that own `train_step`, `compile` and `generate`.

Example:

```python
gan = keras_gen.models.GAN(generator, discriminator, ema_decay=0.999)
```
"""

from keras_gen.models.batch_norm_sync import synchronize_batch_norm
from keras_gen.models.conditional_gan import ConditionalGAN
from keras_gen.models.gan import GAN
from keras_gen.models.reparameterization import Reparameterization
from keras_gen.models.vae import VAE
from keras_gen.models.vae_gan import VAEGAN

__all__ = ["ConditionalGAN", "GAN", "Reparameterization", "VAE", "VAEGAN",
           "synchronize_batch_norm"]
