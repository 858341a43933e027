"""Seeded, stratified subsetting and train/val/test splits."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

from dlworkflow.errors import BadInput


def stratified_subset(y: np.ndarray, size: int, seed: int, stratify: bool) -> np.ndarray:
    """Indices of ``size`` samples keeping class proportions (all indices if fewer)."""
    indices = np.arange(len(y))
    if size >= len(y):
        return indices
    labels = y if stratify else None
    if stratify and size < len(np.unique(y)):
        raise BadInput(
            f"data.limit: {size} samples cannot hold one of each of the "
            f"{len(np.unique(y))} classes; use a limit of at least {len(np.unique(y))}"
        )
    chosen, _ = train_test_split(indices, train_size=size, stratify=labels, random_state=seed)
    return np.sort(chosen)


def split_indices(
    y: np.ndarray, fraction: float, seed: int, stratify: bool, key: str
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices into (kept, held_out) with ``fraction`` held out."""
    indices = np.arange(len(y))
    if fraction <= 0:
        return indices, indices[:0]
    held_out = max(1, round(fraction * len(y)))
    labels = y if stratify else None
    if stratify:
        _, counts = np.unique(y, return_counts=True)
        classes = len(counts)
        if counts.min() < 2 or held_out < classes or len(y) - held_out < classes:
            raise BadInput(
                f"data.split.{key}: {fraction:g} of {len(y)} samples cannot be split "
                f"stratified over {classes} classes (smallest class: {counts.min()} samples); "
                f"use more data or set data.split.{key}: 0"
            )
    kept, out = train_test_split(indices, test_size=held_out, stratify=labels, random_state=seed)
    return np.sort(kept), np.sort(out)


def tail_indices(count: int, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held_out) with the last ``fraction`` of ``count`` samples held out, in order."""
    held_out = max(1, round(fraction * count)) if fraction > 0 else 0
    indices = np.arange(count)
    return indices[: count - held_out], indices[count - held_out :]
