"""Checks an export through TF Serving's loader path against the Keras model it came from."""

import warnings

import numpy as np

from keras_gen.export.session_model import SessionModel


class ExportMismatch(AssertionError):
    """An exported signature disagrees with the Keras model (or does not load)."""


def _png(unit_image):
    import tensorflow as tf

    return tf.io.encode_png(np.round(unit_image * 255).astype(np.uint8)).numpy()


def probe_cases(model, seeds=(0, 1)):
    """Returns `[(signature, inputs, expected outputs)]` computed with the Keras model.

    Example:

    ```python
    for signature, inputs, expected in probe_cases(gan): ...
    ```
    """
    cases = _family_cases(model, np.asarray(seeds, np.int64))
    if getattr(model, "class_names", None) is not None:
        # `sample_by_name` is `sample` with each label given by its class name.
        _, inputs, expected = cases[0]
        names = np.array([model.class_names[label].encode() for label in inputs["labels"]])
        cases.append(("sample_by_name", {"seed": inputs["seed"], "class_name": names}, expected))
    return cases


def _family_cases(model, seeds):
    """`probe_cases` of each family's own signatures, `sample` first."""
    from keras_gen.models import GAN, VAE, ConditionalGAN

    if isinstance(model, GAN):
        conditional = isinstance(model, ConditionalGAN)
        labels = np.arange(len(seeds), dtype=np.int32) % getattr(model, "num_classes", 1)
        extra = {"labels": labels} if conditional else {}
        per_seed = [model.generate(1, seed=int(s), **({"labels": [int(l)]} if conditional else {}))
                    for s, l in zip(seeds, labels)]
        z = model.sample_noise(len(seeds), seed=7).numpy()
        default = np.asarray(model([z, labels]) if conditional else model(z))
        sampled = (np.concatenate(per_seed) + 1) / 2
        return [("sample", {"seed": seeds, **extra}, {"images": sampled}),
                ("serving_default", {"z": z, **extra}, {"images": (default + 1) / 2})]
    if isinstance(model, VAE):
        labels = (None if model.num_classes is None else
                  np.arange(len(seeds), dtype=np.int32) % model.num_classes)
        extra = {} if labels is None else {"labels": labels}
        # One image per seed, as the GAN's `sample` (a conditional VAE's for labels 0, 1, ...).
        per_seed = [model.generate(1, seed=int(s), labels=None if labels is None else labels[i])
                    for i, s in enumerate(seeds)]
        sampled = (np.concatenate(per_seed) + 1) / 2
        images = model.generate(len(seeds), seed=3, labels=labels)
        unit = np.round((images + 1) / 2 * 255) / 255  # what survives a PNG round trip
        quantized = unit * 2 - 1
        with warnings.catch_warnings():
            # The model's own samples: a model that draws no dark pixel is not the user's
            # scaling mistake that the [0, 1] warning is about.
            warnings.filterwarnings("ignore", message=r".*every image value is in \[0, 1\]")
            z = model.encode(images, labels)
            reconstructed = model.reconstruct(images, labels)
            reconstructed_png = model.reconstruct(quantized.astype(np.float32), labels)
        return [("sample", {"seed": seeds, **extra}, {"images": sampled}),
                ("reconstruct", {"images": images, **extra}, {"images": (reconstructed + 1) / 2}),
                ("encode", {"images": images, **extra}, {"z_mean": z}),
                ("decode", {"z": z, **extra}, {"images": (model.decode(z, labels) + 1) / 2}),
                ("reconstruct_png", {"images_bytes": np.array([_png(u) for u in unit]), **extra},
                 {"images": (reconstructed_png + 1) / 2})]
    raise ValueError(f"Cannot verify a {type(model).__name__} export.")


# Largest difference allowed between an export and its Keras model, by the model's compute dtype.
# In float32 they agree to ~1e-7. Under mixed_bfloat16 (8 significant bits) the SavedModel's graph
# rounds in other places than Keras' own: up to 2.2e-3 was measured (a VAE's z_mean; 4.8e-4 for
# GAN images in [0, 1]), so float32's bound refused every such export. A wrong export (other
# weights, another signature) is off by 0.1 or more.
EXPORT_ATOL = {"float32": 1e-4, "bfloat16": 1e-2, "float16": 1e-2}


def verify_export(model, path, atol=None):
    """Runs every probe through the session loader and compares with the Keras model.

    Args:
        model: the exported keras_gen model.
        path: str or `pathlib.Path`. The SavedModel folder.
        atol: optional float. Largest absolute difference allowed (default: `EXPORT_ATOL` for
            the model's compute dtype, looser under a mixed precision policy).

    Raises:
        ExportMismatch: a signature is missing, fails to run or disagrees.

    Example:

    ```python
    verify_export(gan, "saved_models/dcgan_digits/1")
    ```
    """
    if atol is None:
        atol = EXPORT_ATOL.get(model.dtype_policy.compute_dtype, EXPORT_ATOL["float32"])
    try:
        session_model = SessionModel(path)
    except Exception as error:  # Loader errors come in many types.
        raise ExportMismatch(f"{path} does not load with the session loader: {error}") from error
    with session_model:
        for signature, inputs, expected in probe_cases(model):
            try:
                outputs = session_model.run(signature, inputs)
            except Exception as error:  # Runtime errors come in many types.
                raise ExportMismatch(
                    f"Signature {signature!r} of {path} failed to run: {error}") from error
            for name, value in expected.items():
                difference = float(np.max(np.abs(outputs[name] - value)))
                if difference > atol:
                    raise ExportMismatch(
                        f"Signature {signature!r} output {name!r} differs from the Keras model "
                        f"by {difference:.3g} (allowed {atol}, computing in "
                        f"{model.dtype_policy.compute_dtype})."
                    )
