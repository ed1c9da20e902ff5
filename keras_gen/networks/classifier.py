"""A small convolutional classifier; its penultimate layer serves as a domain feature extractor."""

import keras


def domain_classifier(image_shape=(28, 28, 1), num_classes=10, width=32, feature_dim=128,
                      name="domain_classifier"):
    """Builds the CNN that keras_gen trains per domain (MNIST, Fashion-MNIST) for its metrics.

    Three blocks of 3x3 convolutions (`width`, `2 * width`, `4 * width`
    channels; batch norm, ReLU, 2x2 max-pool after the first two), global
    average pooling, a `feature_dim` dense layer named `features` (the
    embedding FID/KID/precision/recall use) and a `logits` layer (for the
    inception score, mode coverage and conditional accuracy). Inputs are images
    in [-1, 1], as everywhere in keras_gen.

    Args:
        image_shape: tuple. `(height, width, channels)`.
        num_classes: int. Number of classes.
        width: int. Channels of the first block.
        feature_dim: int. Size of the feature embedding.
        name: str. Model name.

    Returns:
        A functional `keras.Model` mapping images to logits `(batch, num_classes)`.

    Example:

    ```python
    classifier = domain_classifier((28, 28, 1))
    features = keras.Model(classifier.input, classifier.get_layer("features").output)
    ```
    """
    images = keras.Input(tuple(image_shape), name="images")
    x = images
    for index, channels in enumerate((width, 2 * width, 4 * width)):
        layers = [keras.layers.Conv2D(channels, 3, padding="same", use_bias=False, name="conv"),
                  keras.layers.BatchNormalization(name="norm"), keras.layers.ReLU(name="relu")]
        if index < 2:
            layers.append(keras.layers.MaxPooling2D(2, name="pool"))
        x = keras.Sequential(layers, name=f"block_{index}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dense(feature_dim, activation="relu", name="features")(x)
    x = keras.layers.Dropout(0.3, name="dropout")(x)
    logits = keras.layers.Dense(num_classes, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)
