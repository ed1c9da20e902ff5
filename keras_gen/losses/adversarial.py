"""Adversarial loss pairs as pure functions of discriminator logits.

Every function returns one loss per example, shape `(batch,)` (logits with
extra dimensions, such as patch outputs, are averaged per example), so the
trainer can divide the sum by the global batch under `tf.distribute`. Logits
are cast to float32 first so mixed-precision models get full-precision losses.
"""

from keras import ops


def _per_example(values):
    values = ops.cast(values, "float32")
    if len(values.shape) <= 1:
        return values
    return ops.mean(ops.reshape(values, (ops.shape(values)[0], -1)), axis=-1)


def non_saturating_generator_loss(fake_logits):
    """Non-saturating generator loss: `softplus(-D(G(z)))` = `-log sigmoid(D(G(z)))`.

    Goodfellow et al. 2014, "Generative Adversarial Nets", section 3.

    Args:
        fake_logits: tensor. Discriminator logits on generated images.

    Returns:
        float32 tensor `(batch,)`.

    Example:

    ```python
    non_saturating_generator_loss(ops.zeros((2, 1)))  # [log 2, log 2]
    ```
    """
    return _per_example(ops.softplus(-ops.cast(fake_logits, "float32")))


def non_saturating_discriminator_loss(real_logits, fake_logits):
    """Discriminator cross-entropy: `softplus(-D(x)) + softplus(D(G(z)))`.

    Equals `-log sigmoid(D(x)) - log(1 - sigmoid(D(G(z))))` (Goodfellow et al. 2014).

    Args:
        real_logits: tensor. Logits on real images.
        fake_logits: tensor. Logits on generated images (same batch size).

    Returns:
        float32 tensor `(batch,)`.

    Example:

    ```python
    non_saturating_discriminator_loss(ops.zeros((2, 1)), ops.zeros((2, 1)))  # [2 log 2, ...]
    ```
    """
    real = ops.softplus(-ops.cast(real_logits, "float32"))
    fake = ops.softplus(ops.cast(fake_logits, "float32"))
    return _per_example(real) + _per_example(fake)


def least_squares_generator_loss(fake_logits):
    """Least-squares generator loss: `0.5 * (D(G(z)) - 1)**2`.

    Mao et al. 2017, "Least Squares Generative Adversarial Networks", eq. 2
    with a=0, b=c=1.

    Args:
        fake_logits: tensor. Discriminator outputs on generated images.

    Returns:
        float32 tensor `(batch,)`.

    Example:

    ```python
    least_squares_generator_loss(ops.array([[3.0]]))  # [2.0]
    ```
    """
    return _per_example(0.5 * ops.square(ops.cast(fake_logits, "float32") - 1.0))


def least_squares_discriminator_loss(real_logits, fake_logits):
    """Least-squares discriminator loss: `0.5 * (D(x) - 1)**2 + 0.5 * D(G(z))**2`.

    Mao et al. 2017, eq. 2 with a=0, b=1.

    Args:
        real_logits: tensor. Outputs on real images.
        fake_logits: tensor. Outputs on generated images.

    Returns:
        float32 tensor `(batch,)`.

    Example:

    ```python
    least_squares_discriminator_loss(ops.array([[1.0]]), ops.array([[2.0]]))  # [2.0]
    ```
    """
    real = 0.5 * ops.square(ops.cast(real_logits, "float32") - 1.0)
    fake = 0.5 * ops.square(ops.cast(fake_logits, "float32"))
    return _per_example(real) + _per_example(fake)


def hinge_generator_loss(fake_logits):
    """Hinge generator loss: `-D(G(z))`, the same formula as the Wasserstein generator loss.

    Lim & Ye 2017, "Geometric GAN"; Miyato et al. 2018 (SN-GAN), eq. 17.

    Args:
        fake_logits: tensor. Logits on generated images.

    Returns:
        float32 tensor `(batch,)`.

    Example:

    ```python
    hinge_generator_loss(ops.array([[0.5]]))  # [-0.5]
    ```
    """
    return wasserstein_generator_loss(fake_logits)


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge discriminator loss: `relu(1 - D(x)) + relu(1 + D(G(z)))`.

    Lim & Ye 2017; Miyato et al. 2018, eq. 16.

    Args:
        real_logits: tensor. Logits on real images.
        fake_logits: tensor. Logits on generated images.

    Returns:
        float32 tensor `(batch,)`.

    Example:

    ```python
    hinge_discriminator_loss(ops.array([[0.5]]), ops.array([[0.5]]))  # [2.0]
    ```
    """
    real = ops.relu(1.0 - ops.cast(real_logits, "float32"))
    fake = ops.relu(1.0 + ops.cast(fake_logits, "float32"))
    return _per_example(real) + _per_example(fake)


def wasserstein_generator_loss(fake_logits):
    """Wasserstein generator loss: `-D(G(z))`.

    Arjovsky et al. 2017, "Wasserstein GAN"; pair with `gradient_penalty`
    (Gulrajani et al. 2017) to keep the critic 1-Lipschitz.

    Args:
        fake_logits: tensor. Critic scores on generated images.

    Returns:
        float32 tensor `(batch,)`.

    Example:

    ```python
    wasserstein_generator_loss(ops.array([[2.0]]))  # [-2.0]
    ```
    """
    return _per_example(-ops.cast(fake_logits, "float32"))


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """Wasserstein critic loss: `D(G(z)) - D(x)`.

    Arjovsky et al. 2017; the critic minimises it to maximise the estimated
    Wasserstein-1 distance.

    Args:
        real_logits: tensor. Critic scores on real images.
        fake_logits: tensor. Critic scores on generated images.

    Returns:
        float32 tensor `(batch,)`.

    Example:

    ```python
    wasserstein_discriminator_loss(ops.array([[3.0]]), ops.array([[1.0]]))  # [-2.0]
    ```
    """
    return _per_example(ops.cast(fake_logits, "float32")) - _per_example(
        ops.cast(real_logits, "float32")
    )


LOSS_PAIRS = {
    "non_saturating": (non_saturating_generator_loss, non_saturating_discriminator_loss),
    "least_squares": (least_squares_generator_loss, least_squares_discriminator_loss),
    "hinge": (hinge_generator_loss, hinge_discriminator_loss),
    "wasserstein": (wasserstein_generator_loss, wasserstein_discriminator_loss),
}


def get_loss_pair(name):
    """Returns `(generator_loss, discriminator_loss)` for a loss name.

    Args:
        name: str. One of `"non_saturating"`, `"least_squares"`, `"hinge"`,
            `"wasserstein"`.

    Returns:
        A pair of functions.

    Example:

    ```python
    g_loss_fn, d_loss_fn = get_loss_pair("hinge")
    ```
    """
    if name not in LOSS_PAIRS:
        raise ValueError(f"loss must be one of {sorted(LOSS_PAIRS)}. Received: loss={name!r}")
    return LOSS_PAIRS[name]
