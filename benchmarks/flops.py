"""Multiply-accumulate counts of functional Keras networks, from layer shapes."""

import keras


def _leaf_layers(layer):
    if isinstance(layer, keras.layers.SpectralNormalization):
        return [layer.layer]
    if isinstance(layer, (keras.Model, keras.Sequential)) and hasattr(layer, "layers"):
        return [leaf for inner in layer.layers for leaf in _leaf_layers(inner)]
    return [layer]


def macs_per_example(model):
    """Multiply-accumulates of one forward pass for one example (convolutions and dense layers).

    Args:
        model: functional `keras.Model` built from Dense, Conv2D and Conv2DTranspose layers
            (possibly inside `keras.Sequential` blocks and `SpectralNormalization` wrappers).

    Returns:
        int.

    Example:

    ```python
    macs_per_example(keras_gen.networks.dcgan_generator((28, 28, 1)))
    ```
    """
    total = 0
    for layer in _leaf_layers(model):
        if isinstance(layer, keras.layers.Conv2DTranspose):
            # Every input pixel scatters a k*k*C_out patch.
            kh, kw, c_out, c_in = layer.kernel.shape
            _, h_in, w_in, _ = layer.input.shape if hasattr(layer, "input") else (None,) * 4
            total += h_in * w_in * kh * kw * c_in * c_out
        elif isinstance(layer, keras.layers.Conv2D):
            kh, kw, c_in, c_out = layer.kernel.shape
            _, h_out, w_out, _ = layer.output.shape
            total += h_out * w_out * kh * kw * c_in * c_out
        elif isinstance(layer, keras.layers.Dense):
            fan_in, fan_out = layer.kernel.shape
            total += fan_in * fan_out
    return int(total)
