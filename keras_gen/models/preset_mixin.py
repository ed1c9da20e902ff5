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
    def from_preset(cls, name_or_dir, load_weights=True, dtype=None):
        """Loads a shipped preset by name, or a preset folder, checking its weights' sha256.

        Args:
            name_or_dir: str. See `keras_gen.presets.list()`.
            load_weights: bool. `False` builds the architecture with fresh weights.
            dtype: optional str. A Keras dtype policy from `keras_gen.utils.PRECISIONS` to
                compute in, e.g. "mixed_bfloat16" (faster on CPUs with AMX and recent GPUs);
                default: the preset's own (float32 for the shipped presets).

        Returns:
            The model, compiled with the settings it was trained with; its
            `preset_metadata` holds the preset's measured quality.

        Raises:
            keras_gen.presets.PresetError: for an unknown name (the known ones are listed), a
                weights file whose sha256 does not match, or a preset of another class.

        Example:

        ```python
        gan = GAN.from_preset("dcgan_mnist")
        gan.preset_metadata["metrics"]["fid"]  # as measured when it was trained
        fast = GAN.from_preset("dcgan_mnist", dtype="mixed_bfloat16")  # to fine-tune
        ```
        """
        from keras_gen.presets import PresetError, load_preset

        model = load_preset(name_or_dir, load_weights=load_weights, dtype=dtype)
        if not isinstance(model, cls):
            raise PresetError(f"Preset {name_or_dir!r} holds a {type(model).__name__}, not a "
                              f"{cls.__name__}; load it with {type(model).__name__}.from_preset.")
        return model

    def save_to_preset(self, folder, metadata=None):
        """Writes this model as a preset folder; returns the metadata, with the weights' sha256.

        Args:
            folder: str. A new folder, or one holding only a preset, is written as a whole
                (the old preset stays if the save fails); in a folder holding other files
                too, `config.json`, `model.weights.h5` and `metadata.json` are replaced one
                by one, each atomically.
            metadata: optional dict of JSON values (no NaN or infinity). Recorded in
                `metadata.json` (dataset, metrics, ...).

        Example:

        ```python
        gan.save_to_preset("my_dcgan", {"dataset": "my_folder", "metrics": {"fid": 3.6}})
        again = GAN.from_preset("my_dcgan")
        ```
        """
        from keras_gen.presets import save_preset

        return save_preset(self, folder, metadata)
