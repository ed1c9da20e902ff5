"""Model families: `keras.Model` subclasses that own `train_step`, `compile` and `generate`.

Example:

```python
gan = keras_gen.models.GAN(generator, discriminator, ema_decay=0.999)
```
"""

from keras_gen.models.conditional_gan import ConditionalGAN
from keras_gen.models.gan import GAN

__all__ = ["ConditionalGAN", "GAN"]
