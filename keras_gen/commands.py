"""The `keras-gen` commands: each is one library call with printed results.

`keras_gen.cli` parses arguments and dispatches here; tests call these
functions (or `cli.main`) directly.
"""

import os

from keras_gen import class_labels
from keras_gen.errors import DataError
from keras_gen.recipes import RECIPES, VAE_RECIPES
from keras_gen.utils.precision import dtype_policy


def run_train(args):
    """Runs `keras-gen train` from parsed arguments; returns the output folder."""
    from keras_gen import data, recipes, training

    out_dir = args.out or os.path.join("runs", args.model)
    if args.continue_run:
        return _continue_run(args, out_dir)
    training.refuse_finished_run(out_dir, args.overwrite)  # before the data loads
    images, labels = data.load_arrays(args.dataset, image_size=args.image_size, limit=args.limit)
    _check_image_shape_for_cli(args, images.shape[1:])
    num_classes = int(labels.max()) + 1
    conditional = (RECIPES.get(args.model, {}).get("head")
                   or VAE_RECIPES.get(args.model, {}).get("conditional"))
    if conditional and num_classes < 2:  # else "num_classes must be an int >= 2", from deep down
        raise DataError(f"{args.model} is class-conditional and needs at least 2 classes; "
                        f"{args.dataset!r} has one: its images have no class labels (a TFDS "
                        "dataset without them, as celeb_a, or a folder of images without class "
                        "subfolders). Train dcgan or vae on it, or a dataset with labels (an "
                        "image folder: one subfolder per class).")
    dataset = data.from_arrays(images, labels, batch_size=args.batch_size, seed=args.seed,
                               description=f"dataset {args.dataset!r}")
    # A conditional model keeps its dataset's class names (sample --label dogs).
    class_names = (class_labels.class_names_of(args.dataset, num_classes) if conditional
                   else None)
    common = dict(image_shape=images.shape[1:], width=args.width, seed=args.seed,
                  jit_compile=bool(args.jit), num_classes=num_classes if conditional else None,
                  class_names=class_names)
    if args.learning_rate:  # else the recipe's own
        common["learning_rate"] = args.learning_rate
    if args.model in VAE_RECIPES and args.loss:
        raise ValueError(f"--loss chooses a GAN loss; {args.model} is in the VAE family.")
    with dtype_policy(args.precision):  # the layers take it as they are made
        if args.model in VAE_RECIPES:
            model = recipes.build_vae(args.model, latent_dim=args.latent_dim or 16, **common)
        else:
            model = recipes.build_gan(args.model, latent_dim=args.latent_dim or 64,
                                      loss=args.loss, **common)
        if conditional:
            class_labels.record_class_names(args.dataset, num_classes, out_dir)
        training.train(model, dataset, out_dir, epochs=args.epochs, grid_every=args.grid_every,
                       checkpoint_every=args.checkpoint_every, grid_seed=args.seed,
                       tensorboard=args.tensorboard, overwrite=args.overwrite)
    print(f"Wrote {out_dir}/model.keras, {out_dir}/history.json and grids in {out_dir}/samples/")
    return out_dir


def _continue_run(args, out_dir, monitor_for=None):
    """`--continue`: trains the finished run in `out_dir` on to --epochs; returns `out_dir`.

    The model and its training settings are the run's (its model.keras); the data options are
    read, the data resized to the model's images. `monitor_for(image_shape)` gives a
    `QualityMonitor` or None.
    """
    from keras_gen import data, training

    if args.overwrite:
        raise ValueError("--continue trains the run in --out on and --overwrite starts it "
                         "afresh: pass one of them.")
    model = training.load_run(out_dir)
    images, labels = data.load_arrays(args.dataset, image_size=model.image_shape[0],
                                      channels=model.image_shape[-1], limit=args.limit)
    dataset = data.from_arrays(images, labels, batch_size=args.batch_size, seed=args.seed,
                               description=f"dataset {args.dataset!r}")
    monitor = monitor_for(model.image_shape) if monitor_for else None
    done = training.epochs_done(out_dir)
    training.continue_training(model, dataset, out_dir, epochs=args.epochs,
                               grid_every=args.grid_every, checkpoint_every=args.checkpoint_every,
                               grid_seed=args.seed, tensorboard=args.tensorboard,
                               callbacks=[monitor] if monitor else ())
    print(f"Trained {out_dir} on from epoch {done} to {args.epochs}; wrote "
          f"{out_dir}/model.keras")
    _print_best(monitor)
    return out_dir


def _check_image_shape_for_cli(args, image_shape):
    """Refuses images the networks cannot make, naming `--image-size` (the networks' own
    error speaks of `image_shape`, which a command-line user never passed)."""
    from keras_gen.networks.dcgan import check_image_shape

    try:
        check_image_shape(tuple(int(side) for side in image_shape))
    except ValueError:
        height, width = image_shape[:2]
        fix = (f"--image-size {args.image_size} is not such a size: pass e.g. --image-size 32"
               if args.image_size else "pass --image-size to resize them (e.g. --image-size 32)")
        raise DataError(
            f"{args.dataset!r} gives {height}x{width} images, which the {args.model} networks "
            "cannot make: they make square images whose side halves at least once to 4 or more "
            f"(28, 32, 64, ...); {fix}.") from None


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
    from keras_gen.data.transforms import to_unit_range
    from keras_gen.saving import load_model_or_preset
    from keras_gen.utils import save_image_grid

    model = load_model_or_preset(args.model_file)
    if not hasattr(model, "reconstruct"):
        raise ValueError(f"{args.model_file} holds a {type(model).__name__}, which does not "
                         "reconstruct; use a vae, cvae or vaegan model.")
    size = model.image_shape[0]
    images, labels = data.load_arrays(args.dataset, split=_held_out_split(args.dataset),
                                      image_size=size, channels=model.image_shape[-1])
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
    print(f"Reconstructed {len(originals)} held-out images of {args.dataset}: mean squared error "
          f"{error:.4f} (images in [-1, 1]). Wrote {args.out}")
    return error


def run_presets(args):
    """Runs `keras-gen presets`; returns the metadata dict."""
    import json

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
    return found


def _with_dataset_classes(model, labels, args):
    """The preset, with its classes reset to the dataset's under `--reset-classes`, and named
    as the dataset names them (an image folder's subfolders, a CIFAR folder's metadata)."""
    from keras_gen import transfer

    preset_classes = getattr(model, "num_classes", None)
    dataset_classes = int(labels.max()) + 1
    if args.reset_classes:
        num_classes = max(dataset_classes, 2)
        names = class_labels.class_names_of(args.dataset, num_classes)
        return transfer.reset_classes(model, num_classes, class_names=names)
    if preset_classes is not None and dataset_classes > preset_classes:
        raise ValueError(
            f"The dataset {args.dataset!r} has {dataset_classes} classes (labels 0 to "
            f"{dataset_classes - 1}), but {args.preset!r} knows {preset_classes}. Pass "
            "--reset-classes to learn the dataset's classes afresh."
        )
    if preset_classes is not None and class_labels.dataset_class_names(args.dataset):
        # The dataset's classes take the preset's labels 0, 1, ...: the preset's names no longer
        # say what they are (cgan_fashion_mnist's class 1, "Trouser", now learns the dogs).
        model.class_names = class_labels.class_names_of(args.dataset, preset_classes)
    elif class_labels.names_say_more_than_numbers(getattr(model, "class_names", None)):
        # Right on more of the preset's own kind of data, wrong on other data, and only the user
        # knows which this is (cgan_fashion_mnist fine-tuned on digits calls a 7 "Sneaker").
        shown = ", ".join(f"{label} {name}" for label, name in enumerate(model.class_names[:3]))
        print(f"{args.dataset!r} names no classes, so the model keeps the preset's names for "
              f"its labels ({shown}, ...). If its labels mean other classes, pass "
              "--reset-classes: new classes, unnamed, each starting at the old ones' average.")
    return model


def run_finetune(args):
    """Runs `keras-gen finetune`; returns the output folder."""
    from keras_gen import data, training, transfer
    from keras_gen.saving import load_model_or_preset

    out_dir = args.out or os.path.join("runs", f"finetune_{_run_name(args.preset)}")
    if args.continue_run:
        return _continue_run(args, out_dir, lambda shape: _finetune_monitor(args, shape, out_dir))
    training.refuse_finished_run(out_dir, args.overwrite)  # before the preset and data load
    # A preset, or a model of the user's own (runs/dcgan/model.keras was an "Unknown preset").
    model = load_model_or_preset(args.preset, compile_preset=True, dtype=args.precision)
    transfer.check_finetune_options(model, args.freeze_d, args.ada)  # before the data loads
    if args.reset_classes and getattr(model, "num_classes", None) is None:
        raise ValueError(f"--reset-classes is for conditional presets; {args.preset!r} is "
                         "unconditional and ignores labels. Drop --reset-classes.")
    images, labels = data.load_arrays(args.dataset, image_size=model.image_shape[0],
                                      channels=model.image_shape[-1], limit=args.limit)
    # A folder of colour photos became 28x28 grey for an MNIST preset without a word.
    height, width, channels = model.image_shape
    print(f"Fine-tuning {args.preset} on {len(images)} images of {args.dataset}, read as its "
          f"{height}x{width} {'grey' if channels == 1 else 'RGB'} images")
    model = _with_dataset_classes(model, labels, args)
    dataset = data.from_arrays(images, labels, batch_size=args.batch_size, seed=args.seed,
                               description=f"dataset {args.dataset!r}")
    model = transfer.prepare_finetune(model, freeze_d=args.freeze_d, ada=args.ada,
                                      learning_rate=args.learning_rate)
    if getattr(model, "num_classes", None):
        class_labels.record_class_names(args.dataset, model.num_classes, out_dir)
    # Built before training, so a bad --reference or --domain fails in seconds, not after it.
    monitor = _finetune_monitor(args, model.image_shape, out_dir)
    training.train(model, dataset, out_dir, epochs=args.epochs, grid_every=args.grid_every,
                   checkpoint_every=args.checkpoint_every, grid_seed=args.seed,
                   tensorboard=args.tensorboard, callbacks=[monitor] if monitor else (),
                   overwrite=args.overwrite)
    print(f"Fine-tuned {args.preset} on {len(images)} images of {args.dataset}; wrote {out_dir}")
    _print_best(monitor)
    return out_dir


def _print_best(monitor):
    if monitor and monitor.best_fid < float("inf"):
        # The epoch is unknown when a resume had to score the best model again.
        when = f" at epoch {monitor.best_epoch}" if monitor.best_epoch else ""
        print(f"Best FID {monitor.best_fid:.3f}{when}: {monitor.best_path}")


def _run_name(source):
    """The name `finetune`'s default `--out` takes from what it fine-tunes.

    `dcgan_mnist` for a preset, `gan` for `gan.keras`; the files `train` writes are named after
    their run: `dcgan` for `runs/dcgan/model.keras`, `dcgan_best` for `runs/dcgan/best.keras`
    and `dcgan_last` for `runs/dcgan/checkpoints/last.keras` (`last` named no run: every run's
    checkpoint was fine-tuned into one `runs/finetune_last`).
    """
    stem = os.path.splitext(os.path.basename(os.path.normpath(source)))[0]
    if not source.endswith(".keras"):
        return stem
    folder = os.path.dirname(os.path.abspath(source))
    if stem == "last" and os.path.basename(folder) == "checkpoints":
        folder = os.path.dirname(folder)
    elif stem not in ("model", "best"):
        return stem
    run = os.path.basename(folder)
    if not run:  # a file at the file system's root
        return stem
    return run if stem == "model" else f"{run}_{stem}"


def _finetune_monitor(args, image_shape, out_dir):
    """The `QualityMonitor` that `--monitor-every` asks for (best: OUT/best.keras), or None."""
    from keras_gen.callbacks import QualityMonitor
    from keras_gen.metrics.evaluate import minimum_samples

    if args.monitor_every and args.monitor_samples < minimum_samples():
        # Before the reference's features are computed; QualityMonitor names its Python argument.
        raise ValueError(f"--monitor-samples must be at least {minimum_samples()} (what evaluate "
                         f"scores); thousands give numbers that mean something. Received: "
                         f"{args.monitor_samples}")
    if not args.monitor_every:
        if args.reference or args.domain or args.inception_weights:
            raise ValueError("--reference, --domain and --inception-weights choose what "
                             "--monitor-every scores against; add --monitor-every N.")
        return None
    from keras_gen.data import is_image_folder

    if not args.reference and is_image_folder(args.dataset):
        raise ValueError(
            f"--monitor-every scores against held-out images, and {args.dataset!r} is an image "
            "folder (one split, all used for training): pass --reference with a folder of "
            "held-out images, or a dataset with a test split.")
    # Fine-tuning overshoots on small sets (FID rises again after ~1,500 steps on 1,000
    # Fashion-MNIST images), so the best checkpoint is worth keeping, not only the last.
    reference = _reference_statistics(args.reference or args.dataset, args.domain,
                                      args.inception_weights, image_shape)
    return QualityMonitor(reference, num_samples=args.monitor_samples, every=args.monitor_every,
                          seed=args.seed, best_path=os.path.join(out_dir, "best.keras"))


def _held_out_split(source):
    """The split of `source` a command scores against: `"test"`, or all of an image folder.

    An image folder has one split, and one passed to score against is held out by its user;
    `keras-gen evaluate` and `reconstruct` asked every source for "test" and refused folders.
    """
    from keras_gen.data import is_image_folder

    return "train" if is_image_folder(source) else "test"


def _reference_statistics(source, domain, inception_weights, image_shape=None):
    """`ReferenceStatistics` of `source`'s held-out images (`_held_out_split`).

    The features are `domain`'s, which defaults to the source's name or folder name (`"mnist"`
    for `../shared/data/mnist`); `image_shape` resizes the images to a model's (None: as stored).
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
    images, labels = data.load_arrays(source, split=_held_out_split(source), image_size=size,
                                      channels=channels)
    return metrics.ReferenceStatistics(to_unit_range(images).numpy(), domain, labels,
                                       inception_weights)


def _export_one(model_file, name, out, version=None, precision=None):
    """Exports a .keras file or a preset as OUT/NAME/<version>/, computing in `precision` (None:
    the model's own dtype policy); returns the version's path."""
    from keras_gen import export, presets
    from keras_gen.saving import load_model_or_preset

    is_keras_file = model_file.endswith(".keras")
    if is_keras_file and not name:
        raise ValueError("--name is required for a .keras file: the model's name in TF Serving "
                         "(its folder and URL path).")
    name = name or os.path.basename(os.path.normpath(presets.resolve(model_file)))
    try:
        export.check_model_name(name)  # before the model loads
    except ValueError as error:
        raise ValueError(f"--name: {error}") from None
    model = load_model_or_preset(model_file, dtype=precision)
    path = export.export_saved_model(model, os.path.join(out, name), version)
    print(f"Exported {model_file} to {path} (checked through the SavedModel session loader)")
    return path


def run_export(args):
    """Runs `keras-gen export`; returns the new versions' paths."""
    from keras_gen import export, presets

    if args.all_presets == bool(args.model_file):
        raise ValueError("keras-gen export takes either MODEL (a .keras file or a preset) or "
                         "--all-presets, not both or neither.")
    if args.all_presets and (args.name or args.version):
        raise ValueError("--name and --version apply to one MODEL; --all-presets exports each "
                         "preset under its own name as the next version.")
    jobs = sorted(presets.builtin_presets()) if args.all_presets else [args.model_file]
    paths = [_export_one(job, args.name, args.out, args.version, args.precision)
             for job in jobs]
    print(f"Updated {export.write_models_config(args.out)}")
    return paths


def run_serve(args):
    """Runs `keras-gen serve` until interrupted."""
    import tensorflow as tf

    from keras_gen.serving import LocalServer

    # Before any model loads: TensorFlow fixes its thread pools when its runtime starts.
    tf.config.threading.set_intra_op_parallelism_threads(args.intra_op_threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.inter_op_threads)
    server = LocalServer(args.model_dir, host=args.host, port=args.port, threads=args.threads,
                         max_load_retries=args.max_load_retries,
                         load_retry_seconds=args.load_retry_seconds, max_batch=args.max_batch)
    print(f"Serving {args.model_dir} at {server.url} (TF Serving REST API; TensorFlow threads: "
          f"intra-op {tf.config.threading.get_intra_op_parallelism_threads() or 'auto'}, "
          f"inter-op {tf.config.threading.get_inter_op_parallelism_threads() or 'auto'}). "
          "Ctrl-C stops.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()


def run_evaluate(args):
    """Runs `keras-gen evaluate`; returns the scores dict."""
    from keras_gen import metrics
    from keras_gen.saving import load_model_or_preset
    from keras_gen.utils import write_json_atomic

    reference = _reference_statistics(args.dataset, args.domain, args.inception_weights)
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
