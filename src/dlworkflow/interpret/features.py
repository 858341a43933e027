"""Feature maps and filter visualisation: what the conv layers see and look for.

Seed 004 opens the black box with both: the activations of every block for one image
(the course's "block1_conv1 … block5" figure), and for each filter the input that
excites it most, found by gradient ascent from noise (Erhan et al. 2009).
"""

from __future__ import annotations

import keras
import numpy as np
from scipy.ndimage import gaussian_filter

from dlworkflow.errors import BadInput
from dlworkflow.interpret.gradients import gradient_function
from dlworkflow.interpret.probe import cached, check_layer, probe_model, spatial_layers
from dlworkflow.train.precision import float32_array


def feature_maps(
    model: keras.Model, image: np.ndarray, layers: list[str] | None = None
) -> dict[str, np.ndarray]:
    """``{layer name: activation (h, w, channels)}`` of one preprocessed image, in order.

    ``layers`` defaults to every conv and pooling layer, nested models opened.
    """
    if layers is None:
        layers = [node.name for node in spatial_layers(model)]
        if not layers:
            raise BadInput(
                f"feature maps need a conv or pooling layer, and model '{model.name}' has none"
            )
    else:
        layers = [check_layer(model, name, "feature maps") for name in layers]
    outputs = probe_model(model, layers)(np.asarray(image, np.float32)[None], training=False)
    return {name: float32_array(output)[0] for name, output in zip(layers, outputs, strict=False)}


def maximise_filters(
    model: keras.Model,
    layer: str,
    filters: list[int] | None = None,
    steps: int = 64,
    step_size: float = 0.02,
    jitter: int = 1,
    blur_every: int = 4,
    blur_sigma: float = 0.5,
    value_range: tuple[float, float] = (0.0, 1.0),
    seed: int = 0,
) -> np.ndarray:
    """Inputs (F, H, W, C) that maximise each filter's mean activation in ``layer``.

    Gradient ascent from seeded noise, all filters in one batch, with the usual
    regularisers: steps normalised by the gradient's RMS (``step_size`` × the value
    range), random jitter of up to ``jitter`` pixels, a Gaussian blur every
    ``blur_every`` steps, and clipping to ``value_range``.
    """
    check_layer(model, layer, "filter visualisation")
    if any(size is None for size in model.input_shape[1:]):
        raise BadInput(
            f"filter visualisation needs a fixed input size; model has {model.input_shape}"
        )
    probe = probe_model(model, [layer])
    channels = probe.outputs[0].shape[-1]
    filters = list(range(min(16, channels))) if filters is None else filters
    bad = [f for f in filters if not 0 <= f < channels]
    if bad:
        raise BadInput(
            f"filter visualisation: layer '{layer}' has filters 0–{channels - 1}, not {bad}"
        )
    low, high = value_range
    rng = np.random.default_rng(seed)
    shape = (len(filters), *model.input_shape[1:])
    x = (low + (high - low) * (0.5 + 0.1 * rng.standard_normal(shape))).astype(np.float32)
    gradient_step = cached(
        model, ("filters", layer), lambda: gradient_function(probe, _filter_mean)
    )
    targets = np.asarray(filters, np.int32)
    for step in range(steps):
        shift = rng.integers(-jitter, jitter + 1, 2) if jitter else (0, 0)
        x = np.roll(x, shift, axis=(1, 2))
        _, grad = gradient_step(x, targets)
        rms = np.sqrt((grad**2).mean(axis=(1, 2, 3), keepdims=True)) + 1e-8
        x = np.roll(x + step_size * (high - low) * grad / rms, (-shift[0], -shift[1]), axis=(1, 2))
        if blur_every and (step + 1) % blur_every == 0:
            x = gaussian_filter(x, sigma=(0, blur_sigma, blur_sigma, 0))
        x = np.clip(x, low, high).astype(np.float32)
    return x


def _filter_mean(outputs, filters):
    """Each sample's score: the mean activation of its own filter over the grid."""
    means = keras.ops.mean(keras.ops.cast(outputs[0], "float32"), axis=(1, 2))  # also bf16
    return keras.ops.sum(means * keras.ops.one_hot(filters, means.shape[-1]), axis=1)
