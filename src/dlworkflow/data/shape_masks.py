"""A seeded synthetic segmentation set: coloured discs and squares on a noisy ground.

Colours are drawn at random for every shape, so only the outline tells a disc from a
square; later shapes cover earlier ones in the image and the mask alike. Any count,
any size, the same arrays for the same seed.
"""

from __future__ import annotations

import numpy as np

from dlworkflow.errors import BadInput

SHAPE_CLASSES = ("background", "disc", "square")
MAX_PIXELS = 200_000_000  # images × height × width × 3 bytes; refuse before allocating


def shape_masks(
    count: int = 600, size: int = 64, max_shapes: int = 3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` RGB images (uint8, ``size×size×3``) and their class-id masks (uint8).

    Each image holds 1..``max_shapes`` shapes whose half-width is 1/12 to 1/5 of ``size``.
    """
    for key, value, low in (("count", count, 1), ("size", size, 16), ("max_shapes", max_shapes, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise BadInput(f"data.options.{key}: {value!r} is not an integer >= {low}")
    if count * size * size * 3 > MAX_PIXELS:
        raise BadInput(
            f"data.options.count: {count} images of {size}×{size} exceed "
            f"{MAX_PIXELS:,} bytes; use fewer or smaller images"
        )
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size]
    images = np.empty((count, size, size, 3), np.uint8)
    masks = np.zeros((count, size, size), np.uint8)
    for i in range(count):
        ground = rng.integers(0, 256, 3)
        canvas = ground + rng.normal(0, 12, (size, size, 3))
        for _ in range(rng.integers(1, max_shapes + 1)):
            kind = int(rng.integers(1, len(SHAPE_CLASSES)))
            half = rng.uniform(size / 12, size / 5)
            r, c = rng.uniform(half, size - half, 2)
            if kind == 1:
                inside = (rows - r) ** 2 + (cols - c) ** 2 <= half**2
            else:
                inside = (np.abs(rows - r) <= half) & (np.abs(cols - c) <= half)
            colour = _distinct_colour(rng, ground)
            canvas[inside] = colour + rng.normal(0, 12, (int(inside.sum()), 3))
            masks[i][inside] = kind
        images[i] = np.clip(canvas, 0, 255).astype(np.uint8)
    return images, masks


def _distinct_colour(rng: np.random.Generator, ground: np.ndarray) -> np.ndarray:
    """A random colour at least 80 levels away from the ground in some channel."""
    while True:
        colour = rng.integers(0, 256, 3)
        if np.abs(colour - ground).max() >= 80:
            return colour
