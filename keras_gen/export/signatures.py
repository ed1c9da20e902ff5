"""Serving signatures for each model family, as `(name, fn, input_signature)` triples.

Names and tensors (documented in the README):

- GAN: `serving_default` {`z`: float32 [None, latent_dim]} -> {`images`: float32 [None, H, W, C]
  in [0, 1]}; `sample` {`seed`: int64 [None]} -> {`images`, `images_png_bytes`}, one image per
  seed, the same image `generate(1, seed=s)` makes.
- ConditionalGAN: the same, each with an extra `labels`: int32 [None] input; with
  `class_names`, also `sample_by_name` {`seed`, `class_name`: string [None]} -> as `sample`
  (a name outside the model's classes is refused, naming them).
- VAE / VAEGAN: `reconstruct` (also `serving_default`), `encode` {`images`} -> {`z_mean`,
  `z_log_var`}, `decode` {`z`} -> {`images`, `images_png_bytes`}, `sample` {`seed`} -> the same,
  one image per seed as `generate(1, seed=s)` makes it (as the GAN's), and `reconstruct_png` /
  `encode_png` taking `images_bytes`: string [None] PNGs of the model's image size (sent over
  REST as {"b64": ...}; format and size are checked from the header before decoding).
  Conditional VAEs take `labels`: int32 [None] in every signature, and have `sample_by_name`
  when their classes have names.

Every input of a signature must hold the same number of examples, at least one, and float
inputs (`z`, `images`) must be finite: the graph refuses the rest (NaN and Infinity, which TF
Serving's JSON parser reads as numbers, among them), so a real container answers a clear 400.
Only JSON-safe dtypes cross the boundary (float32, int32, int64, string), whatever the model's
dtype policy. TF Serving base64-encodes outputs whose name ends in `_bytes`.
"""

import functools

import tensorflow as tf


def _to_unit(images):
    return tf.clip_by_value((tf.cast(images, tf.float32) + 1.0) / 2.0, 0.0, 1.0)


def _png_bytes(unit_images):
    pixels = tf.cast(tf.round(unit_images * 255.0), tf.uint8)
    return tf.map_fn(tf.io.encode_png, pixels, fn_output_signature=tf.string)


def _images_out(images):
    unit = _to_unit(images)
    return {"images": unit, "images_png_bytes": _png_bytes(unit)}


def _noise_from_seeds(seeds, latent_dim):
    # Row i equals generate(1, seed=seeds[i]): stateless_normal((1, d), [s, 0]).
    return tf.map_fn(
        lambda s: tf.random.stateless_normal((latent_dim,), seed=tf.stack([s, tf.zeros_like(s)])),
        tf.cast(seeds, tf.int64), fn_output_signature=tf.float32)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _declared_png_size(data):
    """(height, width) as a PNG's header declares them, read without decoding the pixels."""
    # The IHDR chunk follows the 8-byte signature; its data starts with the width and height,
    # big-endian, at bytes 16-23 (PNG specification, 11.2.2; both below 2**31, so int32 holds
    # every valid one).
    width_height = tf.io.decode_raw(tf.strings.substr(data, 16, 8), tf.int32, little_endian=False)
    return width_height[1], width_height[0]


def _decode_pngs(png_bytes, image_shape):
    height, width, channels = image_shape

    def decode(data):
        # Both checks come before decoding: a 380 KB PNG can declare 20000x20000 pixels, which
        # decode_png spends 1.4 s and 400 MB on (and it also decodes JPEG, GIF, BMP and WebP,
        # whose sizes this header check cannot read).
        is_png = tf.logical_and(tf.strings.length(data) >= 24,
                                tf.equal(tf.strings.substr(data, 0, 8), _PNG_SIGNATURE))
        png_check = tf.debugging.Assert(
            is_png, ["images_bytes must be PNG files (encode the images as PNG)"])
        with tf.control_dependencies([png_check]):
            declared_height, declared_width = _declared_png_size(data)
        size_check = tf.debugging.Assert(
            tf.logical_and(tf.equal(declared_height, height), tf.equal(declared_width, width)),
            [f"PNG images must be {height}x{width} (height x width); received",
             declared_height, declared_width])
        with tf.control_dependencies([size_check]):
            image = tf.io.decode_png(data, channels=channels)
        return tf.cast(tf.ensure_shape(image, image_shape), tf.float32) / 127.5 - 1.0

    return tf.map_fn(decode, png_bytes, fn_output_signature=tf.float32)


def _checked_finite(values, name):
    """`values`, once none is NaN or infinite; the graph's own check, for any server.

    TF Serving's JSON parser reads `NaN`, `Infinity` and `-Infinity` as numbers and passes
    them on; unchecked, a NaN latent would come back as a 200 with NaN images and blank PNGs.
    """
    check = tf.debugging.Assert(tf.reduce_all(tf.math.is_finite(values)),
                                [f"{name} must be finite numbers; received NaN or Infinity"])
    with tf.control_dependencies([check]):
        return tf.identity(values)


def _checked_labels(labels, num_classes):
    """`labels`, once each lies in [0, num_classes); the graph's own check, for any device."""
    # Left to the embedding lookup, label -1 becomes the last class (negative indices wrap),
    # and on a GPU a label past the end becomes a zero vector: both would answer with an image.
    in_range = tf.reduce_all(tf.logical_and(labels >= 0, labels < num_classes))
    check = tf.debugging.Assert(
        in_range, [f"labels must lie in [0, {num_classes}); received", labels], summarize=8)
    with tf.control_dependencies([check]):
        return tf.identity(labels)


def _labels_of_names(names, class_names):
    """The class id of each name in `names`, once every one is among `class_names`."""
    known = tf.constant(list(class_names))
    matches = tf.equal(names[:, None], known[None, :])
    check = tf.debugging.Assert(
        tf.reduce_all(tf.reduce_any(matches, axis=1)),
        ["class_name must be one of these class names", known, "received", names],
        summarize=len(class_names) + 8)
    with tf.control_dependencies([check]):
        return tf.cast(tf.argmax(tf.cast(matches, tf.int32), axis=1), tf.int32)


def _by_name(sample, model):
    """`sample_by_name`, for a model whose classes have names: `sample` with `class_name` input.

    A SavedModel held only class ids, so a client had to know that 7 is "Sneaker".
    """
    if getattr(model, "class_names", None) is None:
        return []

    def sample_by_name(seed, class_name):
        return sample(seed, _labels_of_names(class_name, model.class_names))

    return [("sample_by_name", sample_by_name,
             [_spec((None,), tf.int64, "seed"), _spec((None,), tf.string, "class_name")])]


def _with_batch_check(fn, input_signature):
    """`fn`, refusing inputs of different batch sizes or none; the graph's own check.

    Without it a real container answers a seed batch and a labels batch of different sizes
    with the generator's internals ("ConcatOp : Dimension 0 in both shapes must be equal"), and
    an empty batch with a failure inside a convolution, or, for the GAN's `z`, with 200 and
    images of the wrong shape (TensorFlow's oneDNN convolutions on an empty batch).
    """
    names = " and ".join(spec.name for spec in input_signature)
    rule = (f"{names} must hold the same number of examples, at least one"
            if len(input_signature) > 1 else f"{names} must hold at least one example")

    @functools.wraps(fn)  # keeps fn's argument names, which name the signature's inputs
    def checked(*inputs):
        # The rest are fn's optional arguments that this signature does not take (None).
        inputs = inputs[:len(input_signature)]
        sizes = tf.stack([tf.shape(x, out_type=tf.int64)[0] for x in inputs])
        check = tf.debugging.Assert(
            tf.logical_and(sizes[0] > 0, tf.reduce_all(tf.equal(sizes, sizes[0]))),
            [f"{rule}; received batch sizes", sizes])
        with tf.control_dependencies([check]):
            return fn(*[tf.identity(x) for x in inputs])

    return checked


def _spec(shape, dtype, name):
    return tf.TensorSpec(shape, dtype, name=name)


def gan_signatures(model):
    """Signatures of an unconditional `GAN`."""
    generator, latent = model.sampling_generator, model.latent_dim

    def serving_default(z):
        return {"images": _to_unit(generator(_checked_finite(z, "z"), training=False))}

    def sample(seed):
        return _images_out(generator(_noise_from_seeds(seed, latent), training=False))

    return [("serving_default", serving_default, [_spec((None, latent), tf.float32, "z")]),
            ("sample", sample, [_spec((None,), tf.int64, "seed")])]


def conditional_gan_signatures(model):
    """Signatures of a `ConditionalGAN`: the GAN's, each with `labels`."""
    generator, latent = model.sampling_generator, model.latent_dim
    labels_spec = _spec((None,), tf.int32, "labels")

    def serving_default(z, labels):
        z, labels = _checked_finite(z, "z"), _checked_labels(labels, model.num_classes)
        return {"images": _to_unit(generator([z, labels], training=False))}

    def sample(seed, labels):
        z = _noise_from_seeds(seed, latent)
        labels = _checked_labels(labels, model.num_classes)
        return _images_out(generator([z, labels], training=False))

    return [("serving_default", serving_default,
             [_spec((None, latent), tf.float32, "z"), labels_spec]),
            ("sample", sample, [_spec((None,), tf.int64, "seed"), labels_spec]),
            *_by_name(sample, model)]


def vae_signatures(model):
    """Signatures of a `VAE` or `VAEGAN` (conditional VAEs take `labels` everywhere)."""
    shape, latent = model.image_shape, model.latent_dim
    conditional = model.num_classes is not None
    images_spec = _spec((None, *shape), tf.float32, "images")
    png_spec = _spec((None,), tf.string, "images_bytes")
    extra = [_spec((None,), tf.int32, "labels")] if conditional else []

    def inputs(x, labels):
        return [x, _checked_labels(labels, model.num_classes)] if conditional else x

    def encode(images, labels=None):
        images = _checked_finite(images, "images")
        z_mean, z_log_var = model.encoder(inputs(images, labels), training=False)
        return {"z_mean": tf.cast(z_mean, tf.float32), "z_log_var": tf.cast(z_log_var, tf.float32)}

    def decoded(z, labels):
        return _images_out(model._to_images(model.decoder(inputs(z, labels), training=False)))

    def decode(z, labels=None):
        return decoded(_checked_finite(z, "z"), labels)

    def reconstruct(images, labels=None):
        # The request's images are checked; a non-finite code would be the model's own fault.
        return decoded(encode(images, labels)["z_mean"], labels)

    def sample(seed, labels=None):
        return decoded(_noise_from_seeds(seed, latent), labels)

    def encode_png(images_bytes, labels=None):
        return encode(_decode_pngs(images_bytes, shape), labels)

    def reconstruct_png(images_bytes, labels=None):
        return reconstruct(_decode_pngs(images_bytes, shape), labels)

    return [("serving_default", reconstruct, [images_spec, *extra]),
            ("reconstruct", reconstruct, [images_spec, *extra]),
            ("encode", encode, [images_spec, *extra]),
            ("decode", decode, [_spec((None, latent), tf.float32, "z"), *extra]),
            ("sample", sample, [_spec((None,), tf.int64, "seed"), *extra]),
            ("reconstruct_png", reconstruct_png, [png_spec, *extra]),
            ("encode_png", encode_png, [png_spec, *extra]),
            *(_by_name(sample, model) if conditional else [])]


def signatures_for(model):
    """Returns the `(name, fn, input_signature)` list for any keras_gen model.

    Example:

    ```python
    [name for name, _, _ in signatures_for(gan)]  # ["serving_default", "sample"]
    ```
    """
    from keras_gen.models import GAN, VAE, ConditionalGAN

    if isinstance(model, ConditionalGAN):
        signatures = conditional_gan_signatures(model)
    elif isinstance(model, GAN):
        signatures = gan_signatures(model)
    elif isinstance(model, VAE):
        signatures = vae_signatures(model)
    else:
        raise ValueError(
            f"Cannot export a {type(model).__name__}: keras_gen exports GAN, ConditionalGAN, "
            "VAE and VAEGAN models."
        )
    return [(name, _with_batch_check(fn, spec), spec) for name, fn, spec in signatures]
