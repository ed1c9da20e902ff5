"""`SavingMixin`: `save`, `save_weights` and `export` that never leave a half-written file."""

import os

import keras

from keras_gen.utils.files import atomic_path

# Keras' legacy HDF5 format is for functional and sequential models; for a keras_gen model it
# failed partway ("Unable to synchronously create dataset (name already exists)", or
# "'NoneType' object has no attribute 'weights'") and left a broken file at the path.
_LEGACY_SUFFIXES = (".h5", ".hdf5")


class SavingMixin:
    """Gives a keras_gen model atomic `save` / `save_weights` and a TF Serving-ready `export`.

    Keras writes a `.keras` file in place, so a save that fails or is interrupted (a full
    disk, Ctrl-C) used to leave a broken file where the last good model was. Here the file is
    written beside the path, then renamed onto it in one step (`atomic_path`). `export` writes
    the model's serving signatures (`keras_gen.export.signatures_for`), which Keras' own
    `export` cannot build for these models (it refused them: "The model provided has never
    called").

    Example:

    ```python
    gan.save("runs/dcgan/model.keras")       # the old file stays if this fails
    gan.export("exported/dcgan")             # serving_default and sample, as keras-gen export
    ```
    """

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """`keras.Model.save`, written atomically; the legacy `.h5` format is refused.

        Args:
            filepath: str or `pathlib.Path`, ending in `.keras`.
            overwrite: bool. As in Keras (False asks before replacing a file).
            zipped: as in Keras (False writes an unzipped folder, in place).
            **kwargs: passed on to `keras.Model.save`.

        Example:

        ```python
        gan.save("runs/dcgan/model.keras")  # a crash mid-write leaves the old file whole
        gan = keras.models.load_model("runs/dcgan/model.keras")  # after `import keras_gen`
        ```
        """
        path = _path_of(filepath)
        if path is not None and path.endswith(_LEGACY_SUFFIXES):
            raise _legacy_format_error(
                self, repr(path), "Save the whole model as .keras (model.save('model.keras')), "
                "or its weights as .weights.h5 (model.save_weights('model.weights.h5')).")
        # Anything but a .keras file Keras handles (and refuses) itself, naming the user's path.
        if path is None or not path.endswith(".keras") or zipped is False or not overwrite:
            return super().save(filepath, overwrite=overwrite, zipped=zipped, **kwargs)
        with atomic_path(path) as temporary:
            return super().save(temporary, overwrite=True, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """`keras.Model.save_weights`, written atomically (sharded weights in place).

        Args:
            filepath: str or `pathlib.Path`, ending in `.weights.h5`.
            overwrite: bool. As in Keras.
            max_shard_size: as in Keras; sharded weights span several files, written in place.

        Example:

        ```python
        gan.save_weights("gan.weights.h5")
        same_architecture.load_weights("gan.weights.h5")
        ```
        """
        path = _path_of(filepath)
        if (path is None or not path.endswith(".weights.h5") or max_shard_size is not None
                or not overwrite):
            return super().save_weights(filepath, overwrite=overwrite,
                                        max_shard_size=max_shard_size)
        with atomic_path(path) as temporary:
            return super().save_weights(temporary, overwrite=True)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None,
               **kwargs):
        """Exports a SavedModel with the model's serving signatures (other formats as Keras).

        Args:
            filepath: str or `pathlib.Path`. A new folder; an existing one is refused.
            format: `"tf_saved_model"` for keras_gen's signatures; any other format
                (`"litert"` to a `.tflite` path, `"onnx"`, ...), or an `input_signature`, goes
                to `keras.Model.export`, with `call`'s inputs as the signature by default.
            verbose: bool. Print where the SavedModel went (None: yes, as Keras does).
            input_signature: as in Keras.
            **kwargs: passed on to `keras.Model.export` for other formats.

        Returns:
            str. The SavedModel's folder, for `tf_saved_model`.

        Example:

        ```python
        gan.export("exported/dcgan")  # `saved_model_cli show --dir exported/dcgan --all`
        ```
        """
        if format != "tf_saved_model" or input_signature is not None or kwargs:
            if input_signature is None and hasattr(self, "call_input_signature"):
                # Keras infers it from a first call, which a model built in its constructor
                # never records: every other format failed with "has never called".
                input_signature = self.call_input_signature()
            return super().export(filepath, format=format, verbose=verbose,
                                  input_signature=input_signature, **kwargs)
        from keras_gen.export.saved_model import write_serving_model

        path = write_serving_model(self, filepath)
        if verbose is not False:
            print(f"Saved a SavedModel with the serving signatures of {type(self).__name__} at "
                  f"{path}")
        return path


def _path_of(filepath):
    """`filepath` as a str, or None for what is not a path (a file object: Keras' business)."""
    return os.fspath(filepath) if isinstance(filepath, (str, os.PathLike)) else None


def refuse_legacy_checkpoints(model, callbacks):
    """Raises `ValueError` for a `ModelCheckpoint` that would save `model` as legacy `.h5`.

    Keras' `ModelCheckpoint` takes an `.h5` path for whole models, so the refusal in `save`
    came only at the first checkpoint, after an epoch of training (and named
    `FiniteModelCheckpoint`'s temporary file). `fit` calls this before the first step.

    Args:
        model: the keras_gen model about to `fit`.
        callbacks: `fit`'s `callbacks` argument (None or a list).

    Example:

    ```python
    refuse_legacy_checkpoints(gan, [keras.callbacks.ModelCheckpoint("gan.h5")])  # ValueError
    ```
    """
    for callback in callbacks if isinstance(callbacks, (list, tuple)) else ():
        if (isinstance(callback, keras.callbacks.ModelCheckpoint)
                and not callback.save_weights_only
                and str(callback.filepath).endswith(_LEGACY_SUFFIXES)):
            raise _legacy_format_error(
                model, f"{type(callback).__name__}({str(callback.filepath)!r})",
                "Checkpoint to a .keras path, or pass save_weights_only=True with a "
                ".weights.h5 path.")


def _legacy_format_error(model, where, fix):
    return ValueError(f"{type(model).__name__} models cannot be saved in the legacy HDF5 format "
                      f"({where}): Keras fails partway writing them there. {fix}")
