"""The check that a sampling callback is on a model that can sample."""


def require_generate(model, callback):
    """Raises `TypeError` if `model` has no `generate(count, seed=...)` to draw samples with.

    Called in `on_train_begin`: else a plain Keras model trained a whole epoch (or
    `every` epochs) before the callback failed on "object has no attribute 'generate'".

    Args:
        model: the model the callback is attached to.
        callback: str. The callback's name, for the message.

    Example:

    ```python
    def on_train_begin(self, logs=None):
        require_generate(self.model, "ImageGrid")
    ```
    """
    if not callable(getattr(model, "generate", None)):
        raise TypeError(
            f"{callback} draws samples with model.generate(count, seed=...), which a "
            f"{type(model).__name__} does not have. Use it with a keras_gen model (GAN, "
            "ConditionalGAN, VAE, VAEGAN), or give your model such a method.")
