"""Grad-CAM and Grad-CAM++: which regions of a conv layer's grid raised a class score.

Selvaraju et al. 2017 weight each channel of the layer by the mean gradient of the
class score over the grid; Grad-CAM++ (Chattopadhay et al. 2018) weights the positive
gradients pixel by pixel, which separates several objects of the same class better.
Both cost one forward and one partial backward pass, on the last conv layer by default.
"""

from __future__ import annotations

import keras
import numpy as np

from dlworkflow.interpret.classes import class_gradients, class_targets, in_batches, normalise
from dlworkflow.interpret.probe import check_layer, conv_layer_names


def grad_cam(
    model: keras.Model,
    images: np.ndarray,
    classes=None,
    layer: str | None = None,
    plus: bool = False,
    batch_size: int = 16,
) -> np.ndarray:
    """Heatmaps (N, H, W) in [0, 1] at the images' size; hotter = more evidence for the class.

    ``classes``: one class id, one per image, or None for the predicted class;
    ``layer``: a conv layer's name (``walk`` path), by default the last one.
    """
    images = np.asarray(images, np.float32)
    needed_by = "Grad-CAM++" if plus else "Grad-CAM"
    layer = (
        check_layer(model, layer, needed_by) if layer else conv_layer_names(model, needed_by)[-1]
    )
    step = class_gradients(model, layer)
    (activations, _), grads = in_batches(
        step, images, class_targets(classes, len(images)), batch_size
    )
    weights = _plus_weights(activations, grads) if plus else grads.mean(axis=(1, 2))
    cams = np.maximum(np.einsum("nhwc,nc->nhw", activations, weights), 0.0)
    resized = keras.ops.image.resize(cams[..., None], images.shape[1:3], interpolation="bilinear")
    return normalise(np.maximum(np.asarray(resized)[..., 0], 0.0))


def _plus_weights(activations: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """Grad-CAM++ channel weights with the usual closed form for an exponential score."""
    squared, cubed = grads**2, grads**3
    sums = activations.sum(axis=(1, 2), keepdims=True)
    denominator = 2.0 * squared + sums * cubed
    alpha = squared / np.where(denominator != 0.0, denominator, 1.0)
    return (alpha * np.maximum(grads, 0.0)).sum(axis=(1, 2))
