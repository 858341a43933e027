"""Opening an image file, the one way every step does it: capped, upright, loaded.

Images may come from someone else, so the pixel count is checked from the header before
anything is decoded (a huge or decompression-bomb file costs nothing) and every failure,
Pillow's own bomb check included, is one BadInput line naming the file. Phones store a
photo as the sensor saw it and write how to turn it in an EXIF tag, so a portrait selfie
read without the tag is a face on its side (dlib then finds none):
``ImageOps.exif_transpose`` applies the tag.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from dlworkflow.errors import BadInput

MAX_PIXELS = 24_000_000  # a 24-megapixel photo; larger ones are refused, not resized


def check_max_pixels(value: object, key: str) -> int:
    """A pixel cap from a config key or option: a positive whole number."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadInput(f"{key}: {value!r} is not a positive number of pixels (e.g. {MAX_PIXELS})")
    return value


def open_image(path: str | Path, max_pixels: int = MAX_PIXELS, key: str = "") -> Image.Image:
    """The image at ``path`` turned upright by its EXIF orientation, fully read.

    ``key`` (e.g. ``data.source``) starts every error line.
    """
    with _reading(path, max_pixels, key) as image:
        upright = ImageOps.exif_transpose(image)  # a loaded copy, turned if tagged
        upright.load()
        return upright


def check_image(
    path: str | Path, max_pixels: int = MAX_PIXELS, key: str = ""
) -> tuple[str, int, tuple[int, int]]:
    """The file's format, EXIF orientation (1..8) and stored size (width, height), after
    the same checks as
    :func:`open_image` and a full pass over its compressed data (a truncated or damaged
    file fails here), without keeping its pixels: a JPEG is decoded at 1/8 scale.

    For pipelines that decode later (``data/stream.py``) yet must refuse a bad file
    before training starts."""
    with _reading(path, max_pixels, key) as image:
        orientation = int(image.getexif().get(ORIENTATION, 1))
        kind, size = str(image.format), image.size
        if kind == "JPEG":
            image.draft(image.mode, (1, 1))
        image.load()
        return kind, orientation if 1 <= orientation <= 8 else 1, size


ORIENTATION = 0x0112  # the EXIF tag ImageOps.exif_transpose reads


@contextmanager
def _reading(path: str | Path, max_pixels: int, key: str) -> Iterator[Image.Image]:
    """The opened image once its header is under ``max_pixels``; every failure inside is
    one BadInput line naming the file."""
    path = Path(path)
    prefix = f"{key}: " if key else ""
    if not path.is_file():
        raise BadInput(f"{prefix}{path}: image file does not exist")
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own limit; our cap decides, so the warning is an error
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height <= max_pixels:
                    yield image
                    return
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        reason = str(error).splitlines()[0].replace(f"'{path}'", "").strip() or type(error).__name__
        raise BadInput(f"{prefix}cannot read image {path} ({reason})") from None
    raise BadInput(
        f"{prefix}image {path}: {width}x{height} = {width * height:,} pixels is over the cap "
        f"of {max_pixels:,}; downscale it or raise the cap (max_pixels)"
    )
