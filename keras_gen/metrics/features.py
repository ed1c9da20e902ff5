"""Feature extractors for the metrics: shipped domain classifiers and InceptionV3.

Every extractor maps images in [-1, 1] (NHWC, any batch size) to
`(features, logits)` numpy arrays; logits are `None` when the extractor has no
classifier head.
"""

import json
import os

import numpy as np

from keras_gen.errors import DataError
from keras_gen.utils.arguments import check_positive_int
from keras_gen.utils.images import model_range_batch

CLASSIFIERS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "classifiers")
INCEPTION_WEIGHTS_HINT = (
    "Keras downloads InceptionV3's ImageNet weights (~84 MB, once, into ~/.keras/models); "
    "offline, download 'inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5' (Keras "
    "applications) on a machine with network access and pass its path: "
    "InceptionFeatures(weights='/path/to/file.h5'), or --inception-weights on the command line. "
    "For MNIST-like data, domain='mnist', 'fashion_mnist' or 'digits' needs no download."
)
# What the shipped domain classifiers take; other sizes of grey images are resized to it.
DOMAIN_IMAGE_SHAPE = (28, 28, 1)
COLOUR_HINT = ("Score colour images with domain='inception' (--domain inception on the command "
               "line).")


def unscorable_shape(domain, image_shape):
    """What `domain`'s extractor takes, if it cannot score images of `image_shape`; else None.

    Only the channels matter: the classifiers resize grey images of any size, and InceptionV3
    resizes any image. So a model can be checked before any image is made or read.

    Args:
        domain: str. `"mnist"`, `"fashion_mnist"`, `"digits"` or `"inception"`.
        image_shape: tuple `(height, width, channels)`.

    Example:

    ```python
    unscorable_shape("mnist", (32, 32, 3))  # "The mnist classifier takes images of shape ..."
    ```
    """
    channels = image_shape[-1]
    if domain == "inception":
        return (None if channels in (1, 3)
                else "InceptionV3 takes grey or RGB images (1 or 3 channels)")
    if channels == DOMAIN_IMAGE_SHAPE[-1]:
        return None
    return (f"The {domain} classifier takes images of shape {DOMAIN_IMAGE_SHAPE} in [-1, 1] "
            "(greyscale ones of other sizes are resized)")


def classifier_index():
    """Returns the metadata of the shipped domain classifiers (sha256, test accuracy, recipe).

    Example:

    ```python
    classifier_index()["mnist"]["test_accuracy"]  # e.g. 0.99
    ```
    """
    path = os.path.join(CLASSIFIERS_DIR, "classifiers.json")
    if not os.path.exists(path):
        return {}
    with open(path) as handle:
        return json.load(handle)


class DomainFeatures:
    """Features and logits from a shipped domain classifier (MNIST, Fashion-MNIST, digits).

    The weights file is checked against the sha256 recorded when it was
    trained (`python -m keras_gen.metrics.train_classifiers`) before it is
    loaded, so a damaged file is refused instead of giving silently wrong
    metrics. Greyscale images of another size (a model trained at 32x32) are
    resized to the classifier's 28x28 by area averaging, as `InceptionFeatures`
    resizes everything to 299x299; colour images are refused.

    Args:
        domain: str. `"mnist"`, `"fashion_mnist"` or `"digits"`.
        batch_size: int. Images per forward pass.

    Example:

    ```python
    extractor = DomainFeatures("mnist")
    features, logits = extractor(images)  # (N, 128), (N, 10)
    ```
    """

    def __init__(self, domain, batch_size=500):
        import keras

        from keras_gen.utils.files import sha256_of
        from keras_gen.networks import domain_classifier

        index = classifier_index()
        if domain not in index:
            raise DataError(
                f"No shipped classifier for domain {domain!r}; known: {sorted(index)}. Use one "
                "of those, or InceptionFeatures(weights=...) for other images."
            )
        entry = index[domain]
        path = os.path.join(CLASSIFIERS_DIR, entry["file"])
        if not os.path.exists(path) or sha256_of(path) != entry["sha256"]:
            raise DataError(
                f"The {domain} classifier weights at {path!r} are missing or do not match their "
                "recorded sha256; reinstall keras_gen or retrain them with "
                "`python -m keras_gen.metrics.train_classifiers --data PATH`."
            )
        self.domain, self.batch_size = domain, check_positive_int("batch_size", batch_size)
        # What its features depend on, for `feature_cache`: the weights, checked just above.
        self.identity = f"{domain} classifier {entry['sha256']}"
        self.image_shape = DOMAIN_IMAGE_SHAPE
        self.classifier = domain_classifier(self.image_shape, 10)
        self.classifier.load_weights(path)
        self.model = keras.Model(self.classifier.input,
                                 [self.classifier.get_layer("features").output,
                                  self.classifier.output])

    def __call__(self, images):
        import tensorflow as tf

        # One image was described by its last two sizes ("received (28, 1)"), and an empty
        # batch failed in Keras' predict with an UnboundLocalError.
        images = model_range_batch(images, f"The {self.domain} classifier", min_count=1)
        takes = unscorable_shape(self.domain, images.shape[1:])
        if takes:
            raise DataError(f"{takes}; received {images.shape[1:]}. {COLOUR_HINT}")
        if images.shape[1:3] != self.image_shape[:2]:
            # Area averaging: a 2x downscale averages 2x2 blocks, the classifier's own view of
            # a larger copy of its 28x28 images.
            images = tf.image.resize(images, self.image_shape[:2], method="area").numpy()
        features, logits = self.model.predict(images, batch_size=self.batch_size, verbose=0)
        return features, logits


class InceptionFeatures:
    """2048-d pool features of InceptionV3 (Szegedy et al. 2016), the standard FID embedding.

    Images are converted to RGB and resized to 299x299 (bilinear). The ImageNet
    weights are Keras' own download (`keras.applications.InceptionV3(weights=
    "imagenet")`, cached in `~/.keras/models`), or a local copy of that file.

    Args:
        weights: str. `"imagenet"` (download once), or the path of InceptionV3's
            `notop` weights (`.h5`), for a machine without network.
        batch_size: int. Images per forward pass.

    Example:

    ```python
    extractor = InceptionFeatures(weights="inception_v3_notop.h5")
    features, _ = extractor(images)  # (N, 2048)
    ```
    """

    def __init__(self, weights="imagenet", batch_size=50):
        import keras

        self.batch_size = check_positive_int("batch_size", batch_size)
        self._weights, self._identity = weights, None
        if weights == "imagenet":
            try:
                self.model = keras.applications.InceptionV3(
                    include_top=False, weights="imagenet", pooling="avg",
                    input_shape=(299, 299, 3))
            except Exception as error:  # Keras raises a bare Exception for a failed download
                raise DataError(f"Could not download InceptionV3's ImageNet weights ({error}). "
                                f"{INCEPTION_WEIGHTS_HINT}") from error
            return
        if not weights or not os.path.isfile(weights):
            raise DataError(
                f"No InceptionV3 weights file at {weights!r}. {INCEPTION_WEIGHTS_HINT}")
        self.model = keras.applications.InceptionV3(include_top=False, weights=None,
                                                    pooling="avg", input_shape=(299, 299, 3))
        try:
            self.model.load_weights(weights)
        except (ValueError, OSError) as error:
            raise DataError(f"Cannot load InceptionV3 weights from {weights!r}: {error}. "
                            f"{INCEPTION_WEIGHTS_HINT}") from error

    @property
    def identity(self):
        """What its features depend on, for `feature_cache`: Keras' one ImageNet download, or
        the sha256 of the weights file (hashed on first use: 0.08 s for its 88 MB here)."""
        from keras_gen.utils.files import sha256_of

        if self._identity is None:
            self._identity = ("InceptionV3 imagenet" if self._weights == "imagenet"
                              else f"InceptionV3 {sha256_of(self._weights)}")
        return self._identity

    def __call__(self, images):
        import tensorflow as tf

        images = model_range_batch(images, "InceptionV3", min_count=1)
        takes = unscorable_shape("inception", images.shape[1:])
        if takes:
            raise DataError(f"{takes}; received shape {images.shape}.")
        features = []
        for start in range(0, len(images), self.batch_size):
            batch = tf.convert_to_tensor(images[start : start + self.batch_size])
            if batch.shape[-1] == 1:
                batch = tf.image.grayscale_to_rgb(batch)
            # InceptionV3 expects [-1, 1] inputs, keras_gen's range already.
            batch = tf.image.resize(batch, (299, 299), method="bilinear")
            features.append(self.model(batch, training=False).numpy())
        return np.concatenate(features), None


def get_extractor(domain, inception_weights=None):
    """Returns the feature extractor for a domain name.

    Args:
        domain: str. `"mnist"`, `"fashion_mnist"`, `"digits"` or `"inception"`.
        inception_weights: optional str. Weights file for `"inception"` (None: Keras'
            ImageNet download).

    Example:

    ```python
    features, logits = get_extractor("mnist")(images)
    ```
    """
    if domain == "inception":
        return InceptionFeatures(inception_weights or "imagenet")
    return DomainFeatures(domain)
