"""`keras-gen sample`, `reconstruct` and `presets`: looking at a trained model or the zoo."""

from keras_gen import class_labels
from keras_gen.commands.scoring import held_out_split


def run_sample(args):
    """Runs `keras-gen sample`; returns the PNG path."""
    from keras_gen.saving import load_model_or_preset
    from keras_gen.utils import save_image_grid

    model = load_model_or_preset(args.model_file)
    num_classes = getattr(model, "num_classes", None)
    if num_classes is None:
        if args.label is not None:
            raise ValueError(f"{args.model_file} is not a conditional model; drop --label.")
        images = model.generate(args.num_images, seed=args.seed)
    else:
        label = class_labels.label_number(args.label, model, args.model_file)
        images = model.generate(args.num_images, labels=label, seed=args.seed)
        if label is None:  # labels cycle 0..K-1: one class per column
            args.columns = args.columns or num_classes
    save_image_grid(images, args.out, columns=args.columns)
    print(f"Wrote {args.num_images} samples (seed {args.seed}) to {args.out}")
    return args.out


def run_reconstruct(args):
    """Runs `keras-gen reconstruct`; returns the mean squared error in [-1, 1] units."""
    import numpy as np

    from keras_gen import data
    from keras_gen.commands.data_options import recorded_dataset
    from keras_gen.data import EMBEDDED_DATASET
    from keras_gen.data.transforms import to_unit_range
    from keras_gen.saving import load_model_or_preset
    from keras_gen.utils import save_image_grid

    model = load_model_or_preset(args.model_file)
    if not hasattr(model, "reconstruct"):
        raise ValueError(f"{args.model_file} holds a {type(model).__name__}, which does not "
                         "reconstruct; use a vae, cvae or vaegan model.")
    if args.dataset is None:
        # The embedded digits were reconstructed whatever the model had learnt.
        args.dataset, record = recorded_dataset(args.model_file)
        if args.dataset is None:
            args.dataset = EMBEDDED_DATASET
        else:
            print(f"The run trained on {args.dataset} ({record}); --dataset reconstructs other "
                  "images.")
    size = model.image_shape[0]
    split = args.split or held_out_split(args.dataset)
    images, labels = data.load_arrays(args.dataset, split=split, image_size=size,
                                      channels=model.image_shape[-1])
    pick = np.random.default_rng(args.seed).permutation(len(images))[:args.num_images]
    originals = to_unit_range(images[pick]).numpy()
    conditions = labels[pick] if getattr(model, "num_classes", None) else None
    reconstructions = model.reconstruct(originals, conditions)
    columns = 8
    rows = []
    for start in range(0, len(originals), columns):
        rows += [originals[start:start + columns], reconstructions[start:start + columns]]
    save_image_grid(np.concatenate(rows), args.out, columns=columns)
    error = float(np.mean((originals - reconstructions) ** 2))
    if args.split:
        which = f"images of the {split!r} split of {args.dataset}"
    elif split == "test":
        which = f"held-out images of {args.dataset} (its test split)"
    else:  # held out or not, as the user chose it
        which = f"images of {args.dataset} (an image folder, used whole)"
    print(f"Reconstructed {len(originals)} {which}: mean squared error {error:.4f} (images in "
          f"[-1, 1]). Wrote {args.out}")
    return error


def run_presets(args):
    """Runs `keras-gen presets`; returns the metadata dict."""
    import json
    import textwrap

    from keras_gen import presets

    found = presets.list()
    if args.json:
        print(json.dumps(found, indent=2))
        return found
    print(f"{'preset':<22}{'class':<16}{'params':>10}{'fid':>9}{'kid':>9}{'coverage':>10}"
          f"{'classes':>9}{'cond acc':>10}")
    for name, meta in found.items():
        m = meta.get("metrics", {})
        accuracy = m.get("conditional_accuracy")
        print(f"{name:<22}{meta['class']:<16}{meta['params']:>10}"
              f"{m.get('fid', float('nan')):>9.3f}"
              f"{m.get('kid', float('nan')):>9.4f}{m.get('coverage', float('nan')):>10.3f}"
              f"{m.get('classes_covered', '-'):>9}"
              f"{'-' if accuracy is None else f'{accuracy:.3f}':>10}")
    footnote = _scores_footnote(found)
    if footnote:
        print(textwrap.fill(footnote, width=96))
    return found


def _scores_footnote(found):
    """How the listed scores were measured, read from the presets' metadata ("" if unscored).

    FIDs in different datasets' classifier features are not comparable, and a FID from fewer
    samples is higher: the table alone invited both comparisons.
    """
    scored = {name: meta for name, meta in found.items() if meta.get("metrics")}
    if not scored:
        return ""
    counts = " or ".join(map(str, sorted({meta["metrics"].get("num_samples", 0)
                                          for meta in scored.values()})))
    if all(meta["metrics"].get("domain") == meta.get("dataset") for meta in scored.values()):
        features = ("in that dataset's classifier features (not InceptionV3): compare presets "
                    "of one dataset")
    else:
        features = "in the features each preset's metrics.domain names (--json)"
    name, meta = next(iter(scored.items()))
    return (f"Scores: keras_gen.metrics.evaluate of {counts} samples against the dataset's test "
            f"split, {features}. To score one again: keras-gen evaluate {name} --dataset "
            f"{meta.get('dataset')} (FID is higher with fewer --num-samples).")
