"""`keras-gen evaluate`, and the held-out images that it and `finetune --monitor-every` score
against."""

import os


def held_out_split(source):
    """The split of `source` a command scores against: `"test"`, or all of an image folder.

    An image folder has one split, and one passed to score against is held out by its user;
    `keras-gen evaluate` and `reconstruct` asked every source for "test" and refused folders.

    Args:
        source: str. A dataset name or path, as `--dataset` takes it.

    Example:

    ```python
    held_out_split("../shared/data/mnist")  # "test"
    ```
    """
    from keras_gen.data import is_image_folder

    return "train" if is_image_folder(source) else "test"


def reference_statistics(source, domain, inception_weights, image_shape=None):
    """`ReferenceStatistics` of `source`'s held-out images (`held_out_split`).

    Args:
        source: str. A dataset name or path, as `--dataset` or `--reference` takes it.
        domain: optional str. The feature extractor (`--domain`); None: the source's name or
            folder name (`"mnist"` for `../shared/data/mnist`).
        inception_weights: optional str. `--inception-weights`.
        image_shape: optional tuple. A model's image shape to resize the images to (None: as
            stored).

    Example:

    ```python
    reference = reference_statistics("../shared/data/mnist", None, None)
    ```
    """
    from keras_gen import data, metrics
    from keras_gen.data.transforms import to_unit_range

    if data.looks_like_path(source):
        # A mistyped path was told "Cannot tell the feature extractor ...: pass --domain".
        data.check_dataset_exists(source)
    given, domain = domain, domain or os.path.basename(os.path.normpath(source))
    if domain != "inception" and domain not in metrics.classifier_index():
        known = f"{', '.join(sorted(metrics.classifier_index()))} or inception"
        # A bad --domain was told "Cannot tell the feature extractor for 'digits': pass --domain".
        raise ValueError(f"--domain {given!r} is not a feature extractor: pass {known}." if given
                         else f"Cannot tell the feature extractor for {source!r}: pass --domain "
                              f"({known}).")
    size, channels = (None, None) if image_shape is None else (image_shape[0], image_shape[-1])
    images, labels = data.load_arrays(source, split=held_out_split(source), image_size=size,
                                      channels=channels)
    return metrics.ReferenceStatistics(to_unit_range(images).numpy(), domain, labels,
                                       inception_weights)


def run_evaluate(args):
    """Runs `keras-gen evaluate`; returns the scores dict."""
    from keras_gen import metrics
    from keras_gen.saving import load_model_or_preset
    from keras_gen.utils import write_json_atomic

    reference = reference_statistics(args.dataset, args.domain, args.inception_weights)
    model = load_model_or_preset(args.model_file)
    # A conditional model's accuracy is scored too, and the presets' metadata reproduced.
    scores = metrics.evaluate_model(model, args.num_samples, reference, seed=args.seed)
    scores.update({"model_file": args.model_file, "dataset": args.dataset, "seed": args.seed})
    # Beside the .keras file or preset folder (a shipped preset's name: in this folder).
    out = args.out or os.path.splitext(os.path.normpath(args.model_file))[0] + ".metrics.json"
    write_json_atomic(out, scores)
    print(f"{'metric':<22}value")
    for key, value in scores.items():
        print(f"{key:<22}{value:.4f}" if isinstance(value, float) else f"{key:<22}{value}")
    print(f"Wrote {out}")
    return scores
