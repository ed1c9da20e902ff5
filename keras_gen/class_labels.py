"""Class names of a conditional run: its dataset's, its classes.json, and `--label`.

`keras-gen train` and `finetune` give a conditional model the class names its dataset gives (an
image folder's subfolders, a CIFAR folder's metadata, a named dataset's published names) and
write them to `OUT/classes.json`; `keras-gen sample --label dogs` looks a name up in the model,
then in that file (models saved before keras_gen kept the names).
"""

import os

from keras_gen.utils.arguments import name_suggestion


def dataset_class_names(dataset):
    """The names `dataset` gives its labels, label by label; [] where it gives none.

    An image folder's class subfolders, a CIFAR folder's metadata, or a named dataset's
    published names (`"fashion_mnist"`'s "Sneaker", `"cifar10"`'s "cat"; a TFDS dataset's as
    TFDS records them: `data.sources.named_class_names`). IDX files and `.npz` arrays name none,
    and names that are only the labels' numbers (MNIST's) tell nothing.

    Example:

    ```python
    dataset_class_names("fashion_mnist")[7]  # "Sneaker"
    ```
    """
    from keras_gen import data
    from keras_gen.data.readers import local_class_names
    from keras_gen.data.sources import named_class_names

    if data.looks_like_path(dataset):
        return local_class_names(dataset)
    names = named_class_names(dataset)
    return names if names_say_more_than_numbers(names) else []


def names_say_more_than_numbers(names):
    """Whether class names tell more than their labels' numbers: not MNIST's "0" to "9", and
    not none at all.

    Example:

    ```python
    names_say_more_than_numbers(["0", "1"]), names_say_more_than_numbers(["cats", "dogs"])
    # False, True
    ```
    """
    names = list(names or ())
    return bool(names) and names != [str(label) for label in range(len(names))]


def class_names_of(dataset, num_classes):
    """`dataset_class_names(dataset)` when it names each of `num_classes` labels, else None."""
    names = dataset_class_names(dataset)
    return names if names and len(names) == num_classes else None


def record_class_names(dataset, num_classes, out_dir):
    """Prints which class each label is and writes OUT/classes.json, for a dataset that names
    its classes (`dataset_class_names`).

    A conditional model learns labels, and `--label i` asks for the i-th class by number:
    nothing else tells a user that 1 is "dogs". Returns the JSON's path, or None for a dataset
    without class names (IDX files, .npz).
    """
    from keras_gen.utils import write_json_atomic

    names = dataset_class_names(dataset)[:num_classes]
    if not names:
        return None
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "classes.json")
    write_json_atomic(path, {"class_names": names})
    print(f"Classes (sample one with --label N): "
          f"{', '.join(f'{label} {name}' for label, name in enumerate(names))}; in {path}")
    return path


def label_number(label, model, model_file):
    """`--label` as a number: a class name of the model (or of the run's classes.json), or the
    number given, refused with the model's classes unless it is one of them.

    A conditional model trained on an image folder keeps its class names, so `--label dogs`
    works where `--label 1` means dogs; `record_class_names` also writes them to classes.json
    beside the model, which models saved before keras_gen stored the names need. A name comes
    first: with folders "1", "10" and "2", `--label 10` is the folder "10" (label 1).
    """
    import json

    from keras_gen import presets

    if label is None:
        return None
    names, where = list(getattr(model, "class_names", None) or []), "the model's class names"
    if not names:
        # Beside a .keras file; inside a preset's folder.
        folder = (os.path.dirname(os.path.abspath(model_file)) if model_file.endswith(".keras")
                  else presets.resolve(model_file))
        where = os.path.join(folder, "classes.json")
        if os.path.isfile(where):
            with open(where) as handle:
                names = json.load(handle)["class_names"]
    if label in names:
        return names.index(label)
    if label.lstrip("-").isdigit():
        return _class_number(int(label), model, model_file, names)
    if not names:
        raise ValueError(f"--label {label!r} is not a number, and {model_file} names no classes "
                         "(neither in the model nor in a classes.json beside it: a run on an "
                         "image folder keeps them). Pass the class's number.")
    raise ValueError(f"--label {label!r} is not one of the classes in {where}: {names}."
                     f"{name_suggestion([label], names)}")


def _class_number(number, model, model_file, names):
    """`number` once it is one of `model`'s classes; refused naming them, as `--label`."""
    num_classes = model.num_classes
    if 0 <= number < num_classes:
        return number
    # Else generate's "labels must lie in [0, 10)", which named neither --label nor the model.
    named = (f", or named: {', '.join(names)}"
             if len(names) == num_classes and names_say_more_than_numbers(names) else "")
    raise ValueError(f"--label {number} is not a class of {model_file}: its {num_classes} "
                     f"classes are numbered 0 to {num_classes - 1}{named}.")
