"""`keras-gen evaluate`, and the held-out images that it and `finetune --monitor-every` score
against."""

import os
import textwrap


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


def reference_statistics(source, domain, inception_weights, image_size=None, channels=None,
                         split=None):
    """`ReferenceStatistics` of `source`'s held-out images (`held_out_split`), or of `split`.

    Args:
        source: str. A dataset name or path, as `--dataset` or `--reference` takes it.
        domain: optional str. The feature extractor (`--domain`); None: the source's name or
            folder name (`"mnist"` for `../shared/data/mnist`).
        inception_weights: optional str. `--inception-weights`.
        image_size: optional int. The size to resize the images to (None: as stored).
        channels: optional int, 1 or 3. The channels to convert them to (None: as stored).
        split: optional str. The split of `source` to read (None: `held_out_split(source)`).

    Example:

    ```python
    reference = reference_statistics("../shared/data/mnist", None, None)
    ```
    """
    from keras_gen import data, metrics
    from keras_gen.data.transforms import to_unit_range

    domain = feature_domain(source, domain)
    images, labels = data.load_arrays(source, split=split or held_out_split(source),
                                      image_size=image_size, channels=channels)
    return metrics.ReferenceStatistics(to_unit_range(images).numpy(), domain, labels,
                                       inception_weights)


def feature_domain(source, domain):
    """The feature extractor that scores against `source`: `domain`, or the one named as
    `source` is (`"mnist"` for `../shared/data/mnist`); refused if there is none.

    Args:
        source: str. A dataset name or path, as `--dataset` or `--reference` takes it.
        domain: optional str. `--domain`.

    Example:

    ```python
    feature_domain("../shared/data/fashion_mnist", None)  # "fashion_mnist"
    ```
    """
    from keras_gen import data, metrics

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
    return domain


def run_evaluate(args):
    """Runs `keras-gen evaluate` on each MODEL; returns their scores dicts, in order.

    The models are scored against one reference, whose features are computed once, with the
    same samples' seed: comparing runs or presets took a process and a reference per model.
    """
    from keras_gen import metrics
    from keras_gen.errors import DataError
    from keras_gen.metrics.features import COLOUR_HINT, unscorable_shape
    from keras_gen.saving import load_model_or_preset
    from keras_gen.utils import write_json_atomic

    model_files = args.model_files
    outs = _scores_paths(model_files, args.out)
    # All loaded before the reference's features are computed (seconds, for 10,000 images): a
    # mistyped or damaged last one is refused at once, not after the others were scored.
    models = [load_model_or_preset(path) for path in model_files]
    domain = feature_domain(args.dataset, args.domain)
    for model_file, model in zip(model_files, models):
        # A colour model was refused by a grey classifier after the reference and the models
        # before it were scored, in words that named no MODEL.
        takes = unscorable_shape(domain, tuple(model.image_shape))
        if takes:
            hint = "" if domain == "inception" else f" {COLOUR_HINT}"
            raise DataError(f"{model_file} makes images of shape {tuple(model.image_shape)}, "
                            f"which the {domain} features cannot score. {takes}.{hint}")
    split = args.split or held_out_split(args.dataset)
    reference = reference_statistics(args.dataset, domain, args.inception_weights,
                                     args.image_size, split=split)
    all_scores = []
    for model_file, model, out in zip(model_files, models, outs):
        try:
            # A conditional model's accuracy is scored too, and the presets' metadata reproduced.
            scores = metrics.evaluate_model(model, args.num_samples, reference, seed=args.seed)
        except DataError as error:  # its samples (NaN ones): which of several MODELs made them
            raise DataError(f"{model_file}: {error}") from error
        scores.update({"model_file": model_file, "dataset": args.dataset, "split": split,
                       "seed": args.seed})
        write_json_atomic(out, scores)
        all_scores.append(scores)
    against = f"the {split!r} split of {args.dataset}" if args.split else args.dataset
    _print_scores(_column_names(model_files), all_scores, against)
    note = _few_images_note(all_scores[0], reference.features.shape[-1])
    if note:
        print(textwrap.fill(note, width=96))
    print(f"Wrote {', '.join(outs)}")
    return all_scores


def _few_images_note(scores, feature_dims):
    """Why a FID from fewer images than feature dimensions is not comparable, or "".

    Their covariance is singular and FID's upward bias grows as the count falls (`dcgan_mnist`:
    20.99 from 10 samples, 5.65 from 10,000), which the table alone did not say.
    """
    counts = [(scores["num_samples"], "samples"), (scores["num_reference"], "reference images")]
    few = [f"{count} {what}" for count, what in counts if count < feature_dims]
    if not few:
        return ""
    return (f"FID from {' and '.join(few)}, fewer than the {feature_dims} feature dimensions, is "
            "biased upward, the more the fewer there are: compare FIDs at equal counts only "
            "(KID is unbiased).")


def _scores_paths(model_files, out):
    """Where each model's scores go: `out` for one model, else beside each `.keras` file or
    preset folder (a shipped preset's name: in the current folder)."""
    if out and len(model_files) > 1:
        raise ValueError("--out names the JSON file of one MODEL; without it each MODEL's scores "
                         "go beside it (gan.metrics.json for gan.keras). Drop --out, or evaluate "
                         "the models one at a time.")
    outs = [out or os.path.splitext(os.path.normpath(path))[0] + ".metrics.json"
            for path in model_files]
    for index, path in enumerate(outs):
        if path in outs[:index]:
            first = model_files[outs.index(path)]
            raise ValueError(f"{first} and {model_files[index]} would both write their scores to "
                             f"{path}. Evaluate them one at a time, each with its own --out.")
    return outs


def _column_names(model_files):
    """Each model's name in the table: the fewest trailing parts of its path that tell it apart
    from the others (`a/model.keras`, `b/model.keras` and `cgan.keras`; `dcgan_mnist`)."""
    parts = [os.path.normpath(path).split(os.sep) for path in model_files]

    def tail(index, depth):
        return "/".join(parts[index][-depth:])

    names = []
    for index, own in enumerate(parts):
        depth = 1
        while depth < len(own) and any(tail(other, depth) == tail(index, depth)
                                       for other in range(len(parts)) if other != index):
            depth += 1
        names.append(tail(index, depth))
    return names if len(set(names)) == len(names) else list(model_files)


def _print_scores(names, all_scores, against):
    """The settings the models share on one line (`against`: the reference), then a table: one
    row per score, one column per model, `-` where a model has no such score (an unconditional
    model's accuracy)."""
    settings = ("dataset", "split", "domain", "num_reference", "num_samples", "seed")
    first = all_scores[0]
    each = " of each model" if len(all_scores) > 1 else ""
    print(f"Against {against} ({first['num_reference']} images, {first['domain']} "
          f"features): {first['num_samples']} samples{each}, seed {first['seed']}")
    keys = [key for key in dict.fromkeys(key for scores in all_scores for key in scores)
            if key not in settings and key != "model_file"]  # it heads the column
    rows = [[f"{value:.4f}" if isinstance(value, float) else str(value)
             for value in (scores.get(key, "-") for scores in all_scores)] for key in keys]
    widths = [max(len(name), *(len(row[column]) for row in rows)) + 2
              for column, name in enumerate(names)]
    for key, cells in [("metric", names)] + list(zip(keys, rows)):
        print(f"{key:<22}" + "".join(f"{cell:<{width}}" for cell, width in zip(cells, widths))
              .rstrip())
