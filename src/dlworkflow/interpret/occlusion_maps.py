"""Occlusion sensitivity (Zeiler & Fergus 2014): slide a grey square, record the probability.

Where covering the image makes the class probability fall, the model was looking.
All occluded copies of an image go through the model's traced forward step in large
batches, which is what makes this affordable (169 copies of a 224×224 image for a
32-pixel patch, stride 16).
"""

from __future__ import annotations

import keras
import numpy as np

from dlworkflow.errors import BadInput
from dlworkflow.interpret.classes import class_targets, probabilities


def occlusion(
    model: keras.Model,
    images: np.ndarray,
    classes=None,
    patch: int | None = None,
    stride: int | None = None,
    fill: float | None = None,
    batch_size: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """``(drop, probability)``, each (N, H, W).

    ``probability`` is the class probability with the patch over each pixel (averaged
    over the patches covering it) — the course's "hotter = higher probability" map;
    ``drop`` is the baseline probability minus it — hotter = more important.
    ``patch``/``stride`` default to about a seventh of the image and half a patch;
    ``fill`` defaults to each image's mean value (the grey square).
    """
    images = np.asarray(images, np.float32)
    height, width = images.shape[1:3]
    patch = patch or max(1, round(min(height, width) / 7))
    stride = stride or max(1, patch // 2)
    if not 0 < patch <= min(height, width) or stride < 1:
        raise BadInput(
            f"occlusion: patch {patch} and stride {stride} need 1 ≤ patch ≤ {min(height, width)}"
            " (the image side) and stride ≥ 1"
        )
    before = probabilities(model, images, batch_size)
    classes = before.argmax(axis=1) if classes is None else class_targets(classes, len(images))
    base = before[np.arange(len(images)), classes]
    corners = [
        (top, left)
        for top in _starts(height, patch, stride)
        for left in _starts(width, patch, stride)
    ]
    drops, maps = [], []
    for image, label, baseline in zip(images, classes, base, strict=True):
        grey = image.mean() if fill is None else fill
        copies = np.repeat(image[None], len(corners), axis=0)
        for copy, (top, left) in zip(copies, corners, strict=True):
            copy[top : top + patch, left : left + patch] = grey
        scores = probabilities(model, copies, batch_size)[:, label]
        total, count = np.zeros((height, width)), np.zeros((height, width))
        for score, (top, left) in zip(scores, corners, strict=True):
            total[top : top + patch, left : left + patch] += score
            count[top : top + patch, left : left + patch] += 1
        probability = total / count
        maps.append(probability)
        drops.append(baseline - probability)
    return np.stack(drops), np.stack(maps)


def _starts(size: int, patch: int, stride: int) -> list[int]:
    """Patch positions along one side, the last one flush with the edge."""
    starts = list(range(0, size - patch + 1, stride))
    return starts if starts[-1] == size - patch else [*starts, size - patch]
