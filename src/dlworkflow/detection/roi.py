"""Region-of-interest pooling: a fixed-size feature crop for every box.

Boxes are ``xyxy`` in the feature map's pixel-centre coordinates (pixel (i, j) sits at
x = j, y = i), the convention of ``tf.image.crop_and_resize``; divide image boxes by
the backbone's stride first.
"""

from __future__ import annotations

import numpy as np


def crop_and_resize(
    features: np.ndarray,
    boxes: np.ndarray,
    box_indices: np.ndarray,
    size: tuple[int, int],
    extrapolation: float = 0.0,
) -> np.ndarray:
    """Bilinear samples on a ``size`` grid spanning each box, corners included.

    ``features`` is (B, H, W, C); returns (N, h, w, C). Samples outside the map take
    ``extrapolation``, as in TensorFlow.
    """
    features = np.asarray(features, dtype=np.float64)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    _, height, width, _ = features.shape
    out_h, out_w = size
    ys = _sample_positions(boxes[:, 1], boxes[:, 3], out_h)  # (N, h)
    xs = _sample_positions(boxes[:, 0], boxes[:, 2], out_w)  # (N, w)
    y0 = np.floor(ys).astype(np.int64)
    x0 = np.floor(xs).astype(np.int64)
    wy = (ys - y0)[:, :, None, None]
    wx = (xs - x0)[:, None, :, None]
    which = np.asarray(box_indices, dtype=np.int64)[:, None, None]

    def at(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        rows = np.clip(yy, 0, height - 1)[:, :, None]
        cols = np.clip(xx, 0, width - 1)[:, None, :]
        return features[which, rows, cols]

    top = at(y0, x0) * (1 - wx) + at(y0, x0 + 1) * wx
    bottom = at(y0 + 1, x0) * (1 - wx) + at(y0 + 1, x0 + 1) * wx
    crops = top * (1 - wy) + bottom * wy
    inside = ((ys >= 0) & (ys <= height - 1))[:, :, None] & ((xs >= 0) & (xs <= width - 1))[
        :, None, :
    ]
    return np.where(inside[..., None], crops, extrapolation)


def _sample_positions(start: np.ndarray, end: np.ndarray, count: int) -> np.ndarray:
    """``count`` evenly spaced positions from start to end; the midpoint when count is 1."""
    if count == 1:
        return ((start + end) / 2)[:, None]
    return start[:, None] + (end - start)[:, None] * np.arange(count)[None, :] / (count - 1)


def _pooled(crops: np.ndarray, size: tuple[int, int], sampling: int, reduce) -> np.ndarray:
    n, _, _, channels = crops.shape
    blocks = crops.reshape(n, size[0], sampling, size[1], sampling, channels)
    return reduce(blocks, axis=(2, 4))


def roi_align(
    features: np.ndarray,
    boxes: np.ndarray,
    box_indices: np.ndarray,
    size: tuple[int, int] = (7, 7),
    sampling: int = 2,
) -> np.ndarray:
    """ROI align: ``sampling × sampling`` bilinear samples per output cell, averaged.

    No coordinate is rounded, so small boxes keep their sub-pixel position (Mask R-CNN).
    """
    grid = (size[0] * sampling, size[1] * sampling)
    return _pooled(crop_and_resize(features, boxes, box_indices, grid), size, sampling, np.mean)


def roi_pool(
    features: np.ndarray,
    boxes: np.ndarray,
    box_indices: np.ndarray,
    size: tuple[int, int] = (7, 7),
    sampling: int = 2,
) -> np.ndarray:
    """ROI pooling as a max over each output cell's bilinear samples (Fast R-CNN's max,
    taken on the sampled grid instead of on rounded cell borders)."""
    grid = (size[0] * sampling, size[1] * sampling)
    return _pooled(crop_and_resize(features, boxes, box_indices, grid), size, sampling, np.max)
