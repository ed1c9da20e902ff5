"""`from_preset` / `save_to_preset` for every model family."""


class PresetMixin:
    """Adds `Model.from_preset(name_or_dir)` and `model.save_to_preset(folder)`.

    Example:

    ```python
    gan = GAN.from_preset("dcgan_mnist")
    gan.save_to_preset("my_dcgan")
    ```
    """

    @classmethod
    def from_preset(cls, name_or_dir, load_weights=True):
        """Loads a shipped preset by name, or a preset folder, checking its weights' sha256.

        Args:
            name_or_dir: str. See `keras_gen.presets.list()`.
            load_weights: bool. `False` builds the architecture with fresh weights.

        Returns:
            The model, compiled with the settings it was trained with; its
            `preset_metadata` holds the preset's measured quality.
        """
        from keras_gen.presets import PresetError, load_preset

        model = load_preset(name_or_dir, load_weights=load_weights)
        if not isinstance(model, cls):
            raise PresetError(f"Preset {name_or_dir!r} holds a {type(model).__name__}, not a "
                              f"{cls.__name__}; load it with {type(model).__name__}.from_preset.")
        return model

    def save_to_preset(self, folder, metadata=None):
        """Writes this model as a preset folder; returns the metadata, with the weights' sha256."""
        from keras_gen.presets import save_preset

        return save_preset(self, folder, metadata)
