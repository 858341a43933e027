"""Grad-CAM for a segmentation model: where in the image the evidence for a class lies.

The class score is the class's probability summed over every pixel of the output
(Vinogradova et al. 2020, "Towards interpretable semantic segmentation via
gradient-weighted class activation mapping"); each channel of a conv layer is weighted
by the mean gradient of that score over the layer's grid, as in Selvaraju et al. 2017.
The default layer is the U-Net's bottleneck: the last conv layer of smallest grid.
"""

from __future__ import annotations

import keras
import numpy as np

from dlworkflow.errors import BadInput


def bottleneck_layer(model: keras.Model) -> str:
    """The last conv layer whose output grid is the smallest."""
    convs = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D)
        and not isinstance(layer, keras.layers.Conv2DTranspose)
    ]
    if not convs:
        raise BadInput(f"model {model.name} has no conv layer for Grad-CAM")
    smallest = min(layer.output.shape[1] * layer.output.shape[2] for layer in convs)
    return [c for c in convs if c.output.shape[1] * c.output.shape[2] == smallest][-1].name


def mask_grad_cam(
    model: keras.Model, images: np.ndarray, class_id: int, layer: str | None = None
) -> np.ndarray:
    """Heatmaps (N, H, W) in [0, 1] at the images' size for class ``class_id``."""
    import tensorflow as tf

    units = int(model.outputs[0].shape[-1])
    classes = 2 if units == 1 else units
    if not 0 <= class_id < classes:
        raise BadInput(f"--cam: class {class_id} is not one of the model's 0..{classes - 1}")
    name = layer or bottleneck_layer(model)
    probe = keras.Model(model.inputs, [model.get_layer(name).output, model.outputs[0]])
    x = tf.convert_to_tensor(np.asarray(images, np.float32))
    with tf.GradientTape() as tape:
        activations, output = probe(x, training=False)
        if units == 1:
            probability = output[..., 0] if class_id == 1 else 1.0 - output[..., 0]
        else:
            probability = output[..., class_id]
        score = tf.reduce_sum(probability)  # images do not interact: per-image gradients
    grads = tape.gradient(score, activations).numpy()
    activations = activations.numpy()
    cams = np.maximum(np.einsum("nhwc,nc->nhw", activations, grads.mean(axis=(1, 2))), 0.0)
    resized = np.asarray(tf.image.resize(cams[..., None], x.shape[1:3], method="bilinear"))
    resized = np.maximum(resized[..., 0], 0.0)
    peak = resized.max(axis=(1, 2), keepdims=True)
    return np.divide(resized, peak, out=np.zeros_like(resized), where=peak > 0)
