"""Synthetic scenes of coloured circles, squares and triangles on noisy backgrounds.

Seeded and any size, so detection tests and the CPU demo need no download. Class is
the shape, never the colour (colours are drawn at random), so a detector must learn
shapes. Each scene also carries a per-pixel mask (class id + 1, 0 for background),
so the same source serves segmentation.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from dlworkflow.data.boxes import BoxDataset
from dlworkflow.errors import BadInput

SHAPES = ("circle", "square", "triangle")
MAX_SCENES = 100_000
PLACEMENT_TRIES = 50


def render_shapes(
    count: int = 1000,
    size: int = 64,
    max_objects: int = 4,
    min_size: int = 10,
    max_size: int = 24,
    noise: float = 12.0,
    seed: int = 0,
) -> BoxDataset:
    """``count`` scenes of ``size``² pixels, each with 1..``max_objects`` shapes that do
    not overlap; boxes are the tight pixel extent of each drawn shape."""
    if not 1 <= count <= MAX_SCENES:
        raise BadInput(f"data.options.count: {count} must be between 1 and {MAX_SCENES:,}")
    if not 16 <= size <= 1024:
        raise BadInput(f"data.options.size: {size} must be between 16 and 1024 pixels")
    if not 4 <= min_size <= max_size <= size:
        raise BadInput(
            f"data.options: need 4 ≤ min_size ({min_size}) ≤ max_size ({max_size}) ≤ size ({size})"
        )
    if not 1 <= max_objects <= 50:
        raise BadInput(f"data.options.max_objects: {max_objects} must be between 1 and 50")
    rng = np.random.default_rng(seed)
    images = np.empty((count, size, size, 3), dtype=np.uint8)
    masks = np.zeros((count, size, size), dtype=np.uint8)
    boxes, labels = [], []
    for index in range(count):
        images[index], masks[index], scene_boxes, scene_labels = _scene(
            rng, size, max_objects, min_size, max_size, noise
        )
        boxes.append(scene_boxes)
        labels.append(scene_labels)
    return BoxDataset(
        images,
        boxes,
        labels,
        list(SHAPES),
        [f"shapes-{i}" for i in range(count)],
        masks,
        source="shapes",
    )


def _scene(rng, size, max_objects, min_size, max_size, noise):
    background = rng.integers(0, 256, 3)
    canvas = Image.new("RGB", (size, size), tuple(int(v) for v in background))
    mask = Image.new("L", (size, size), 0)
    taken: list[tuple[int, int, int, int]] = []
    boxes, labels = [], []
    for _ in range(rng.integers(1, max_objects + 1)):
        for _ in range(PLACEMENT_TRIES):
            side = int(rng.integers(min_size, max_size + 1))
            x, y = (int(v) for v in rng.integers(0, size - side + 1, 2))
            spot = (x - 1, y - 1, x + side + 1, y + side + 1)
            if all(_apart(spot, other) for other in taken):
                break
        else:
            continue  # the scene is full; fewer objects
        label = int(rng.integers(len(SHAPES)))
        colour = _distinct_colour(rng, background)
        outline = _outline(SHAPES[label], x, y, side)
        single = Image.new("L", (size, size), 0)
        for pen, fill in ((ImageDraw.Draw(canvas), colour), (ImageDraw.Draw(single), 255)):
            if SHAPES[label] == "circle":
                pen.ellipse(outline, fill=fill)
            else:
                pen.polygon(outline, fill=fill)
        drawn = np.asarray(single) > 0
        rows, cols = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
        boxes.append([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1])
        labels.append(label)
        mask.paste(label + 1, mask=single)
        taken.append(spot)
    pixels = np.asarray(canvas, dtype=np.float64) + rng.normal(0, noise, (size, size, 3))
    return (
        np.clip(pixels, 0, 255).round().astype(np.uint8),
        np.asarray(mask),
        np.array(boxes, dtype=np.float64).reshape(-1, 4),
        np.array(labels, dtype=np.int64),
    )


def _apart(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def _distinct_colour(rng: np.random.Generator, background: np.ndarray) -> tuple[int, ...]:
    """A random colour far enough from the background to be seen."""
    while True:
        colour = rng.integers(0, 256, 3)
        if np.abs(colour - background).sum() > 150:
            return tuple(int(v) for v in colour)


def _outline(shape: str, x: int, y: int, side: int):
    if shape == "circle":
        return [x, y, x + side - 1, y + side - 1]
    if shape == "square":
        return [(x, y), (x + side - 1, y), (x + side - 1, y + side - 1), (x, y + side - 1)]
    return [(x + (side - 1) / 2, y), (x + side - 1, y + side - 1), (x, y + side - 1)]
