"""Images to explain: image files or ``test:N``, fitted to the run's inputs with notes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlworkflow.data import Preprocessing
from dlworkflow.errors import BadInput
from dlworkflow.imagefile import MAX_PIXELS, open_image


@dataclass
class Picked:
    """One image as the run's data looks (raw values, the run's shape), with its story."""

    name: str
    raw: np.ndarray  # (H, W, C) in the dataset's raw range
    label: int | None  # the true class when known (test:N)
    notes: list[str]


def image_shape(data: dict) -> tuple[int, int, int]:
    """The run's image shape (H, W, C); tabular runs have none."""
    shape = tuple(data["input_shape"])
    if data.get("kind") != "image" or len(shape) != 3:
        raise BadInput(
            f"interpretation needs image inputs; this run's data '{data.get('name')}' is "
            f"{data.get('kind')} with input shape {shape}"
        )
    return shape


def raw_top(preprocessing: Preprocessing) -> float:
    """The top of the raw value range the run was scaled from (255 unless known)."""
    if preprocessing.scale in ("unit", "symmetric"):
        return float(np.max(np.add(preprocessing.offset, preprocessing.factor)))
    return 255.0


def load_image_file(
    path: Path, shape: tuple[int, int, int], top: float, max_pixels: int = MAX_PIXELS
) -> Picked:
    """An image file converted to the run's channels and size, each change noted.

    Pixel values 0–255 are mapped onto the run's raw range (0–16 for digits).
    """
    from PIL import Image

    height, width, channels = shape
    if channels not in (1, 3):
        raise BadInput(f"{path}: the run's images have {channels} channels; files need 1 or 3")
    image = open_image(path, max_pixels)
    notes = []
    mode = "L" if channels == 1 else "RGB"
    if image.mode != mode:
        notes.append(f"converted from {image.mode} to {mode} ({channels} channel(s))")
        image = image.convert(mode)
    if image.size != (width, height):
        notes.append(f"resized from {image.width}×{image.height} to {width}×{height}")
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    pixels = np.asarray(image, np.float32).reshape(height, width, channels)
    if top != 255.0:
        notes.append(f"pixel values 0–255 mapped to the run's raw range 0–{top:g}")
        pixels = pixels * (top / 255.0)
    return Picked(path.name, pixels, None, notes)


def pick_images(
    specs: list[str],
    shape: tuple[int, int, int],
    top: float,
    test_split=None,
    max_pixels: int = MAX_PIXELS,
) -> list[Picked]:
    """Each spec is an image file or ``test:N`` (the N-th image of ``test_split``)."""
    picked = []
    for spec in specs:
        if spec.startswith("test:"):
            if test_split is None:
                raise BadInput(f"{spec}: this run's dataset has no test split")
            try:
                index = int(spec.removeprefix("test:"))
            except ValueError:
                raise BadInput(f"{spec}: expected test:N with N a whole number") from None
            if not 0 <= index < len(test_split):
                raise BadInput(f"{spec}: the test split has images 0–{len(test_split) - 1}")
            raw = np.asarray(test_split.x[index], np.float32).reshape(shape)
            picked.append(Picked(f"test-{index}", raw, int(test_split.y[index]), []))
        else:
            path = Path(spec)
            if not path.is_file():
                raise BadInput(f"{spec}: no such image file (give a PNG/JPEG/PGM file or test:N)")
            picked.append(load_image_file(path, shape, top, max_pixels))
    return picked
