"""Anchor boxes: every scale × aspect ratio centred on every cell of a feature map."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def make_anchors(
    feature_size: tuple[int, int],
    stride: float,
    scales: Sequence[float],
    ratios: Sequence[float] = (0.5, 1.0, 2.0),
) -> np.ndarray:
    """``xyxy`` anchors of shape (rows·cols·A, 4), A = len(scales)·len(ratios).

    Cell (i, j) is centred at ``((j + ½)·stride, (i + ½)·stride)`` in image pixels; an
    anchor of scale s and ratio r (height / width) has area s² and size
    ``(s/√r, s·√r)``. The order is row, column, scale, ratio, so a head's output of
    shape (rows, cols, A·k) reshapes to (rows·cols·A, k) in the same order.
    """
    rows, cols = feature_size
    scale = np.asarray(scales, dtype=np.float64)[:, None]
    ratio = np.asarray(ratios, dtype=np.float64)[None, :]
    widths = (scale / np.sqrt(ratio)).reshape(-1)
    heights = (scale * np.sqrt(ratio)).reshape(-1)
    cy, cx = np.meshgrid(
        (np.arange(rows) + 0.5) * stride, (np.arange(cols) + 0.5) * stride, indexing="ij"
    )
    centres = np.stack([cx, cy], axis=-1).reshape(-1, 1, 2)
    half = np.stack([widths, heights], axis=-1)[None] / 2
    return np.concatenate([centres - half, centres + half], axis=-1).reshape(-1, 4)
