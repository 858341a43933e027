"""Box formats, areas, pairwise IoU and the Faster R-CNN box encoding.

Every function takes ``(..., 4)`` float arrays; corners ``xyxy`` are the default
format because IoU, clipping and drawing are simplest on them.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

BoxFormat = Literal["xyxy", "xywh", "cxcywh"]
FORMATS: tuple[str, ...] = ("xyxy", "xywh", "cxcywh")


def convert_boxes(boxes: np.ndarray, source: BoxFormat, target: BoxFormat) -> np.ndarray:
    """Boxes from one format to another (``xywh``: top-left corner and size, as in COCO;
    ``cxcywh``: centre and size, as in YOLO labels)."""
    for name in (source, target):
        if name not in FORMATS:
            raise ValueError(f"box format '{name}' is not one of {', '.join(FORMATS)}")
    boxes = np.asarray(boxes, dtype=np.float64)
    a, b, c, d = np.moveaxis(boxes, -1, 0)
    if source == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif source == "cxcywh":
        a, b, c, d = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    if target == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif target == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return np.stack([a, b, c, d], axis=-1)


def box_area(boxes: np.ndarray) -> np.ndarray:
    """Area of ``xyxy`` boxes; a box with its corners swapped has area 0, not negative."""
    boxes = np.asarray(boxes, dtype=np.float64)
    width = np.clip(boxes[..., 2] - boxes[..., 0], 0, None)
    height = np.clip(boxes[..., 3] - boxes[..., 1], 0, None)
    return width * height


def pairwise_iou(a: np.ndarray, b: np.ndarray, box_format: BoxFormat = "xyxy") -> np.ndarray:
    """Intersection over union of every box in ``a`` (N, 4) with every box in ``b`` (M, 4).

    Returns an (N, M) array; a pair whose union is empty has IoU 0.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    if box_format != "xyxy":
        a, b = convert_boxes(a, box_format, "xyxy"), convert_boxes(b, box_format, "xyxy")
    # one (N, M) temporary at a time, updated in place: the matrix is the memory cost
    width = np.minimum(a[:, None, 2], b[None, :, 2])
    width -= np.maximum(a[:, None, 0], b[None, :, 0])
    np.clip(width, 0, None, out=width)
    inter = np.minimum(a[:, None, 3], b[None, :, 3])
    inter -= np.maximum(a[:, None, 1], b[None, :, 1])
    np.clip(inter, 0, None, out=inter)
    inter *= width
    union = width  # reuse the buffer
    np.add(box_area(a)[:, None], box_area(b)[None, :], out=union)
    union -= inter
    positive = union > 0
    np.divide(inter, union, out=inter, where=positive)
    inter[~positive] = 0.0
    return inter


def encode_boxes(
    boxes: np.ndarray,
    anchors: np.ndarray,
    variances: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
) -> np.ndarray:
    """Boxes as offsets from their anchors, the targets a box head regresses.

    ``(dx, dy, dw, dh) = ((cx − cxₐ)/wₐ, (cy − cyₐ)/hₐ, log(w/wₐ), log(h/hₐ))``, each
    divided by its variance (Faster R-CNN; SSD uses variances 0.1, 0.1, 0.2, 0.2).
    """
    box = convert_boxes(boxes, "xyxy", "cxcywh")
    anchor = convert_boxes(anchors, "xyxy", "cxcywh")
    deltas = np.concatenate(
        [
            (box[..., :2] - anchor[..., :2]) / anchor[..., 2:],
            np.log(box[..., 2:] / anchor[..., 2:]),
        ],
        axis=-1,
    )
    return deltas / np.asarray(variances)


def decode_boxes(
    deltas: np.ndarray,
    anchors: np.ndarray,
    variances: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
) -> np.ndarray:
    """The inverse of :func:`encode_boxes`: ``xyxy`` boxes from offsets and anchors."""
    deltas = np.asarray(deltas, dtype=np.float64) * np.asarray(variances)
    anchor = convert_boxes(anchors, "xyxy", "cxcywh")
    centre = deltas[..., :2] * anchor[..., 2:] + anchor[..., :2]
    size = np.exp(deltas[..., 2:]) * anchor[..., 2:]
    return convert_boxes(np.concatenate([centre, size], axis=-1), "cxcywh", "xyxy")


def clip_boxes(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """Boxes cut to the image ``[0, width] × [0, height]``."""
    boxes = np.array(boxes, dtype=np.float64)
    boxes[..., 0::2] = np.clip(boxes[..., 0::2], 0, width)
    boxes[..., 1::2] = np.clip(boxes[..., 1::2], 0, height)
    return boxes
