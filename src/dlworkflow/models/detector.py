"""A small anchor-free, centre-based detector (CenterNet's idea) for CPU training.

The network maps an image to a grid at ``stride`` pixels per cell. Per cell it predicts
one heatmap channel per class (is an object's centre here?) and four box numbers: the
centre's offset inside the cell (sigmoid) and log width / height in cells. Peaks of the
heatmap become boxes; per-class NMS and a score threshold make the final list.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers, ops

from dlworkflow.detection.coco import Boxes
from dlworkflow.detection.suppression import batched_nms

BOX_CHANNELS = 4  # offset x, offset y, log w, log h
PRIOR = 0.05  # initial heatmap probability: the focal loss starts from rare positives


def build_centre_detector(
    input_shape: tuple[int, int, int],
    num_classes: int,
    width: int = 32,
    backbone: keras.Model | None = None,
    name: str = "centre_detector",
) -> keras.Model:
    """Image (uint8 values as floats) → grid (H/s, W/s, classes + 4).

    Without ``backbone``: four conv stages (stride 4); with one (a transfer backbone's
    feature map), its output, whose stride is the image size over the map size. Then
    two dilated convs give the context a whole object needs, and the head.
    """
    inputs = keras.Input(input_shape, name="image")
    if backbone is None:
        x = layers.Rescaling(1 / 255.0, name="scale")(inputs)
        for stage, filters in enumerate([width // 2, width, 2 * width, 2 * width]):
            x = _conv(x, filters, f"stage{stage}")
            if stage in (0, 1):
                x = layers.MaxPooling2D(name=f"pool{stage}")(x)
    else:
        x = backbone(inputs)
    for rate in (2, 4):
        x = _conv(x, 2 * width, f"context_d{rate}", dilation=rate)
    x = _conv(x, 2 * width, "head")
    heatmap = layers.Conv2D(
        num_classes,
        1,
        activation="sigmoid",
        bias_initializer=keras.initializers.Constant(float(np.log(PRIOR / (1 - PRIOR)))),
        name="heatmap",
    )(x)
    box = layers.Conv2D(BOX_CHANNELS, 1, name="box")(x)
    outputs = layers.Concatenate(name="grid")([heatmap, box])
    return keras.Model(inputs, outputs, name=name)


def _conv(x, filters: int, name: str, dilation: int = 1):
    x = layers.Conv2D(
        filters, 3, padding="same", dilation_rate=dilation, use_bias=False, name=name
    )(x)
    # momentum 0.9: moving statistics that keep up within a few hundred CPU steps
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


@keras.saving.register_keras_serializable(package="dlworkflow")
def centre_loss(y_true, y_pred):
    """Focal loss on the heatmap (CenterNet's, with Gaussian-softened negatives) plus L1
    on the box numbers at object centres, both divided by the number of objects.

    ``y_true`` is (…, classes + 5): the target heatmap, the four box numbers and a
    centre mask, as :func:`encode_targets` writes it.
    """
    classes = ops.shape(y_pred)[-1] - BOX_CHANNELS
    heat_true, box_true, centre = (
        y_true[..., :classes],
        y_true[..., classes:-1],
        y_true[..., -1:],
    )
    heat = ops.clip(y_pred[..., :classes], 1e-6, 1 - 1e-6)
    offset = ops.sigmoid(y_pred[..., classes : classes + 2])
    box = ops.concatenate([offset, y_pred[..., classes + 2 :]], axis=-1)
    positive = ops.cast(ops.equal(heat_true, 1.0), heat.dtype)
    focal = -positive * (1 - heat) ** 2 * ops.log(heat) - (1 - positive) * (
        (1 - heat_true) ** 4
    ) * heat**2 * ops.log(1 - heat)
    count = ops.maximum(ops.sum(centre, axis=(1, 2, 3)), 1.0)
    heat_loss = ops.sum(focal, axis=(1, 2, 3)) / count
    box_loss = ops.sum(centre * ops.abs(box - box_true), axis=(1, 2, 3)) / count
    return heat_loss + box_loss


def encode_targets(
    boxes: Sequence[np.ndarray],
    labels: Sequence[np.ndarray],
    grid: tuple[int, int],
    stride: float,
    num_classes: int,
) -> np.ndarray:
    """Training targets (N, rows, cols, classes + 5) from ``xyxy`` pixel boxes.

    Each object puts a 1 at its centre cell in its class channel, a Gaussian around it
    (σ a sixth of its size, in cells) and its box numbers plus a mask at the centre.
    """
    rows, cols = grid
    targets = np.zeros((len(boxes), rows, cols, num_classes + BOX_CHANNELS + 1), np.float32)
    yy, xx = np.mgrid[0:rows, 0:cols]
    for n, (image_boxes, image_labels) in enumerate(zip(boxes, labels, strict=True)):
        for box, label in zip(np.asarray(image_boxes).reshape(-1, 4), image_labels, strict=True):
            w, h = (box[2] - box[0]) / stride, (box[3] - box[1]) / stride
            cx, cy = (box[0] + box[2]) / 2 / stride, (box[1] + box[3]) / 2 / stride
            j, i = min(int(cx), cols - 1), min(int(cy), rows - 1)
            sx, sy = max(w / 6, 0.5), max(h / 6, 0.5)
            blob = np.exp(-((xx - j) ** 2) / (2 * sx**2) - (yy - i) ** 2 / (2 * sy**2))
            targets[n, :, :, label] = np.maximum(targets[n, :, :, label], blob)
            targets[n, i, j, label] = 1.0
            targets[n, i, j, num_classes:] = [cx - j, cy - i, np.log(w), np.log(h), 1.0]
    return targets


def decode_grid(
    grid: np.ndarray,
    stride: float,
    score_threshold: float = 0.05,
    iou_threshold: float = 0.5,
    max_boxes: int = 100,
) -> list[Boxes]:
    """Boxes per image from the model's output: local heatmap maxima (3×3) above the
    threshold, then per-class NMS."""
    grid = np.asarray(grid, dtype=np.float64)
    classes = grid.shape[-1] - BOX_CHANNELS
    heat = grid[..., :classes]
    padded = np.pad(heat, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-1)
    rows, cols = heat.shape[1:3]
    neighbours = np.max(
        [padded[:, dy : dy + rows, dx : dx + cols] for dy in range(3) for dx in range(3)], axis=0
    )
    peaks = (heat >= neighbours) & (heat > score_threshold)
    results = []
    for n in range(len(grid)):
        i, j, k = np.nonzero(peaks[n])
        scores = heat[n, i, j, k]
        numbers = grid[n, i, j, classes:]
        cx = (j + 1 / (1 + np.exp(-numbers[:, 0]))) * stride
        cy = (i + 1 / (1 + np.exp(-numbers[:, 1]))) * stride
        w, h = np.exp(np.clip(numbers[:, 2:], -10, 10)).T * stride
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        keep = batched_nms(boxes, scores, k, iou_threshold, max_output=max_boxes)
        results.append(Boxes(boxes[keep], k[keep], scores[keep]))
    return results


def grid_stride(model: keras.Model) -> float:
    """Image pixels per output cell."""
    return model.input_shape[1] / model.output_shape[1]


def predict_boxes(
    model: keras.Model,
    images: np.ndarray,
    score_threshold: float = 0.05,
    iou_threshold: float = 0.5,
    batch_size: int = 64,
) -> list[Boxes]:
    """Boxes for uint8 images of the model's input size."""
    grid = model.predict(images.astype(np.float32), batch_size=batch_size, verbose=0)
    return decode_grid(grid, grid_stride(model), score_threshold, iou_threshold)
