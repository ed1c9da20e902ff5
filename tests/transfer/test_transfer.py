"""Freezing, FreezeD, the compile guard, and the ADA / DiffAugment augmentations."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import networks, transfer
from keras_gen.models import GAN
from keras_gen.transfer import augment as ops
from tests.helpers import (TINY_SHAPE, run_model_test, tiny_dataset, tiny_gan, tiny_images,
                           weights_of)


def test_freeze_by_block_layers_and_predicate():
    discriminator = networks.dcgan_discriminator(TINY_SHAPE, 4, "batch")
    assert transfer.freeze(discriminator, up_to="block_0") == ["block_0"]
    assert not discriminator.get_layer("block_0").trainable
    assert discriminator.get_layer("block_1").trainable
    assert transfer.unfreeze(discriminator, layers=["block_0"]) == ["block_0"]
    frozen = transfer.freeze(discriminator, predicate=lambda layer: layer.name == "logit")
    assert frozen == ["logit"]
    rows = {row["layer"]: row for row in transfer.trainable_summary(discriminator)}
    assert rows["logit"]["trainable"] is False and rows["logit"]["frozen_params"] == 7 * 7 * 8 + 1
    assert rows["block_1"]["trainable_params"] > 0


def test_unfreeze_without_a_selection_unfreezes_every_layer():
    # It was refused ("Pass exactly one of ..."), though undoing FreezeD wants just that.
    discriminator = networks.dcgan_discriminator(TINY_SHAPE, 4, "batch")
    trainable = len(discriminator.trainable_weights)
    transfer.freeze(discriminator, up_to="block_1")
    transfer.freeze(discriminator.get_layer("block_0"), layers=["conv"])  # inside a block too
    assert len(discriminator.trainable_weights) < trainable
    assert transfer.unfreeze(discriminator) == ["block_0", "block_1", "flatten", "logit", "logits"]
    assert len(discriminator.trainable_weights) == trainable
    assert all(layer.trainable for layer in discriminator._flatten_layers())
    with pytest.raises(ValueError, match="exactly one"):  # freezing it all stays deliberate
        transfer.freeze(discriminator)


def test_unfreeze_reaches_layers_frozen_inside_trainable_ones():
    # Keras skips `layer.trainable = True` on a layer that already is (TensorFlow's tracking
    # short-circuits `x.a = x.a`), so unfreezing left these frozen while naming them unfrozen.
    discriminator = networks.dcgan_discriminator(TINY_SHAPE, 4, "batch")
    trainable = len(discriminator.trainable_weights)
    transfer.freeze(discriminator.get_layer("block_0"), layers=["conv"])
    assert transfer.unfreeze(discriminator, layers=["block_0"]) == ["block_0"]
    assert len(discriminator.trainable_weights) == trainable
    gan = tiny_gan()
    transfer.freeze_discriminator_blocks(gan, 1)
    assert transfer.unfreeze(gan) == ["generator", "discriminator"]
    assert gan.discriminator.get_layer("block_0").trainable
    assert all(layer.trainable for layer in gan.discriminator._flatten_layers())


def test_frozen_layers_are_listed_by_path_outermost_first():
    gan = tiny_gan(d_norm="batch")
    assert transfer.frozen_layers(gan) == []  # the moving average is not "frozen" for training
    transfer.freeze_discriminator_blocks(gan, 1)
    transfer.freeze(gan.discriminator.get_layer("block_1"), layers=["conv"])
    transfer.freeze(gan.generator, layers=["to_image"])
    assert transfer.frozen_layers(gan) == ["discriminator/block_0", "discriminator/block_1/conv",
                                           "generator/to_image"]
    assert transfer.frozen_layers(gan.discriminator) == ["block_0", "block_1/conv"]
    with pytest.raises(TypeError, match=r"^frozen_layers takes a keras\.Model"):
        transfer.frozen_layers("discriminator")


def test_the_generators_moving_average_stays_frozen():
    # It follows the generator's weights and is never trained by gradient, but unfreezing the
    # whole GAN (or Keras' `gan.trainable = True`) made it trainable: 11 more trainable weights
    # in the tiny GAN, and trainable_summary(gan) reported the copy as trained.
    gan = tiny_gan()
    trained = len(gan.generator.trainable_weights) + len(gan.discriminator.trainable_weights)
    assert len(gan.trainable_weights) == trained
    transfer.unfreeze(gan)
    gan.trainable = False
    gan.trainable = True
    assert len(gan.trainable_weights) == trained
    assert not any(layer.trainable for layer in gan.ema_generator._flatten_layers())
    rows = {row["layer"]: row for row in transfer.trainable_summary(gan)}
    assert rows["ema_generator"]["trainable"] is False
    assert rows["ema_generator"]["trainable_params"] == 0
    for selection in (transfer.freeze, transfer.unfreeze):
        with pytest.raises(ValueError, match=r"^ema_generator is the generator's moving average"
                                             r".*freeze or unfreeze gan\.generator"):
            selection(gan, layers=["ema_generator"])
    assert gan.generator.trainable and gan.discriminator.trainable


def test_bad_selections_are_named():
    discriminator = networks.dcgan_discriminator(TINY_SHAPE, 4)
    # A network's own blocks are small models; they were named as "networks to freeze inside".
    with pytest.raises(ValueError, match=r"^discriminator has no layer 'block_7'; its blocks are "
                                         r"\['block_0', 'block_1'\]\.$"):
        transfer.freeze(discriminator, up_to="block_7")
    with pytest.raises(ValueError, match="exactly one"):
        transfer.freeze(discriminator, up_to="block_0", layers=["logit"])
    # A string was read as a list of one-letter names: "no layers ['b', 'l', 'o', ...]".
    with pytest.raises(ValueError, match=r"layers must be a list.*pass layers=\['block_0'\]"):
        transfer.freeze(discriminator, layers="block_0")
    # The wrapper instead of a network: "its blocks are []" and nothing more.
    with pytest.raises(ValueError, match=r"gan(_\d+)? holds the networks model\.generator and "
                                         r"model\.discriminator: freeze inside one, e\.g\. "
                                         r"freeze\(model\.discriminator, up_to='block_0'\)\.$"):
        transfer.freeze(tiny_gan(), up_to="block_0")
    # Networks named otherwise than the attributes that hold them: the hint named
    # model.conditional_generator, which does not exist, and a moving average to freeze.
    from tests.helpers import tiny_cgan
    from tests.models.test_vae import tiny_vaegan

    for model, held in [(tiny_cgan(), r"model\.generator and model\.discriminator"),
                        (tiny_vaegan(), r"model\.encoder, model\.decoder and "
                                        r"model\.discriminator")]:
        with pytest.raises(ValueError, match=rf"holds the networks {held}: freeze inside one, "
                                             r"e\.g\. freeze\(model\.discriminator, "
                                             r"layers=\['x'\]\)\.$"):
            transfer.freeze(model, layers=["x"])
    with pytest.raises(ValueError, match=r"Cannot freeze 3 discriminator blocks: this one has "
                                         r"2 \(block_0, block_1\)\. Pass 1 to 2"):
        transfer.freeze_discriminator_blocks(tiny_gan(), 3)
    with pytest.raises(ValueError, match=r"^ada must be True or False\. Received: ada='yes'$"):
        transfer.prepare_finetune(tiny_gan(), ada="yes")  # it was accepted as true
    gan = tiny_gan()
    with pytest.raises(ValueError, match=r"^ema_warmup must be True or False\. Received: "
                                         r"ema_warmup='no'$"):
        transfer.prepare_finetune(gan, ema_warmup="no")  # so was this, restarting the EMA ramp
    assert gan.ema_warmup is False
    # A network for the GAN: "'Functional' object has no attribute 'discriminator'".
    with pytest.raises(TypeError, match=r"^freeze_discriminator_blocks takes the GAN .* "
                                        r"received a Functional without a discriminator\. .* "
                                        r"freeze\(network, up_to='block_0'\)"):
        transfer.freeze_discriminator_blocks(discriminator, 1)
    # A name for the predicate: "'str' object is not callable".
    with pytest.raises(TypeError, match=r"^predicate must be a function of a layer .* Received: "
                                        r"predicate='block_0'; for names, pass layers=\[\.\.\.\]"):
        transfer.freeze(discriminator, predicate="block_0")
    with pytest.raises(TypeError, match=r"^freeze and unfreeze take a keras\.Model .*; received "
                                        r"a str\.$"):
        transfer.unfreeze("discriminator", up_to="block_0")
    # "'str' object has no attribute 'layers'".
    with pytest.raises(TypeError, match=r"^trainable_summary takes a keras\.Model .*; received "
                                        r"a str\.$"):
        transfer.trainable_summary("discriminator")
    assert all(layer.trainable for layer in discriminator.layers)  # none of the above froze any


def test_freezing_after_compile_is_caught_and_recompiling_fixes_it():
    gan = tiny_gan(d_norm="batch")
    transfer.freeze_discriminator_blocks(gan, 1)
    # The block by its path, once: it was named with its layers, "['block_0', 'conv', 'norm']".
    changed = re.escape("Layers changed trainable state after compile(): "
                        "['discriminator/block_0']. ")
    with pytest.raises(RuntimeError, match=changed):
        gan.fit(tiny_dataset(), verbose=0)
    with pytest.raises(RuntimeError, match=changed):
        gan.train_on_batch(tiny_images(4))
    gan.compile()
    frozen_before = weights_of(gan.discriminator.get_layer("block_0"))
    bn_before = weights_of(gan.discriminator.get_layer("block_1"))
    gan.fit(tiny_dataset(), verbose=0)
    for before, after in zip(frozen_before, weights_of(gan.discriminator.get_layer("block_0"))):
        np.testing.assert_array_equal(before, after)
    assert any(not np.array_equal(b, a) for b, a in
               zip(bn_before, weights_of(gan.discriminator.get_layer("block_1"))))


def test_frozen_batch_norm_runs_in_inference_mode():
    discriminator = networks.dcgan_discriminator(TINY_SHAPE, 4, "batch")
    transfer.freeze(discriminator, layers=["block_1"])
    images = np.random.default_rng(0).normal(size=(8, 28, 28, 1)).astype(np.float32)
    stats_before = weights_of(discriminator.get_layer("block_1"))
    np.testing.assert_allclose(discriminator(images, training=True),
                               discriminator(images, training=False), atol=1e-5)
    for before, after in zip(stats_before, weights_of(discriminator.get_layer("block_1"))):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("name", sorted(ops.OPERATIONS))
def test_every_augmentation_is_differentiable_and_seeded(name):
    images = tf.Variable(tf.random.stateless_uniform((4, 28, 28, 1), [0, 1], -1, 1))
    seed = tf.constant([3, 4], tf.int64)
    with tf.GradientTape() as tape:
        out = ops._FUNCTIONS[name](images, seed)
        total = tf.reduce_sum(out * out)
    assert out.shape == images.shape
    assert tape.gradient(total, images) is not None
    np.testing.assert_array_equal(out, ops._FUNCTIONS[name](images, seed))


def test_translation_and_cutout_by_hand():
    image = tf.reshape(tf.range(16, dtype=tf.float32), (1, 4, 4, 1)) + 1.0
    shifted = ops.translation(image, tf.constant([0, 0], tf.int64), ratio=0.25)
    # A shift of at most one pixel: the content is the original moved, zeros fill the gap.
    values = set(np.unique(shifted.numpy()))
    assert values <= set(range(17)) and len(values - {0.0}) >= 9
    # Each whole-pixel shift in [-1, 1] equally likely, as in DiffAugment's `rand_translation`
    # (rounding a uniform offset gave -1 and 1 a quarter each, no shift half).
    dot = np.zeros((3000, 9, 9, 1), np.float32)
    dot[:, 4, 4] = 1.0
    moved = ops.translation(tf.constant(dot), tf.constant([3, 4], tf.int64), ratio=0.125)
    rows, columns = np.divmod(np.argmax(moved.numpy().reshape(3000, 81), axis=1), 9)
    for shifts in (rows - 4, columns - 4):
        np.testing.assert_allclose(np.bincount(shifts + 1, minlength=3) / 3000, [1 / 3] * 3,
                                   atol=0.04)
    # The hole is `ratio` of the side, 4 of 8 pixels, as DiffAugment's `rand_cutout` makes it
    # (it was 5x5: every pixel within 2 of its centre); cut off where it crosses the border,
    # never outside the image altogether.
    cut = ops.cutout(tf.ones((64, 8, 8, 1)), tf.constant([1, 2], tf.int64), ratio=0.5)
    holes = cut.numpy()[..., 0] == 0
    rows, columns = holes.any(axis=2).sum(axis=1), holes.any(axis=1).sum(axis=1)
    np.testing.assert_array_equal(holes.sum(axis=(1, 2)), rows * columns)  # rectangles
    assert rows.min() >= 2 and columns.min() >= 2 and rows.max() == columns.max() == 4


def test_shift_by_hand():
    image = tf.reshape(tf.range(1.0, 10.0), (1, 3, 3, 1))  # [[1 2 3] [4 5 6] [7 8 9]]
    twice = tf.concat([image, image], axis=0)
    moved = ops.shift(twice, tf.constant([1, -1]), tf.constant([-1, 2]))[..., 0].numpy()
    np.testing.assert_array_equal(moved[0], [[0, 0, 0], [2, 3, 0], [5, 6, 0]])  # down 1, left 1
    np.testing.assert_array_equal(moved[1], [[0, 0, 4], [0, 0, 7], [0, 0, 0]])  # up 1, right 2
    unmoved = ops.shift(image, tf.constant([0]), tf.constant([0]))
    np.testing.assert_array_equal(unmoved, image)


@pytest.mark.parametrize("augment", [transfer.AdaptiveAugment, transfer.DiffAugment])
def test_augmented_gans_train_under_xla(augment):
    # The translation was TF's ImageProjectiveTransformV3, which XLA cannot compile: fit failed
    # with "Detected unsupported operations ... ImageProjectiveTransformV3".
    keras.utils.set_random_seed(0)
    options = {"initial_p": 1.0} if augment is transfer.AdaptiveAugment else {}
    gan = GAN(networks.dcgan_generator(TINY_SHAPE, 8, 4),
              networks.dcgan_discriminator(TINY_SHAPE, 4), augment=augment(**options))
    gan.compile(jit_compile=True)
    logs = gan.fit(tiny_dataset(), verbose=0).history
    assert all(np.isfinite(value[-1]) for value in logs.values())


@pytest.mark.parametrize("layer, arguments, message", [
    # A string was read letter by letter: "Unknown augmentations ['c', 'l', 'o', 'r']".
    (transfer.DiffAugment, dict(policy="color"),
     r"^policy is a sequence of names; received the string 'color'\. Pass policy=\('color',\)\.$"),
    (transfer.AdaptiveAugment, dict(operations="xflip"), r"Pass operations=\('xflip',\)"),
    # The paper's own spelling was answered with policy=('color,translation,cutout',), itself
    # refused as an unknown augmentation.
    (transfer.DiffAugment, dict(policy="color, translation,cutout"),
     r"the string 'color, translation,cutout'\. Pass policy=\('color', 'translation', "
     r"'cutout'\)\.$"),
    # These augmented nothing, or ran p to 1 (a target r_t never reaches), or moved p by an
    # infinite or backward step.
    (transfer.DiffAugment, dict(policy=[]), r"^policy is empty, so nothing would be augmented"),
    (transfer.AdaptiveAugment, dict(operations=()), r"^operations is empty"),
    (transfer.AdaptiveAugment, dict(target=1.0), r"^target must be a number in \(-1, 1\), the "
                                                 r"range of r_t .* Received: target=1\.0$"),
    (transfer.AdaptiveAugment, dict(target="0.6"), r"Received: target='0\.6'$"),
    (transfer.AdaptiveAugment, dict(speed_images=0), r"^speed_images must be a number > 0 .* "
                                                     r"Received: speed_images=0$"),
    (transfer.AdaptiveAugment, dict(speed_images=-5.5), r"Received: speed_images=-5\.5$"),
    (transfer.AdaptiveAugment, dict(interval=0), r"^interval must be a positive int"),
])
def test_augmentation_settings_that_cannot_work_are_refused(layer, arguments, message):
    with pytest.raises(ValueError, match=message):
        layer(**arguments)


def test_an_augment_the_step_cannot_call_is_refused_and_a_seeded_layer_trains():
    # Each failed in the traced step: "'str' object is not callable", "Dense.call() got multiple
    # values for argument 'training'", "takes 2 positional arguments but 3 were given".
    gan = tiny_gan()
    for augment in ("ada", keras.layers.Dense(1), keras.layers.RandomFlip()):
        with pytest.raises(TypeError, match=r"^augment must be a Keras layer called as "
                                            r"layer\(images, seed\) .*; received "):
            GAN(gan.generator, gan.discriminator, augment=augment)
        with pytest.raises(TypeError, match=r"^augment must be a Keras layer"):
            gan.set_augment(augment)
    assert gan.augment is None

    class Flip(keras.layers.Layer):  # a user's own: Keras' flip, seeded by the step
        def call(self, images, seed, training=None):
            return tf.image.stateless_random_flip_left_right(images, seed)

    gan.set_augment(Flip())
    gan.compile()
    logs = gan.fit(tiny_dataset(count=8, batch_size=4), verbose=0).history
    assert np.isfinite(logs["d_loss"][-1])


def test_augmentation_settings_round_trip():
    ada = transfer.AdaptiveAugment(operations=["xflip"], target=-0.2, speed_images=1e5)
    assert ada.operations == ("xflip",) and (ada.target, ada.speed_images) == (-0.2, 1e5)
    restored = transfer.AdaptiveAugment.from_config(ada.get_config())
    assert (restored.operations, restored.target, restored.speed_images) == (("xflip",), -0.2, 1e5)
    diff = transfer.DiffAugment(policy=["color", "cutout"])
    assert diff._operations == ["brightness", "saturation", "contrast", "cutout"]
    assert transfer.DiffAugment.from_config(diff.get_config()).policy == ("color", "cutout")


def test_ada_probability_follows_the_overfitting_signal():
    ada = transfer.AdaptiveAugment(interval=2, speed_images=100)
    for _ in range(4):  # r_t = 1 > 0.6: p rises by 8 images / 100 per adjustment
        ada.update(tf.ones((4, 1)))
    assert float(ada.p.numpy()) == pytest.approx(0.16)
    for _ in range(2):  # r_t = -1 < 0.6: p falls
        ada.update(-tf.ones((4, 1)))
    assert float(ada.p.numpy()) == pytest.approx(0.08)
    images = tf.random.stateless_uniform((4, 28, 28, 1), [0, 1], -1, 1)
    unchanged = transfer.AdaptiveAugment(initial_p=0.0)(images, tf.constant([0, 0], tf.int64))
    np.testing.assert_array_equal(unchanged, images)


def test_gan_with_ada_logs_p_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    gan = GAN(networks.dcgan_generator(TINY_SHAPE, 8, 4),
              networks.dcgan_discriminator(TINY_SHAPE, 4),
              augment=transfer.AdaptiveAugment(interval=1, speed_images=16, initial_p=0.2))
    gan.compile()
    loaded = run_model_test(gan, tiny_dataset(), tmp_path)
    assert isinstance(loaded.augment, transfer.AdaptiveAugment)
    assert float(loaded.augment.p.numpy()) == pytest.approx(float(gan.augment.p.numpy()))
    logs = gan.fit(tiny_dataset(), verbose=0).history
    assert 0.0 <= logs["ada_p"][-1] <= 1.0


def test_ada_trains_under_a_mirrored_strategy(mirrored_strategy):
    # p's adjustment assigned inside tf.cond, which a replica cannot do: fit failed with
    # "merge_call called while defining a new graph or a tf.function".
    def two_steps(strategy):
        with strategy.scope():
            keras.utils.set_random_seed(0)
            # A target below any r_t: p rises by 8 images / 16 at each of the two steps. Set
            # past the constructor, which refuses a target that r_t in [-1, 1] never crosses.
            ada = transfer.AdaptiveAugment(interval=1, speed_images=16)
            ada.target = -2.0
            gan = GAN(networks.dcgan_generator(TINY_SHAPE, 8, 4),
                      networks.dcgan_discriminator(TINY_SHAPE, 4), augment=ada)
            gan.compile()
        return gan, gan.fit(tiny_dataset(count=16, batch_size=8), verbose=0).history

    mirrored, logs = two_steps(mirrored_strategy)
    single, single_logs = two_steps(tf.distribute.get_strategy())
    assert logs["ada_p"] == single_logs["ada_p"] == [0.75]  # the epoch's mean of 0.5 and 1
    replicas = mirrored.augment.p.value.values  # the same p on both replicas
    assert [float(value.numpy()) for value in replicas] == [1.0, 1.0]
    assert all(np.isfinite(value[-1]) for value in logs.values())


def test_gan_with_diffaugment_trains():
    keras.utils.set_random_seed(0)
    gan = GAN(networks.dcgan_generator(TINY_SHAPE, 8, 4),
              networks.dcgan_discriminator(TINY_SHAPE, 4), augment=transfer.DiffAugment())
    gan.compile()
    logs = gan.fit(tiny_dataset(), verbose=0).history
    assert all(np.isfinite(v[-1]) for v in logs.values())
    with pytest.raises(ValueError, match="Unknown augmentations"):
        transfer.DiffAugment(policy=("rotate",))
