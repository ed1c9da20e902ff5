"""Training throughput: `GAN.fit` against plain `GradientTape` loops, side by side in one process.

Variants, all with the same DCGAN networks (`dcgan` recipe, 28x28x1, width 32), batch size,
Adam(2e-4, beta_1=0.5) optimizers and real digits:

- `fit`: `keras_gen.models.GAN.fit` (EMA off, so the work matches the loops).
- `fit_spe10`: the same with `compile(steps_per_execution=10)`, Keras' knob that runs ten batches
  per compiled call instead of returning to Python after each.
- `fit_unchecked`: `keras.Model.fit` called on the same kind of GAN, which skips keras_gen's own
  `fit` and with it the check of the data's values (a `map` over the dataset). `fit /
  fit_unchecked` is that check's cost; the target is a ratio >= 0.98.
- `loop_same_math`: a hand-written `tf.function` loop doing exactly GAN.train_step's alternating
  updates (discriminator step, then generator step with fresh noise). `fit / loop_same_math` is
  the framework tax; the target is a ratio >= 1.0.
- `loop_tutorial`: the loop of TensorFlow's DCGAN tutorial (one noise batch, simultaneous updates
  from one forward pass). It does less work per step (no second generator pass), so it is reported
  for reference, not as the tax baseline.

Each variant runs with XLA off and on. Runs alternate (round robin) so machine noise hits all
variants alike. On the 2-core machine this was written on, step times are bimodal: any variant
sometimes falls into a ~128 ms/step "slow mode" for a whole run (seen in every variant, with and
without the data pipeline, so it is the machine, not the code). Noise of that kind only ever adds
time, so the best run of each variant is the figure the ratios use; medians are reported too.
Achieved GFLOP/s counts the convolution and dense multiply-adds of each variant's step (2 FLOPs
per MAC; backward = 2x forward where weights need gradients, 1x where only input gradients are
needed) against a measured fp32 matmul peak.

Usage:
    python benchmarks/train_throughput.py [--steps 40] [--repeats 3] [--batch-size 128]
Writes benchmarks/results/train_throughput.json.
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flops import macs_per_example  # noqa: E402
from tutorial_dcgan import make_tutorial_step  # noqa: E402

from keras_gen import data, losses, recipes  # noqa: E402
from keras_gen.models import GAN  # noqa: E402
from keras_gen.utils import write_json_atomic  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                       "train_throughput.json")


def measure_matmul_peak(size=2048, repeats=20):
    """Best fp32 matmul GFLOP/s on this machine (a practical peak, not the datasheet's)."""
    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    matmul = tf.function(lambda x, y: tf.matmul(x, y))
    matmul(a, b).numpy()
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        matmul(a, b).numpy()
        best = max(best, 2 * size**3 / (time.perf_counter() - start) / 1e9)
    return best


def build(jit, seed=0, steps_per_execution=1):
    gan = recipes.build_gan("dcgan", image_shape=(28, 28, 1), latent_dim=64, width=32,
                            seed=seed, ema_decay=None, jit_compile=jit)
    if steps_per_execution > 1:  # the recipe's own compile settings, several batches per call
        gan.compile_from_config({**gan.get_compile_config(),
                                 "steps_per_execution": steps_per_execution})
    return gan


def make_same_math_step(gan, jit):
    g, d, latent = gan.generator, gan.discriminator, gan.latent_dim
    g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)

    @tf.function(jit_compile=jit)
    def step(images):
        batch = tf.shape(images)[0]
        fake = g(tf.random.normal((batch, latent)), training=True)
        with tf.GradientTape() as tape:
            d_loss = tf.reduce_mean(losses.non_saturating_discriminator_loss(
                d(images, training=True), d(fake, training=True)))
        d_opt.apply_gradients(zip(tape.gradient(d_loss, d.trainable_variables),
                                  d.trainable_variables))
        with tf.GradientTape() as tape:
            g_loss = tf.reduce_mean(losses.non_saturating_generator_loss(
                d(g(tf.random.normal((batch, latent)), training=True), training=True)))
        g_opt.apply_gradients(zip(tape.gradient(g_loss, g.trainable_variables),
                                  g.trainable_variables))
        return g_loss, d_loss

    return step


def make_tutorial_loop_step(gan, jit):
    return make_tutorial_step(gan.generator, gan.discriminator,
                              keras.optimizers.Adam(2e-4, beta_1=0.5),
                              keras.optimizers.Adam(2e-4, beta_1=0.5), gan.latent_dim, jit)


class Variant:
    def __init__(self, name, jit, run, macs_per_image):
        self.name, self.jit, self.run, self.macs_per_image = name, jit, run, macs_per_image
        self.seconds = []


def make_variants(dataset, steps, mg, md):
    # MACs per image of one step (forward counted once, backward as described above).
    alternating = 4 * mg + 8 * md
    simultaneous = 3 * mg + 7 * md
    variants = []
    for jit in (False, True):
        for name, spe, fit in (("fit", 1, GAN.fit), ("fit_spe10", 10, GAN.fit),
                               ("fit_unchecked", 1, keras.Model.fit)):
            gan = build(jit, steps_per_execution=spe)

            def run_fit(gan=gan, fit=fit):
                fit(gan, dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)

            variants.append(Variant(name, jit, run_fit, alternating))
        for name, maker, macs in (("loop_same_math", make_same_math_step, alternating),
                                  ("loop_tutorial", make_tutorial_loop_step, simultaneous)):
            step = maker(build(jit), jit)

            def run_loop(step=step):
                for images, _ in dataset.take(steps):
                    outputs = step(images)
                outputs[0].numpy()  # wait for the last step

            variants.append(Variant(name, jit, run_loop, macs))
    return variants


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30, help="training steps per timed run")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per variant")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    dataset = data.load("digits", batch_size=args.batch_size, seed=0).repeat()
    probe = build(False)
    mg, md = macs_per_example(probe.generator), macs_per_example(probe.discriminator)
    variants = make_variants(dataset, args.steps, mg, md)
    for variant in variants:  # warm-up: tracing and XLA compilation are not timed
        variant.run()
    peak = measure_matmul_peak()
    for _ in range(args.repeats):
        for variant in variants:
            start = time.perf_counter()
            variant.run()
            variant.seconds.append(time.perf_counter() - start)
    rows = [summarize(variant, args.steps * args.batch_size, peak) for variant in variants]
    ratios = compare(rows)
    report(rows, ratios, args, peak)
    payload = {"batch_size": args.batch_size, "steps": args.steps, "repeats": args.repeats,
               "matmul_peak_gflops": round(peak, 2), "generator_macs_per_image": mg,
               "discriminator_macs_per_image": md, "rows": rows, "ratios": ratios,
               "tensorflow": tf.__version__, "keras": keras.__version__}
    write_json_atomic(RESULTS, payload)
    print(f"wrote {RESULTS}")


def summarize(variant, images_per_run, peak):
    """One variant's row: images/s of its best and median run, GFLOP/s, fraction of peak."""
    best, median = min(variant.seconds), statistics.median(variant.seconds)
    images_per_second = images_per_run / best
    gflops = images_per_second * variant.macs_per_image * 2 / 1e9
    return {"variant": variant.name, "xla": variant.jit,
            "images_per_second": round(images_per_second, 1),
            "images_per_second_median": round(images_per_run / median, 1),
            "seconds_per_run": [round(s, 3) for s in variant.seconds],
            "gflops": round(gflops, 2), "fraction_of_peak": round(gflops / peak, 3)}


def compare(rows):
    """The ratios the benchmark reports, with and without XLA."""
    by_key = {(row["variant"], row["xla"]): row for row in rows}
    ratios = {}
    for jit in (False, True):
        suffix = "_xla" if jit else ""
        fit = by_key[("fit", jit)]
        same, tutorial = by_key[("loop_same_math", jit)], by_key[("loop_tutorial", jit)]
        # The framework tax: same work, fit against a hand-written loop.
        ratios[f"fit_over_loop_same_math{suffix}"] = round(
            fit["images_per_second"] / same["images_per_second"], 3)
        ratios[f"fit_spe10_over_loop_same_math{suffix}"] = round(
            by_key[("fit_spe10", jit)]["images_per_second"] / same["images_per_second"], 3)
        # The cost of checking the data's values (keras_gen's fit against Keras' own).
        ratios[f"fit_over_fit_unchecked{suffix}"] = round(
            fit["images_per_second"] / by_key[("fit_unchecked", jit)]["images_per_second"], 3)
        # Against the tutorial's loop, per image and per FLOP (it does less work per step).
        ratios[f"fit_over_loop_tutorial_images{suffix}"] = round(
            fit["images_per_second"] / tutorial["images_per_second"], 3)
        ratios[f"fit_over_loop_tutorial_flops{suffix}"] = round(
            fit["gflops"] / tutorial["gflops"], 3)
    return ratios


def report(rows, ratios, args, peak):
    print(f"\nbatch {args.batch_size}, {args.steps} steps per run, best of {args.repeats}; "
          f"fp32 matmul peak {peak:.1f} GFLOP/s; {os.cpu_count()} CPU cores")
    print(f"{'variant':<16}{'xla':<6}{'images/s':>10}{'(median)':>10}"
          f"{'GFLOP/s':>10}{'of peak':>9}")
    for row in rows:
        print(f"{row['variant']:<16}{str(row['xla']):<6}{row['images_per_second']:>10.1f}"
              f"{row['images_per_second_median']:>10.1f}{row['gflops']:>10.2f}"
              f"{row['fraction_of_peak']:>9.1%}")
    for name, value in ratios.items():
        print(f"{name}: {value:.3f}")


if __name__ == "__main__":
    main()
