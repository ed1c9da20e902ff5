"""Folders of images: one subfolder per class, or images alone (one class), read as Keras'
`image_dataset_from_directory` reads them."""

import itertools
import os
import re
import warnings

import numpy as np

from keras_gen.data.transforms import convert_images
from keras_gen.errors import DataError

# WebP, common in images from the web, was skipped without a word; TensorFlow's decode_image
# reads it (2.20 and 2.21, the versions setup.cfg allows; 2.16 did not), though Keras'
# image_dataset_from_directory still skips it.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def read_image_folder(folder, split="train", image_size=None, channels=None, limit=None):
    """Reads a folder with one subfolder of images per class, or a folder of images.

    Classes are the subfolder names in sorted order, so label `i` is the i-th
    name, and a class's nested subfolders hold images of that class too; images
    directly in `folder`, without subfolders, are one class (label 0).
    Hidden subfolders and files (`.ipynb_checkpoints`, `._name.jpg`) are skipped.
    Images come from each class in turn (sorted by file name within a class), so the
    first N of them (`limit=N`) hold every class.
    All images must share one size (pass `image_size` to `keras_gen.data.load`
    to resize mixed sizes); grey images among colour ones are made RGB.

    Args:
        folder: str. `folder/<class_name>/*.png|jpg|jpeg|bmp|gif|webp`, or `folder/*.png|...`.
        split: str. Only `"train"`: an image folder has a single split.
        image_size: optional int. Resize every image to `image_size` squared.
        channels: optional int, 1 or 3. Convert every image to this many channels.
        limit: optional int. Decode only the first `limit` images (taken from each class in
            turn): a thousand of a folder of fifty thousand photos reads a thousand files.

    Returns:
        `(images, labels)` as uint8 NHWC and int32.

    Example:

    ```python
    images, labels = read_image_folder("my_sketches/")
    ```
    """
    import tensorflow as tf  # Deferred: only image folders need TF's decoders here.

    if split != "train":
        raise DataError(
            f"An image folder has a single split, 'train'. Received: split={split!r}. "
            "Put test images in a separate folder and load that one with split='train' (the "
            "keras-gen commands that score against held-out images read all of a folder)."
        )
    images, labels = [], []
    labelled, class_names = _labelled_image_files(folder)
    for label, file_path in labelled[:limit]:
        try:
            image = tf.io.decode_image(tf.io.read_file(file_path), expand_animations=False).numpy()
        except tf.errors.OpError as error:
            # TensorFlow's message carries its op's internals ("{{function_node
            # __wrapped__DecodeImage_device_...}} ... [Op:DecodeImage]") around the reason.
            reason = re.sub(r"\{\{.*?\}\}|\[Op:.*$", "", error.message, flags=re.S).strip()
            raise DataError(f"Cannot decode image {file_path!r}: {reason} Replace or remove "
                            "the file.") from error
        if image.shape[-1] in (2, 4):  # PNGs often carry an alpha channel (after L or RGB)
            image = image[..., :-1]
        if image_size is not None or channels is not None:
            image = convert_images(image[None], image_size, channels, source=file_path)[0]
        images.append((file_path, image))
        labels.append(label)
    present = set(labels)
    empty = [name for label, name in enumerate(class_names) if label not in present]
    if empty:
        # Their labels stay theirs (as in Keras' image_dataset_from_directory), so a
        # conditional model would be asked to draw classes it never saw.
        warnings.warn(f"Class folders {empty} of {folder!r} gave no images"
                      f"{' within limit=' + str(limit) if limit else ''}; a conditional model "
                      "will not learn those classes. Add images, or remove the folders.",
                      stacklevel=2)
    if channels is None and {image.shape[-1] for _, image in images} == {1, 3}:
        # A few grey JPEGs among colour photos are common, and the command line has no
        # channel option: all are made RGB, as Keras' `image_dataset_from_directory` reads
        # every image (color_mode="rgb").
        images = [(path, convert_images(image[None], channels=3, source=path)[0])
                  for path, image in images]
    return _stack_images(images, folder), np.asarray(labels, dtype=np.int32)


def image_folder_class_names(folder):
    """The class names of an image folder, by label: `names[i]` is the subfolder of label `i`.

    Args:
        folder: str. A folder `keras_gen.data.load` reads as images.

    Returns:
        list of str. Empty for a folder of images without class subfolders (one class).

    Example:

    ```python
    image_folder_class_names("pets/")  # ['cats', 'dogs']: label 0 is cats, 1 dogs
    ```
    """
    return _labelled_image_files(folder)[1]


def _labelled_image_files(folder):
    """`([(label, path)], class_names)` of a folder's images: label i for the i-th class name.

    A folder of images without subfolders is one class (label 0): the unconditional case,
    "a few hundred of my own images". Hidden entries are skipped, as Keras'
    `image_dataset_from_directory` skips hidden class folders: Jupyter's `.ipynb_checkpoints`
    sorted first and became class 0, shifting every label; macOS's `._name.jpg` files are
    not images.
    """
    def images_in(directory):
        return [os.path.join(directory, name) for name in sorted(os.listdir(directory))
                if name.lower().endswith(IMAGE_EXTENSIONS) and not name.startswith(".")
                and os.path.isfile(os.path.join(directory, name))]

    names = sorted(name for name in os.listdir(folder)
                   if os.path.isdir(os.path.join(folder, name)) and not name.startswith("."))
    per_class = [[(label, path) for path in _images_within(os.path.join(folder, name), images_in)]
                 for label, name in enumerate(names)]
    # Each class in turn, not class after class: `limit` keeps the first N images, and
    # `finetune --limit 1000` on three classes of 500 dropped the third without a word.
    in_classes = [pair for row in itertools.zip_longest(*per_class) for pair in row if pair]
    at_top = images_in(folder)
    if in_classes and at_top:
        raise DataError(
            f"{folder!r} has images both in class subfolders and beside them (e.g. "
            f"{at_top[0]!r}), so those would have no class. Move them into a class "
            "subfolder, or, for one class, move every image to the top.")
    if not in_classes and not at_top:
        raise DataError(
            f"Found no dataset in {folder!r}: no MNIST IDX files, and no images "
            f"({', '.join(IMAGE_EXTENSIONS)}) in it or in class subfolders. Expected "
            "folder/<class_name>/<image files>, or folder/<image files> for one class."
        )
    if in_classes:
        return in_classes, names
    return [(0, path) for path in at_top], []


def _images_within(class_folder, images_in):
    """The images of a class folder and of its subfolders, hidden ones skipped, in sorted order.

    Keras' `image_dataset_from_directory` reads a class's nested folders too (`dogs/2019/a.jpg`
    is a dog); only the class folder's own images were read, and the rest dropped silently.
    """
    found = []
    for directory, subfolders, _ in os.walk(class_folder):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        found.extend(images_in(directory))
    return found


def _stack_images(named_images, folder):
    first_path, first = named_images[0]
    for file_path, image in named_images[1:]:
        if image.shape != first.shape:
            raise DataError(
                f"Images in {folder!r} differ in shape: {first_path!r} is {first.shape} but "
                f"{file_path!r} is {image.shape}. Resize them to one size, or pass "
                "image_size=... to keras_gen.data.load (--image-size on the command line)."
            )
    stacked = np.stack([image for _, image in named_images])
    if stacked.shape[-1] not in (1, 3):
        raise DataError(
            f"Images in {folder!r} have {stacked.shape[-1]} channels; expected 1 or 3."
        )
    return stacked
