"""Sample-quality metrics computed from feature activations (pure numpy).

Example:

```python
from keras_gen import metrics

fid = metrics.frechet_inception_distance(real_features, fake_features)
precision, recall = metrics.precision_recall(real_features, fake_features)
```
"""

from keras_gen.metrics.distances import (frechet_distance, frechet_inception_distance,
                                         kernel_inception_distance)
from keras_gen.metrics.scores import density_coverage, inception_score, precision_recall

__all__ = ["density_coverage", "frechet_distance", "frechet_inception_distance",
           "inception_score", "kernel_inception_distance", "precision_recall"]
