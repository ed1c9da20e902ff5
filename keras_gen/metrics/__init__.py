"""Sample-quality metrics computed from feature activations (pure numpy).

Example:

```python
from keras_gen import metrics

fid = metrics.frechet_inception_distance(real_features, fake_features)
precision, recall = metrics.precision_recall(real_features, fake_features)
scores = metrics.evaluate(generated_images, reference=real_images, domain="mnist")
```
"""

from keras_gen.metrics.distances import (frechet_distance, frechet_inception_distance,
                                         kernel_inception_distance)
from keras_gen.metrics.evaluate import ReferenceStatistics, evaluate, evaluate_model
from keras_gen.metrics.features import (DomainFeatures, InceptionFeatures, classifier_index,
                                        get_extractor)
from keras_gen.metrics.scores import (conditional_accuracy, density_coverage, inception_score,
                                      kth_neighbour_radii, manifold_scores, mode_coverage,
                                      precision_recall)

__all__ = ["DomainFeatures", "InceptionFeatures", "ReferenceStatistics", "classifier_index",
           "conditional_accuracy", "density_coverage", "evaluate", "evaluate_model",
           "frechet_distance", "frechet_inception_distance", "get_extractor", "inception_score",
           "kernel_inception_distance", "kth_neighbour_radii", "manifold_scores", "mode_coverage",
           "precision_recall"]
