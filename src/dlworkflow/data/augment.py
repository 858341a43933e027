"""Augmentation that moves an image and its mask together (``data.augment``).

The notes augment with Keras' ImageDataGenerator on image and mask under one seed;
here each training pair gets ``copies`` extra versions, each drawn once (seeded):
flips, quarter turns (exact on masks, no interpolation) and a random crop resized
back (bilinear for the image, nearest for the mask so no new class ids appear).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from dlworkflow.validation import StrictModel

# the notes' ImageDataGenerator arguments, and what each becomes here
ALIASES = {
    "rotation_range": "rotation",  # degrees there, a fraction of a full turn here
    "width_shift_range": "width_shift",
    "height_shift_range": "height_shift",
    "zoom_range": "zoom",
    "translation": ("width_shift", "height_shift"),
}


SEGMENTATION_KEYS = frozenset({"copies", "rotate", "crop"})
CLASSIFICATION_KEYS = frozenset(
    {"rotation", "zoom", "width_shift", "height_shift", "contrast", "brightness"}
)
ALL_KEYS = SEGMENTATION_KEYS | CLASSIFICATION_KEYS | {"flip"}


class AugmentSpec(StrictModel):
    """Segmentation: ``copies`` augmented versions of every training pair are added to the
    originals (flip, rotate, crop). Image classification: every training batch is drawn
    anew each epoch through Keras' random layers (flip, rotation, zoom, shifts, contrast,
    brightness), in the input pipeline, never in the saved model.
    """

    copies: int = Field(3, ge=1, le=20)
    # segmentation: True = both directions (its default); classification: off unless given
    flip: bool | Literal["horizontal", "vertical", "horizontal_and_vertical"] | None = None
    rotate: bool = True  # quarter turns (half turns only, for non-square images)
    crop: float | None = Field(0.8, gt=0.2, le=1.0)  # smallest side fraction kept
    rotation: float = Field(0.0, ge=0.0, le=0.5)  # fraction of a full turn, either way
    zoom: float = Field(0.0, ge=0.0, lt=1.0)  # fraction in or out
    width_shift: float = Field(0.0, ge=0.0, le=0.5)  # fraction of the width
    height_shift: float = Field(0.0, ge=0.0, le=0.5)
    contrast: float = Field(0.0, ge=0.0, le=1.0)
    brightness: float = Field(0.0, ge=0.0, le=1.0)  # fraction of the value range

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        """Accept the notes' ImageDataGenerator names (refusing a name given twice)."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for alias, target in ALIASES.items():
            if alias not in data:
                continue
            value = data.pop(alias)
            for name in target if isinstance(target, tuple) else (target,):
                if name in data:
                    raise ValueError(f"{alias} and {name} say the same thing; give one")
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
                data[name] = value / 360 if alias == "rotation_range" and ok else value
        flips = []
        for side in ("horizontal", "vertical"):
            value = data.pop(f"{side}_flip", False)
            if not isinstance(value, bool):
                raise ValueError(f"{side}_flip: {value!r} is not true or false")
            if value:
                flips.append(side)
        if flips:
            if "flip" in data:
                raise ValueError("horizontal_flip/vertical_flip and flip say the same thing")
            data["flip"] = "horizontal_and_vertical" if len(flips) == 2 else flips[0]
        return data

    def check_task(self, segmentation: bool) -> None:
        """Refuse keys of the other path: segmentation adds fixed copies (flip, rotate,
        crop); classification draws with Keras' layers each epoch (the rest)."""
        only = SEGMENTATION_KEYS if not segmentation else CLASSIFICATION_KEYS
        given = sorted(self.model_fields_set & only)
        if given:
            where = "task: segmentation" if not segmentation else "image classification"
            raise ValueError(
                f"data.augment.{given[0]} applies to {where} only; "
                f"{'segmentation' if segmentation else 'classification'} takes "
                f"{', '.join(sorted(ALL_KEYS - only))}"
            )

    def flip_mode(self, default: str | None) -> str | None:
        """The RandomFlip mode, or None for no flips (``default`` when flip is not given)."""
        if self.flip is None:
            return default
        if self.flip is True:
            return "horizontal_and_vertical"
        return self.flip or None

    def draws_per_epoch(self) -> bool:
        """Whether any on-the-fly (classification) transform is switched on."""
        return bool(
            self.flip_mode(None)
            or self.rotation
            or self.zoom
            or self.width_shift
            or self.height_shift
            or self.contrast
            or self.brightness
        )


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
    mode = spec.flip_mode("horizontal_and_vertical") or ""
    if "horizontal" in mode and rng.random() < 0.5:
        image, mask = image[:, ::-1], mask[:, ::-1]
    if "vertical" in mode and rng.random() < 0.5:
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
