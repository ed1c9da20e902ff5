"""`keras-gen train` and `keras-gen finetune`: a run folder trained from a recipe or a preset."""

import os

from keras_gen import class_labels
from keras_gen.commands import data_options
from keras_gen.commands.scoring import reference_statistics
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
    record = data_options.settle(args, out_dir, reuse=_resumes(out_dir, args.overwrite))
    images, labels = data.load_arrays(args.dataset, split=args.split or "train",
                                      image_size=args.image_size, limit=args.limit)
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
                       tensorboard=args.tensorboard, callbacks=[record],
                       overwrite=args.overwrite)
    print(f"Wrote {out_dir}/model.keras, {out_dir}/history.json and grids in {out_dir}/samples/")
    return out_dir


def _continue_run(args, out_dir, monitor_for=None):
    """`--continue`: trains the finished run in `out_dir` on to --epochs; returns `out_dir`.

    The model and its training settings are the run's (its model.keras); the data options are
    the run's too unless given (`data_options`), the data resized to the model's images.
    `monitor_for(image_shape)` gives a `QualityMonitor` or None.
    """
    from keras_gen import data, training

    if args.overwrite:
        raise ValueError("--continue trains the run in --out on and --overwrite starts it "
                         "afresh: pass one of them.")
    model = training.load_run(out_dir)
    record = data_options.settle(args, out_dir, reuse=True)
    images, labels = data.load_arrays(args.dataset, split=args.split or "train",
                                      image_size=model.image_shape[0],
                                      channels=model.image_shape[-1], limit=args.limit)
    dataset = data.from_arrays(images, labels, batch_size=args.batch_size, seed=args.seed,
                               description=f"dataset {args.dataset!r}")
    monitor = monitor_for(model.image_shape) if monitor_for else None
    done = training.epochs_done(out_dir)
    training.continue_training(model, dataset, out_dir, epochs=args.epochs,
                               grid_every=args.grid_every, checkpoint_every=args.checkpoint_every,
                               grid_seed=args.seed, tensorboard=args.tensorboard,
                               callbacks=[monitor, record] if monitor else [record])
    print(f"Trained {out_dir} on from epoch {done} to {args.epochs}; wrote "
          f"{out_dir}/model.keras")
    _print_best(monitor)
    return out_dir


def _resumes(out_dir, overwrite):
    """Whether training into `out_dir` resumes an interrupted run (`--overwrite` starts afresh)."""
    from keras_gen.run_folder import is_interrupted

    return not overwrite and is_interrupted(out_dir)


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
    record = data_options.settle(args, out_dir, reuse=_resumes(out_dir, args.overwrite))
    # A preset, or a model of the user's own (runs/dcgan/model.keras was an "Unknown preset").
    model = load_model_or_preset(args.preset, compile_preset=True, dtype=args.precision)
    # Before the data loads.
    transfer.check_finetune_options(model, args.freeze_d, args.ada, args.diffaugment)
    if args.reset_classes and getattr(model, "num_classes", None) is None:
        raise ValueError(f"--reset-classes is for conditional presets; {args.preset!r} is "
                         "unconditional and ignores labels. Drop --reset-classes.")
    images, labels = data.load_arrays(args.dataset, split=args.split or "train",
                                      image_size=model.image_shape[0],
                                      channels=model.image_shape[-1], limit=args.limit)
    # A folder of colour photos became 28x28 grey for an MNIST preset without a word.
    height, width, channels = model.image_shape
    print(f"Fine-tuning {args.preset} on {len(images)} images of {args.dataset}, read as its "
          f"{height}x{width} {'grey' if channels == 1 else 'RGB'} images")
    model = _with_dataset_classes(model, labels, args)
    if args.unfreeze:
        transfer.unfreeze(model)
    saved_frozen = transfer.frozen_layers(model)
    if args.no_augment and getattr(model, "augment", None) is not None:
        model.set_augment(None)
    # What a saved model comes with trains on unless replaced, as its frozen layers do.
    saved_augment = None if args.ada or args.diffaugment else getattr(model, "augment", None)
    dataset = data.from_arrays(images, labels, batch_size=args.batch_size, seed=args.seed,
                               description=f"dataset {args.dataset!r}")
    model = transfer.prepare_finetune(model, freeze_d=args.freeze_d, ada=args.ada,
                                      diffaugment=args.diffaugment,
                                      learning_rate=args.learning_rate)
    # --freeze-d's, and those a saved model of the user's own comes with (it said nothing).
    for line in (frozen_line(transfer.frozen_layers(model), saved_frozen, args.preset,
                             args.freeze_d), augmented_line(saved_augment, args.preset)):
        if line:
            print(line)
    if getattr(model, "num_classes", None):
        class_labels.record_class_names(args.dataset, model.num_classes, out_dir)
    # Built before training, so a bad --reference or --domain fails in seconds, not after it.
    monitor = _finetune_monitor(args, model.image_shape, out_dir)
    training.train(model, dataset, out_dir, epochs=args.epochs, grid_every=args.grid_every,
                   checkpoint_every=args.checkpoint_every, grid_seed=args.seed,
                   tensorboard=args.tensorboard,
                   callbacks=[monitor, record] if monitor else [record], overwrite=args.overwrite)
    print(f"Fine-tuned {args.preset} on {len(images)} images of {args.dataset}; wrote {out_dir}")
    _print_best(monitor)
    return out_dir


def frozen_line(frozen, saved_frozen, source, freeze_d):
    """What `finetune` prints of the layers that stay frozen, or None if none do.

    Args:
        frozen: list of str. The frozen layers' paths (`transfer.frozen_layers`).
        saved_frozen: list of str. Those frozen as `source` was saved.
        source: str. The preset, folder or .keras file fine-tuned.
        freeze_d: int. `--freeze-d`, which freezes blocks whatever `--unfreeze` does.

    Example:

    ```python
    frozen_line(["discriminator/block_0"], [], "dcgan_mnist", 1)
    ```
    """
    if not frozen:
        return None
    line = f"Frozen (not trained): {', '.join(frozen)}"
    if not saved_frozen:
        return line
    which = "" if saved_frozen == frozen else f"{', '.join(saved_frozen)} "
    trains = "those that --freeze-d does not freeze" if freeze_d else "them"
    return f"{line} ({which}as {source} was saved; --unfreeze trains {trains})"


def augmented_line(augment, source):
    """What `finetune` prints of the augmentation `source` was saved with, or None if none.

    Args:
        augment: the saved model's `augment` layer (`AdaptiveAugment`, `DiffAugment`, a layer
            of the user's own), or None.
        source: str. The preset, folder or .keras file fine-tuned.

    Example:

    ```python
    augmented_line(AdaptiveAugment(initial_p=0.25), "m.keras")  # "Augmented: ADA, p = 0.250 ..."
    ```
    """
    from keras_gen.transfer import AdaptiveAugment, DiffAugment

    if augment is None:
        return None
    if isinstance(augment, AdaptiveAugment):  # p carries on from where the saved run left it
        what = f"ADA, p = {float(augment.p.numpy()):.3f}"
    elif isinstance(augment, DiffAugment):
        what = f"DiffAugment with {', '.join(augment.policy)}"
    else:
        what = type(augment).__name__
    return f"Augmented: {what} (as {source} was saved; --no-augment trains without it)"


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
        if args.reference or args.reference_split or args.domain or args.inception_weights:
            raise ValueError("--reference, --reference-split, --domain and --inception-weights "
                             "choose what --monitor-every scores against; add --monitor-every N.")
        return None
    from keras_gen.data import is_image_folder

    if not args.reference and is_image_folder(args.dataset):
        raise ValueError(
            f"--monitor-every scores against held-out images, and {args.dataset!r} is an image "
            "folder (one split, all used for training): pass --reference with a folder of "
            "held-out images, or a dataset with a test split.")
    # Fine-tuning overshoots on small sets (FID rises again after ~1,500 steps on 1,000
    # Fashion-MNIST images), so the best checkpoint is worth keeping, not only the last.
    reference = reference_statistics(args.reference or args.dataset, args.domain,
                                     args.inception_weights, image_shape[0], image_shape[-1],
                                     args.reference_split)
    return QualityMonitor(reference, num_samples=args.monitor_samples, every=args.monitor_every,
                          seed=args.seed, best_path=os.path.join(out_dir, "best.keras"))
