"""Augmentation that moves an image and its mask together (``data.augment``).

The notes augment with Keras' ImageDataGenerator on image and mask under one seed;
here each training pair gets ``copies`` extra versions, each drawn once (seeded):
flips, quarter turns (exact on masks, no interpolation) and a random crop resized
back (bilinear for the image, nearest for the mask so no new class ids appear).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from dlworkflow.validation import StrictModel


class AugmentSpec(StrictModel):
    """``copies`` augmented versions of every training pair are added to the originals."""

    copies: int = Field(3, ge=1, le=20)
    flip: bool = True
    rotate: bool = True  # quarter turns (half turns only, for non-square images)
    crop: float | None = Field(0.8, gt=0.2, le=1.0)  # smallest side fraction kept


def augment_pair(
    image: np.ndarray, mask: np.ndarray, spec: AugmentSpec, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One random transform applied identically to ``image`` (H×W×C) and ``mask`` (H×W)."""
    height, width = mask.shape
    if spec.crop is not None and spec.crop < 1.0:
        side = rng.uniform(spec.crop, 1.0)
        h, w = max(1, round(height * side)), max(1, round(width * side))
        top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
        image = _resize(image[top : top + h, left : left + w], height, width, nearest=False)
        mask = _resize(mask[top : top + h, left : left + w], height, width, nearest=True)
    if spec.flip:
        if rng.random() < 0.5:
            image, mask = image[:, ::-1], mask[:, ::-1]
        if rng.random() < 0.5:
            image, mask = image[::-1], mask[::-1]
    if spec.rotate:
        turns = int(rng.integers(0, 4)) if height == width else 2 * int(rng.integers(0, 2))
        image, mask = np.rot90(image, turns), np.rot90(mask, turns)
    return np.ascontiguousarray(image), np.ascontiguousarray(mask)


def augment_pairs(
    images: np.ndarray, masks: np.ndarray, spec: AugmentSpec, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The originals followed by ``spec.copies`` augmented versions of each pair."""
    rng = np.random.default_rng(seed)
    out_images, out_masks = [images], [masks]
    for _ in range(spec.copies):
        pairs = [augment_pair(x, y, spec, rng) for x, y in zip(images, masks, strict=True)]
        out_images.append(np.stack([p[0] for p in pairs]))
        out_masks.append(np.stack([p[1] for p in pairs]))
    return np.concatenate(out_images), np.concatenate(out_masks)


def _resize(array: np.ndarray, height: int, width: int, nearest: bool) -> np.ndarray:
    from PIL import Image

    resample = Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR
    squeeze = array.ndim == 3 and array.shape[-1] == 1
    image = Image.fromarray(array[..., 0] if squeeze else array)
    out = np.asarray(image.resize((width, height), resample), dtype=array.dtype)
    return out[..., np.newaxis] if squeeze else out
