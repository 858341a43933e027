"""Boxes drawn on images with Pillow: truth, hits and each kind of mistake in its colour."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

COLOURS = {
    "truth": (40, 170, 60),
    "hit": (30, 100, 230),
    "false positive": (230, 40, 40),
    "missed": (255, 150, 0),
}


def to_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """An image as uint8 RGB, from uint8 or [0, 1] floats, grey or colour."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    if image.ndim == 2 or image.shape[-1] == 1:
        image = np.repeat(image.reshape(image.shape[0], image.shape[1], 1), 3, axis=-1)
    return image


def draw_boxes(
    image: np.ndarray,
    boxes: np.ndarray,
    labels: Sequence[str] = (),
    colour: tuple[int, int, int] | Sequence[tuple[int, int, int]] = COLOURS["truth"],
    scale: int = 1,
    width: int = 2,
) -> np.ndarray:
    """A copy of ``image`` (enlarged ``scale`` times) with ``xyxy`` boxes and captions."""
    picture = Image.fromarray(to_rgb_uint8(image))
    if scale != 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    pen = ImageDraw.Draw(picture)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4) * scale
    colours = [colour] * len(boxes) if isinstance(colour[0], int) else list(colour)
    for index, box in enumerate(boxes):
        corners = [float(v) for v in box]
        # a dark halo keeps a box visible on an object of its own colour
        halo = [corners[0] - 1, corners[1] - 1, corners[2] + 1, corners[3] + 1]
        pen.rectangle(halo, outline=(0, 0, 0), width=width + 2)
        pen.rectangle(corners, outline=tuple(colours[index]), width=width)
        if index < len(labels) and labels[index]:
            pen.text((float(box[0]) + 2, float(box[1]) + 1), labels[index], fill=colours[index])
    return np.asarray(picture)


def draw_mistakes(image: np.ndarray, mistakes: dict, scale: int = 1) -> np.ndarray:
    """One image's hits (blue), false positives (red) and missed boxes (orange)."""
    boxes, captions, colours = [], [], []
    for entry in mistakes["true_positives"]:
        boxes.append(entry["box"])
        captions.append(f"{entry['class']} {entry['score']:.2f}")
        colours.append(COLOURS["hit"])
    for entry in mistakes["false_positives"]:
        boxes.append(entry["box"])
        captions.append(f"{entry['class']} {entry['score']:.2f} {entry['kind']}")
        colours.append(COLOURS["false positive"])
    for entry in mistakes["false_negatives"]:
        boxes.append(entry["box"])
        captions.append(f"missed {entry['class']}")
        colours.append(COLOURS["missed"])
    return draw_boxes(image, np.array(boxes).reshape(-1, 4), captions, colours, scale)
