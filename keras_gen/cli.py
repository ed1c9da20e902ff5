"""`keras-gen`: a thin command-line layer over the library.

Every command is one library call (`recipes.build_gan`, `training.train`,
`utils.save_image_grid`), so tests make the same calls directly.
"""

import argparse
import sys

from keras_gen.commands.data_options import DEFAULTS
from keras_gen.data import EMBEDDED_DATASET
from keras_gen.losses import LOSS_PAIRS
from keras_gen.recipes import RECIPES, VAE_RECIPES
from keras_gen.utils.arguments import (file_path, non_negative_float, non_negative_int,
                                       png_path, positive_float, positive_int, seed_int)
from keras_gen.utils.precision import PRECISIONS

_DESCRIPTION = """keras-gen: train, sample and inspect image generators.

Examples:
  keras-gen train dcgan                                 # digits, offline, a few minutes
  keras-gen train dcgan --dataset ../shared/data/mnist --epochs 20 --out runs/dcgan_mnist
  keras-gen sample runs/dcgan/model.keras -n 64 --seed 0 --out grid.png
  keras-gen evaluate runs/dcgan_mnist/model.keras --dataset ../shared/data/mnist
  keras-gen train vae && keras-gen reconstruct runs/vae/model.keras --out recon.png
  keras-gen export runs/dcgan/model.keras --name dcgan_digits --out saved_models
  keras-gen export --all-presets --out saved_models       # the whole pretrained zoo
  keras-gen serve saved_models --port 8501
"""


def build_parser():
    """Returns the `keras-gen` argument parser (exposed for tests and docs).

    Example:

    ```python
    args = build_parser().parse_args(["train", "dcgan", "--epochs", "1"])
    ```
    """
    parser = argparse.ArgumentParser(
        prog="keras-gen", description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_train_command(commands)
    _add_sample_command(commands)
    _add_reconstruct_command(commands)
    _add_export_command(commands)
    _add_serve_command(commands)
    _add_presets_command(commands)
    _add_finetune_command(commands)
    _add_evaluate_command(commands)
    return parser


def _add_train_command(commands):
    """Adds `keras-gen train` to the subcommands."""
    train = commands.add_parser(
        "train", help="train a model from a recipe",
        description="Train a model and write checkpoints, sample grids, history.json and "
                    "model.keras to --out. An interrupted run resumes when run again; "
                    "--continue trains a finished one on.")
    train.add_argument("model", choices=sorted(RECIPES) + sorted(VAE_RECIPES),
                       help="recipe to train: GANs (dcgan, sngan, wgan_gp, cgan, acgan) or the "
                            "VAE family (vae, cvae, vaegan)")
    train.add_argument("--dataset", "--data", dest="dataset", metavar="NAME_OR_PATH",
                       help="'digits' (embedded, default), a TFDS name such as 'mnist' or "
                            "'lsun/bedroom' (needs network, unless TFDS prepared it or "
                            "keras.datasets left it in Keras' cache; photos of many sizes need "
                            "--image-size), or a local path: a folder of IDX .gz files, "
                            "a CIFAR folder (cifar-10-batches-py), an .npz, or an image folder "
                            "with one subfolder per class")
    train.add_argument("--loss", choices=sorted(LOSS_PAIRS), help="override the recipe's loss")
    train.add_argument("--epochs", type=positive_int, default=60, help="default: %(default)s")
    train.add_argument("--batch-size", type=positive_int,
                       help=f"default: {DEFAULTS['train']['batch_size']}")
    train.add_argument("--latent-dim", type=positive_int,
                       help="latent size (default: 64 for GANs, 16 for the VAE family)")
    train.add_argument("--width", type=positive_int, default=32,
                       help="base channel width of the networks (default: %(default)s)")
    train.add_argument("--image-size", type=positive_int,
                       help="resize images to this size (default: the data's own; digits: 28)")
    train.add_argument("--limit", type=positive_int,
                       help="use only the first N images (of an image folder: from each class "
                            "in turn)")
    _add_split_argument(train, "train")
    train.add_argument("--seed", type=seed_int,
                       help="seed of the weights, data order and noise (default: "
                            f"{DEFAULTS['train']['seed']})")
    train.add_argument("--learning-rate", type=positive_float, default=None,
                       help="every optimizer's learning rate (default: the recipe's, e.g. 2e-4 "
                            "for dcgan); lower it if a run diverges")
    train.add_argument("--jit", action="store_true", help="compile the train step with XLA")
    train.add_argument("--precision", choices=PRECISIONS, default="float32",
                       help="Keras dtype policy to train in (default: %(default)s). "
                            "mixed_bfloat16 is faster on CPUs with AMX and on recent GPUs "
                            "(benchmarks/precision.py); mixed_float16 is for GPUs (on a CPU it "
                            "is far slower)")
    train.add_argument("--out", default=None, help="output folder (default: runs/MODEL)")
    _add_run_arguments(train, "--width, --latent-dim, --loss, --learning-rate, --jit, "
                              "--precision and --image-size",
                       "--dataset, --split, --limit, --batch-size and --seed")


def _add_sample_command(commands):
    """Adds `keras-gen sample` to the subcommands."""
    sample = commands.add_parser(
        "sample", help="write a grid of samples from a .keras file or a preset",
        description="Generate images from a trained model and save them as one PNG grid.")
    sample.add_argument("model_file", metavar="MODEL",
                        help="a .keras file written by keras-gen train or model.save, a "
                             "shipped preset name or a preset folder")
    sample.add_argument("-n", "--num-images", type=positive_int, default=64,
                        help="default: %(default)s")
    sample.add_argument("--seed", type=seed_int, default=0,
                        help="noise seed: the same seed gives the same images (default: "
                             "%(default)s)")
    sample.add_argument("--columns", type=positive_int, help="images per row")
    sample.add_argument("--label",
                        help="class to generate, by number or, for a model trained on an image "
                             "folder, by name from the run's classes.json (conditional models; "
                             "default: one column per class)")
    sample.add_argument("--out", type=png_path, default="samples.png",
                        help="destination PNG (default: %(default)s)")


def _add_reconstruct_command(commands):
    """Adds `keras-gen reconstruct` to the subcommands."""
    reconstruct = commands.add_parser(
        "reconstruct", help="reconstruct test images with a VAE-family model",
        description="Encode and decode -n test images; write a grid with each row of "
                    "originals followed by a row of their reconstructions, and print the mean "
                    "squared error.")
    reconstruct.add_argument("model_file", metavar="MODEL",
                             help="a .keras file or preset (name or folder) of a vae, cvae or "
                                  "vaegan")
    reconstruct.add_argument("--dataset", "--data", dest="dataset", metavar="NAME_OR_PATH",
                             help="images to reconstruct (the test split; all of an image "
                                  "folder). Default: what the run of MODEL trained on (its "
                                  f"data_options.json), else {EMBEDDED_DATASET}")
    _add_split_argument(reconstruct, "test; all of an image folder")
    reconstruct.add_argument("-n", "--num-images", type=positive_int, default=16,
                             help="default: %(default)s")
    reconstruct.add_argument("--seed", type=seed_int, default=0,
                             help="which images are picked (default: %(default)s)")
    reconstruct.add_argument("--out", type=png_path, default="reconstructions.png",
                             help="destination PNG (default: %(default)s)")


def _add_export_command(commands):
    """Adds `keras-gen export` to the subcommands."""
    export = commands.add_parser(
        "export", help="export a model or preset as a TF Serving SavedModel version",
        description="Write OUT/NAME/<version>/ (atomically, checked through TF Serving's loader "
                    "path) and update OUT/models.config. --all-presets exports the whole "
                    "shipped zoo, one model per preset.")
    export.add_argument("model_file", nargs="?", metavar="MODEL",
                        help="a .keras file, a shipped preset name or a preset folder")
    export.add_argument("--name", help="model name in TF Serving (URL path); defaults to the "
                                       "preset's name, required for a .keras file")
    export.add_argument("--all-presets", action="store_true",
                        help="export every shipped preset under its own name")
    export.add_argument("--out", default="saved_models",
                        help="TF Serving model folder (default: %(default)s)")
    export.add_argument("--version", type=positive_int,
                        help="version number (default: one more than the newest)")
    export.add_argument("--precision", choices=PRECISIONS, default=None,
                        help="Keras dtype policy the SavedModel computes in (default: the "
                             "model's own). A model trained with --precision mixed_bfloat16 "
                             "served 3.3x slower at batch 64 with bfloat16 emulated, as on CPUs "
                             "without AVX512-BF16 or AMX (benchmarks/export_precision.py); "
                             "float32 exports the same weights to compute in float32")


def _add_serve_command(commands):
    """Adds `keras-gen serve` to the subcommands."""
    serve = commands.add_parser(
        "serve", help="serve exported models over TF Serving's REST API (no Docker needed)",
        description="A local server speaking TensorFlow Serving's REST API for every model under "
                    "MODEL_DIR; new versions are picked up without a restart.")
    serve.add_argument("model_dir", nargs="?", default="saved_models",
                       help="folder of exported models (default: %(default)s)")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default: loopback only)")
    serve.add_argument("--port", type=int, default=8501,
                       help="default: %(default)s, TF Serving's REST port; 0 picks a free one")
    serve.add_argument("--max-batch", type=positive_int, default=256,
                       help="largest batch a request may send (default: %(default)s)")
    serve.add_argument("--max-body-mb", type=positive_int, default=32,
                       help="largest request body in MiB, counted uncompressed (default: "
                            "%(default)s; TF Serving sets none)")
    serve.add_argument("--threads", type=positive_int, default=8,
                       help="HTTP worker threads (default: %(default)s)")
    serve.add_argument("--intra-op-threads", type=non_negative_int, default=0,
                       help="TensorFlow threads inside one op (TF Serving's "
                            "--tensorflow_intra_op_parallelism; 0 = TensorFlow's choice). "
                            "1 lowers batch-1 latency on small CPUs, raises batch-64's")
    serve.add_argument("--inter-op-threads", type=non_negative_int, default=0,
                       help="TensorFlow ops run at once (TF Serving's "
                            "--tensorflow_inter_op_parallelism; 0 = TensorFlow's choice)")
    serve.add_argument("--max-load-retries", type=non_negative_int, default=5,
                       help="tries after a failed model load before giving up (TF Serving's "
                            "--max_num_load_retries; default 5)")
    serve.add_argument("--load-retry-seconds", type=non_negative_float, default=60.0,
                       help="seconds between those tries (TF Serving's "
                            "--load_retry_interval_micros / 1e6; default 60)")


def _add_presets_command(commands):
    """Adds `keras-gen presets` to the subcommands."""
    presets = commands.add_parser(
        "presets", help="list the shipped pretrained presets",
        description="List the shipped presets with their measured quality.")
    presets.add_argument("--json", action="store_true", help="print the full metadata as JSON")


def _add_finetune_command(commands):
    """Adds `keras-gen finetune` to the subcommands."""
    finetune = commands.add_parser(
        "finetune", help="fine-tune a preset on a (small) dataset",
        description="Start from a preset, optionally freeze the discriminator's lowest blocks "
                    "(FreezeD) and add discriminator augmentation (ADA or DiffAugment) to a GAN, "
                    "and train; writes the same outputs as `train`. A VAE preset fine-tunes "
                    "without either.")
    finetune.add_argument("preset", help="preset name (keras-gen presets), preset folder, or a "
                                         ".keras file of your own (runs/dcgan/model.keras)")
    finetune.add_argument("--dataset", "--data", dest="dataset", metavar="NAME_OR_PATH",
                          help="training images, resized and converted to the preset's image "
                               "shape (28x28 grey for the shipped presets); required, except "
                               "with --continue")
    finetune.add_argument("--limit", type=positive_int,
                          help="use only the first N images (default "
                               f"{DEFAULTS['finetune']['limit']}; of an image folder: from each "
                               "class in turn)")
    _add_split_argument(finetune, "train")
    _add_adaptation_arguments(finetune)
    finetune.add_argument("--learning-rate", type=positive_float, default=None,
                          help="the optimizers' learning rate (default: the preset's recipe)")
    finetune.add_argument("--precision", choices=PRECISIONS, default=None,
                          help="Keras dtype policy to fine-tune in (default: the model's own; "
                               "float32 for the shipped presets); see train --precision")
    finetune.add_argument("--epochs", type=positive_int, default=50, help="default: %(default)s")
    finetune.add_argument("--batch-size", type=positive_int,
                          help=f"default: {DEFAULTS['finetune']['batch_size']}")
    finetune.add_argument("--seed", type=seed_int,
                          help="seed of the data order and noise (default: "
                               f"{DEFAULTS['finetune']['seed']})")
    finetune.add_argument("--out", default=None,
                          help="output folder (default: runs/finetune_PRESET)")
    _add_run_arguments(finetune, "--freeze-d, --unfreeze, --ada, --diffaugment, --no-augment, "
                                 "--reset-classes, --learning-rate and --precision (PRESET only "
                                 "names the default --out)",
                       "--dataset, --split, --limit, --batch-size, --seed and the --monitor-every "
                       "options")
    _add_monitor_arguments(finetune)
    _add_feature_arguments(finetune, "the reference")


def _add_adaptation_arguments(finetune):
    """Adds what `finetune` changes about the model: FreezeD, augmentation, new classes."""
    finetune.add_argument("--freeze-d", type=non_negative_int, default=0, metavar="N",
                          help="freeze the discriminator's lowest N blocks (GAN presets)")
    finetune.add_argument("--unfreeze", action="store_true",
                          help="train every layer, also those a .keras file or preset folder "
                               "was saved with frozen (a run fine-tuned with --freeze-d); "
                               "--freeze-d then freezes its N blocks afresh")
    augment = finetune.add_mutually_exclusive_group()
    augment.add_argument("--ada", action="store_true",
                         help="adaptive discriminator augmentation (GAN presets): a probability "
                              "that follows how much the discriminator overfits")
    augment.add_argument("--diffaugment", action="store_true",
                         help="DiffAugment (GAN presets): colour, translation and cutout on "
                              "every image, the simpler option")
    augment.add_argument("--no-augment", action="store_true",
                         help="train without the augmentation a .keras file or preset folder "
                              "was saved with (a run fine-tuned with --ada)")
    finetune.add_argument("--reset-classes", action="store_true",
                          help="conditional presets: learn the dataset's classes afresh (new "
                               "label embeddings, the rest of the preset kept), for classes that "
                               "differ from the preset's in number or meaning")


def _add_monitor_arguments(finetune):
    """Adds `finetune`'s --monitor-every and the held-out images it scores against."""
    finetune.add_argument("--monitor-every", type=non_negative_int, metavar="N",
                          help="every N epochs, score FID, KID, ... against held-out images and "
                               "keep the best-FID model as OUT/best.keras (default 0: off)")
    finetune.add_argument("--reference", metavar="NAME_OR_PATH",
                          help="held-out images for --monitor-every: a dataset (its test split) "
                               "or a folder of images (default: --dataset's test split)")
    finetune.add_argument("--reference-split", metavar="SPLIT",
                          help="the split of --reference (or --dataset) that --monitor-every "
                               "scores against (default: test), e.g. 'train[90%%:]' of a TFDS "
                               "dataset whose one split is train")
    finetune.add_argument("--monitor-samples", type=positive_int,
                          help="generated images per --monitor-every score (default "
                               f"{DEFAULTS['finetune']['monitor_samples']})")


def _add_evaluate_command(commands):
    """Adds `keras-gen evaluate` to the subcommands."""
    evaluate = commands.add_parser(
        "evaluate", help="score a model's samples: FID, KID, precision/recall, coverage, ...",
        description="Generate --num-samples images and score them against the test split of "
                    "--dataset (all of an image folder) with a feature extractor (--domain). "
                    "Prints a table and writes JSON. Several MODELs are scored against one "
                    "reference, computed once, each with the same --seed: one column each.")
    evaluate.add_argument("model_files", nargs="+", metavar="MODEL",
                          help="a .keras file, a shipped preset name or a preset folder; or "
                               "several, to compare them")
    evaluate.add_argument("--dataset", "--data", dest="dataset", required=True,
                          metavar="NAME_OR_PATH",
                          help="reference data (its test split; all of an image folder)")
    _add_split_argument(evaluate, "test; all of an image folder")
    evaluate.add_argument("--image-size", type=positive_int,
                          help="resize the reference images to this size (default: as stored); "
                               "photos of many sizes (tf_flowers) need it")
    _add_feature_arguments(evaluate, "the dataset")
    evaluate.add_argument("--num-samples", type=positive_int, default=10000,
                          help="generated images to score (default: %(default)s)")
    evaluate.add_argument("--seed", type=seed_int, default=0,
                          help="seed of the samples (default: %(default)s)")
    evaluate.add_argument("--out", type=file_path, default=None,
                          help="JSON destination of one MODEL (default: beside each MODEL, "
                               "with .metrics.json)")


def _add_run_arguments(parser, model_options, data_options):
    """Adds what `train` and `finetune` share: grids, checkpoints, --overwrite and --continue.

    `model_options` names the options that set up the model, which --continue does not read;
    `data_options` those it reads from the run unless given.
    """
    parser.add_argument("--grid-every", type=positive_int, default=10,
                        help="epochs between sample grids (default: %(default)s)")
    parser.add_argument("--checkpoint-every", type=positive_int, default=5,
                        help="epochs between checkpoints and backups (default: %(default)s)")
    parser.add_argument("--tensorboard", action="store_true", help="also write TensorBoard logs")
    parser.add_argument("--overwrite", action="store_true",
                        help="train afresh over a finished run in --out (its model.keras and "
                             "history are replaced, its grids, last checkpoint, best.keras "
                             "and TensorBoard events discarded; without it such a folder is "
                             "refused), or over an interrupted one (its backup is discarded; "
                             "without it the run resumes)")
    parser.add_argument("--continue", dest="continue_run", action="store_true",
                        help="train the finished run in --out on, to --epochs in all, with its "
                             "optimizers' state; its history and grids number on. The model and "
                             f"its settings are its model.keras: {model_options} are not read. "
                             f"The data options ({data_options}) are the run's own unless given, "
                             "here and when an interrupted run resumes")


def _add_split_argument(parser, default):
    """Adds --split: which split of --dataset the command reads (`default` describes it)."""
    parser.add_argument("--split", default=None,
                        help=f"split of --dataset to read (default: {default}). A TFDS dataset "
                             "takes any split or slice TFDS reads (validation, 'train[:90%%]', "
                             "'train[90%%:]'); local data has train and test")


def _add_feature_arguments(parser, whose):
    """Adds --domain and --inception-weights: the feature extractor that FID etc. use."""
    parser.add_argument("--domain", help="feature extractor: mnist, fashion_mnist, digits or "
                                         f"inception (default: {whose}'s name or folder name)")
    parser.add_argument("--inception-weights",
                        help="a local copy of InceptionV3's notop ImageNet weights (.h5) for "
                             "--domain inception (default: Keras downloads them once)")


def main(argv=None):
    """Entry point of the `keras-gen` console script; returns the exit code.

    Example:

    ```python
    main(["sample", "runs/dcgan/model.keras", "--out", "grid.png"])
    ```
    """
    args = build_parser().parse_args(argv)
    # The command implementations live in keras_gen.commands; run_<command> handles each.
    from keras_gen import commands
    from keras_gen.errors import DataError
    from keras_gen.training import TrainingDiverged

    try:
        getattr(commands, f"run_{args.command}")(args)
    except (DataError, ValueError, OSError) as error:  # OSError: files, ports, disk space
        print(f"keras-gen {args.command}: error: {error}", file=sys.stderr)
        return 2
    except TrainingDiverged as error:
        print(f"keras-gen {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: a line instead of a page of Keras' traceback
        # The backup is taken every --checkpoint-every epochs (5 by default), not every epoch.
        resume = (" Run the same command again to resume from its last backup (taken every "
                  "--checkpoint-every epochs)."
                  if args.command in ("train", "finetune") else "")
        print(f"keras-gen {args.command}: interrupted.{resume}", file=sys.stderr)
        return 130  # the shell's code for a process ended by SIGINT
    return 0


if __name__ == "__main__":
    sys.exit(main())
