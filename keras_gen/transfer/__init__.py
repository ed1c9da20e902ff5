"""Transfer learning: freezing named blocks, FreezeD, augmentations for small data, new classes.

Example:

```python
from keras_gen import transfer

transfer.freeze_discriminator_blocks(gan, 1)        # FreezeD
gan = GAN(g, d, augment=transfer.AdaptiveAugment())  # ADA
```
"""

from keras_gen.transfer.augment import OPERATIONS, AdaptiveAugment, DiffAugment
from keras_gen.transfer.classes import class_affinity, reset_classes
from keras_gen.transfer.finetune import check_finetune_options, prepare_finetune
from keras_gen.transfer.freezing import (freeze, freeze_discriminator_blocks, frozen_layers,
                                         trainable_summary, unfreeze)

__all__ = ["OPERATIONS", "AdaptiveAugment", "DiffAugment", "check_finetune_options",
           "class_affinity", "freeze", "freeze_discriminator_blocks", "frozen_layers",
           "prepare_finetune", "reset_classes", "trainable_summary", "unfreeze"]
