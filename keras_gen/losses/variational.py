"""VAE losses (pure functions): the two terms of the negative ELBO, per example.

Example:

```python
from keras_gen import losses

z_mean, z_log_var = encoder(images)
per_example = (losses.reconstruction_loss(images, decoder(z), "bernoulli")
               + beta * losses.kl_divergence(z_mean, z_log_var))
```
"""

import tensorflow as tf

# Decoder output distributions `reconstruction_loss` knows.
LIKELIHOODS = ("bernoulli", "gaussian")


def kl_divergence(z_mean, z_log_var):
    """Per-example `KL(N(mean, exp(log_var)) || N(0, I))`.

    That is `-0.5 * sum(1 + log_var - mean^2 - exp(log_var))`.

    Kingma & Welling 2014, appendix B.

    Args:
        z_mean: tensor `(batch, latent_dim)`.
        z_log_var: tensor `(batch, latent_dim)`.

    Returns:
        float32 tensor `(batch,)`.

    Example:

    ```python
    kl_divergence(tf.zeros((1, 2)), tf.zeros((1, 2)))  # [0.0]
    ```
    """
    z_mean, z_log_var = tf.cast(z_mean, tf.float32), tf.cast(z_log_var, tf.float32)
    return -0.5 * tf.reduce_sum(1.0 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), axis=-1)


def reconstruction_loss(images, decoded, likelihood):
    """Per-example negative log-likelihood of images in [-1, 1] under the decoder's output.

    `"bernoulli"`: binary cross-entropy of pixel intensities `(x + 1) / 2`
    against the decoder's logits, summed over pixels. `"gaussian"`: half the
    squared error between `x` and the decoder's means, summed over pixels
    (a unit-variance Gaussian up to a constant).

    Args:
        images: tensor `(batch, H, W, C)` in [-1, 1].
        decoded: tensor, the decoder's raw outputs.
        likelihood: `"bernoulli"` or `"gaussian"`.

    Returns:
        float32 tensor `(batch,)`.

    Example:

    ```python
    reconstruction_loss(x, decoder(z), "bernoulli")
    ```
    """
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}. Received: {likelihood!r}")
    images, decoded = tf.cast(images, tf.float32), tf.cast(decoded, tf.float32)
    if likelihood == "bernoulli":
        per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=(images + 1.0) / 2.0,
                                                            logits=decoded)
    else:
        per_pixel = 0.5 * tf.square(images - decoded)
    return tf.reduce_sum(tf.reshape(per_pixel, (tf.shape(images)[0], -1)), axis=-1)
