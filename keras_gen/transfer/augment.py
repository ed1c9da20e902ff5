"""Differentiable augmentations for discriminators trained on little data.

Both layers augment real and generated images the same way before the
discriminator sees them, so the generator is not pushed to reproduce the
augmentations ("non-leaking"). Every operation is differentiable with respect
to the images, because the generator's gradient flows through them. Noise is
stateless: `call(images, seed)` with a `(2,)` int64 seed.
"""

import math

import keras
import tensorflow as tf

from keras_gen.utils.arguments import check_positive_int, is_number

OPERATIONS = ("xflip", "translation", "brightness", "saturation", "contrast", "cutout")


def _check_operations(argument, names, known):
    """`names` as a tuple if it is a non-empty sequence of names from `known`, else ValueError."""
    if isinstance(names, str):  # "color" was read letter by letter: "Unknown ['c', 'l', ...]"
        # The DiffAugment paper's code spells its policy "color,translation,cutout".
        split = tuple(name.strip() for name in names.split(",") if name.strip())
        raise ValueError(f"{argument} is a sequence of names; received the string {names!r}. "
                         f"Pass {argument}={split!r}.")
    names = tuple(names)
    if not names:  # the layer would augment nothing while claiming to
        raise ValueError(f"{argument} is empty, so nothing would be augmented; name at least "
                         f"one of {known}, or leave the augmentation out.")
    unknown = set(names) - set(known)
    if unknown:
        raise ValueError(f"Unknown augmentations {sorted(unknown)}; choose from {known}.")
    return names


def _rand(seed, batch, offset):
    return tf.random.stateless_uniform((batch, 1, 1, 1), seed=seed + tf.constant([0, 1], tf.int64)
                                       * offset)


def xflip(images, seed):
    """Mirrors each image left-right with probability 1/2.

    Args:
        images: float tensor `(batch, height, width, channels)`.
        seed: int64 tensor `(2,)`. Stateless: the same seed augments the same way.

    Example:

    ```python
    xflip(images, tf.constant([0, 7], tf.int64))  # about half the images mirrored
    ```
    """
    flip = _rand(seed, tf.shape(images)[0], 1) < 0.5
    return tf.where(flip, tf.reverse(images, axis=[2]), images)


def brightness(images, seed):
    """Adds a per-image offset in [-0.5, 0.5) (DiffAugment's `rand_brightness`).

    Args:
        images: float tensor `(batch, height, width, channels)`.
        seed: int64 tensor `(2,)`. Stateless: the same seed augments the same way.

    Example:

    ```python
    brightness(images, tf.constant([0, 7], tf.int64))
    ```
    """
    return images + (_rand(seed, tf.shape(images)[0], 2) - 0.5)


def saturation(images, seed):
    """Scales each image's distance from its channel mean by [0, 2) (no-op for grayscale).

    Args:
        images: float tensor `(batch, height, width, channels)`.
        seed: int64 tensor `(2,)`. Stateless: the same seed augments the same way.

    Example:

    ```python
    saturation(rgb_images, tf.constant([0, 7], tf.int64))
    ```
    """
    if images.shape[-1] == 1:
        return images
    mean = tf.reduce_mean(images, axis=-1, keepdims=True)
    return mean + (images - mean) * (_rand(seed, tf.shape(images)[0], 3) * 2.0)


def contrast(images, seed):
    """Scales each image's distance from its mean by [0.5, 1.5).

    Args:
        images: float tensor `(batch, height, width, channels)`.
        seed: int64 tensor `(2,)`. Stateless: the same seed augments the same way.

    Example:

    ```python
    contrast(images, tf.constant([0, 7], tf.int64))
    ```
    """
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return mean + (images - mean) * (_rand(seed, tf.shape(images)[0], 4) + 0.5)


def translation(images, seed, ratio=0.125):
    """Shifts each image by up to `ratio` of its size, filling with zeros.

    Args:
        images: float tensor `(batch, height, width, channels)`.
        seed: int64 tensor `(2,)`. Stateless: the same seed augments the same way.
        ratio: float. The largest shift, as a fraction of the height and width.

    Example:

    ```python
    translation(images, tf.constant([0, 7], tf.int64), ratio=0.125)  # up to 4 of 28 pixels
    ```
    """
    batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    shift_y, shift_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    # Whole pixels, each shift equally likely (DiffAugment's `rand_translation`): rounding a
    # uniform offset made the largest shifts half as likely as the others. Seed offsets 5 and 8:
    # 1-4 are xflip's and the colour operations', 6 cutout's, 7 AdaptiveAugment's apply draw.
    dy = tf.random.stateless_uniform((batch,), seed=seed + [0, 5], minval=-shift_y,
                                     maxval=shift_y + 1, dtype=tf.int32)
    dx = tf.random.stateless_uniform((batch,), seed=seed + [0, 8], minval=-shift_x,
                                     maxval=shift_x + 1, dtype=tf.int32)
    return shift(images, dy, dx)


def shift(images, dy, dx):
    """Moves image i down by `dy[i]` and right by `dx[i]` whole pixels, filling with zeros.

    Gathers rows and columns rather than calling TF's `ImageProjectiveTransformV3`, which XLA
    cannot compile: ADA and DiffAugment failed under `compile(jit_compile=True)`.

    Args:
        images: float tensor `(batch, height, width, channels)`.
        dy, dx: int32 tensors `(batch,)`. Negative values move up and left.

    Example:

    ```python
    shift(images, tf.constant([1]), tf.constant([-2]))  # one down, two left
    ```
    """
    height, width = images.shape[1], images.shape[2]
    # Output pixel (y, x) reads input (y - dy, x - dx); reads from outside the image are zeros.
    rows = tf.range(height)[None, :] - dy[:, None]
    columns = tf.range(width)[None, :] - dx[:, None]
    moved = tf.gather(images, tf.clip_by_value(rows, 0, height - 1), axis=1, batch_dims=1)
    moved = tf.gather(moved, tf.clip_by_value(columns, 0, width - 1), axis=2, batch_dims=1)
    inside = (((rows >= 0) & (rows < height))[:, :, None]
              & ((columns >= 0) & (columns < width))[:, None, :])
    return moved * tf.cast(inside, images.dtype)[..., None]


def cutout(images, seed, ratio=0.5):
    """Zeroes one square of `ratio` of the image size at a random place in each image.

    Args:
        images: float tensor `(batch, height, width, channels)`.
        seed: int64 tensor `(2,)`. Stateless: the same seed augments the same way.
        ratio: float. The square's side, as a fraction of the image's.

    Example:

    ```python
    cutout(images, tf.constant([0, 7], tf.int64), ratio=0.5)  # a 14x14 hole in 28x28
    ```
    """
    batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    centres = tf.random.stateless_uniform((batch, 2), seed=seed + [0, 6])
    cy = tf.cast(centres[:, 0] * (height + (1 - size_y % 2)), tf.int32)[:, None, None]
    cx = tf.cast(centres[:, 1] * (width + (1 - size_x % 2)), tf.int32)[:, None, None]
    # Rows cy - size_y // 2 to cy - size_y // 2 + size_y - 1, as DiffAugment's `rand_cutout`:
    # `|y - cy| <= size_y // 2` made an even-sized hole one pixel wider (15 of 28, not 14).
    ys = tf.range(height)[None, :, None] - (cy - size_y // 2)
    xs = tf.range(width)[None, None, :] - (cx - size_x // 2)
    inside = (ys >= 0) & (ys < size_y) & (xs >= 0) & (xs < size_x)
    return images * tf.cast(~inside, images.dtype)[..., None]


_FUNCTIONS = {"xflip": xflip, "translation": translation, "brightness": brightness,
              "saturation": saturation, "contrast": contrast, "cutout": cutout}


@keras.saving.register_keras_serializable(package="keras_gen")
class DiffAugment(keras.layers.Layer):
    """DiffAugment (Zhao et al. 2020): the same random augmentations on every batch, always on.

    "Differentiable Augmentation for Data-Efficient GAN Training"; the default
    policy is the paper's `color, translation, cutout`.

    Args:
        policy: tuple of str from `OPERATIONS` (`"color"` means brightness,
            saturation and contrast).
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    ```python
    gan = GAN(generator, discriminator, augment=DiffAugment())
    ```
    """

    def __init__(self, policy=("color", "translation", "cutout"), **kwargs):
        super().__init__(**kwargs)
        self.policy = _check_operations("policy", policy, OPERATIONS + ("color",))
        self._operations = []
        for name in self.policy:
            self._operations += (["brightness", "saturation", "contrast"] if name == "color"
                                 else [name])
        self.built = True

    def call(self, images, seed):
        images = tf.cast(images, tf.float32)
        for index, name in enumerate(self._operations):
            images = _FUNCTIONS[name](images, seed + [0, 100 * (index + 1)])
        return images

    def get_config(self):
        return {**super().get_config(), "policy": list(self.policy)}


@keras.saving.register_keras_serializable(package="keras_gen")
class AdaptiveAugment(keras.layers.Layer):
    """Adaptive discriminator augmentation (ADA, Karras et al. 2020).

    "Training Generative Adversarial Networks with Limited Data": each
    operation is applied to each image with probability `p`, and `p` follows
    the overfitting heuristic `r_t = E[sign(D(real))]`: every `interval` steps,
    `p += sign(r_t - target) * batch * interval / speed_images`, clipped to
    [0, 1]. The paper's target is 0.6 and speed 500k images per unit of p;
    fine-tuning runs on small sets are shorter, so lower `speed_images` there.
    `p` is a weight of the layer, so it is saved, restored by
    `BackupAndRestore`, and identical on every `tf.distribute` replica.

    Args:
        operations: tuple of str from `OPERATIONS`.
        target: float. Target of `r_t`.
        interval: int. Steps between adjustments.
        speed_images: int. Images for `p` to move by 1.
        initial_p: float. Starting probability.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    ```python
    gan = GAN(generator, discriminator, augment=AdaptiveAugment(speed_images=100_000))
    ```
    """

    def __init__(self, operations=("xflip", "translation", "brightness", "contrast", "cutout"),
                 target=0.6, interval=4, speed_images=500_000, initial_p=0.0, **kwargs):
        super().__init__(**kwargs)
        operations = _check_operations("operations", operations, OPERATIONS)
        if not 0.0 <= initial_p <= 1.0:
            raise ValueError(f"initial_p must be in [0, 1]. Received: {initial_p}")
        # r_t = E[sign(D(real))] lies in [-1, 1]: a target outside (-1, 1) is never crossed,
        # so p would only ever rise to 1 (or stay at 0).
        if not is_number(target) or not -1.0 < target < 1.0:
            raise ValueError(f"target must be a number in (-1, 1), the range of r_t = "
                             f"E[sign(D(real))]; the paper uses 0.6. Received: target={target!r}")
        interval = check_positive_int("interval", interval)
        # 0 moved p by infinity at the first adjustment, a negative count moved it backwards.
        if not is_number(speed_images) or not 0 < speed_images < math.inf:
            raise ValueError(f"speed_images must be a number > 0 (images for p to move by 1, "
                             f"e.g. 100_000). Received: speed_images={speed_images!r}")
        self.operations, self.target, self.interval = operations, target, interval
        self.speed_images, self.initial_p = speed_images, initial_p
        self.p = self.add_weight(shape=(), initializer=keras.initializers.Constant(initial_p),
                                 trainable=False, name="p", aggregation="only_first_replica")
        self._sign_sum = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                         name="sign_sum", aggregation="only_first_replica")
        self._count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                      name="count", aggregation="only_first_replica")
        self.built = True

    def call(self, images, seed):
        images = tf.cast(images, tf.float32)
        batch = tf.shape(images)[0]
        p = tf.cast(self.p.value, tf.float32)
        for index, name in enumerate(self.operations):
            op_seed = seed + [0, 100 * (index + 1)]
            apply = tf.random.stateless_uniform((batch, 1, 1, 1), seed=op_seed + [0, 7]) < p
            images = tf.where(apply, _FUNCTIONS[name](images, op_seed), images)
        return images

    def update(self, real_logits):
        """Accumulates `sign(D(real))` and adjusts `p` every `interval` calls.

        Call once per discriminator step with that step's real logits.
        """
        signs = tf.sign(tf.cast(real_logits, tf.float32))
        context = tf.distribute.get_replica_context()
        local = tf.stack([tf.reduce_sum(signs), tf.cast(tf.size(signs), tf.float32)])
        # Every replica adds the same global totals, so p stays identical everywhere.
        total = context.all_reduce("sum", local) if context is not None else local
        sign_sum = self._sign_sum.value + total[0]
        count = self._count.value + total[1]
        due = count >= total[1] * self.interval
        r_t = sign_sum / tf.maximum(count, 1.0)
        step = tf.sign(r_t - self.target) * count / self.speed_images
        # Selected, not branched: an assignment inside tf.cond is a synchronization point that
        # a tf.distribute replica cannot reach ("merge_call called while defining a new graph").
        self.p.assign(tf.where(due, tf.clip_by_value(self.p.value + step, 0.0, 1.0),
                               self.p.value))
        self._sign_sum.assign(tf.where(due, 0.0, sign_sum))
        self._count.assign(tf.where(due, 0.0, count))
        return r_t

    def get_config(self):
        return {**super().get_config(), "operations": list(self.operations), "target": self.target,
                "interval": self.interval, "speed_images": self.speed_images,
                "initial_p": self.initial_p}
