"""Opening an image file, the one way every step does it: capped, upright, loaded.

Phones store a photo as the sensor saw it and write how to turn it in an EXIF tag, so
a portrait selfie read without the tag is a face on its side (dlib then finds none).
``ImageOps.exif_transpose`` applies the tag. The pixel cap is checked from the header
before anything is decoded, so a huge or decompression-bomb file costs nothing.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from dlworkflow.errors import BadInput

MAX_PIXELS = 24_000_000  # a 24-megapixel photo; larger ones are refused, not resized


def open_image(path: str | Path, max_pixels: int = MAX_PIXELS, context: str = "") -> Image.Image:
    """The image at ``path`` turned upright by its EXIF orientation, fully read.

    ``context`` starts every error line (e.g. ``"data.source: cannot read image "``).
    """
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{context}{path}: image file does not exist")
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise BadInput(
                    f"{context}{path}: {width}x{height} = {width * height:,} pixels is over "
                    f"the cap of {max_pixels:,}; downscale it or raise --max-pixels"
                )
            upright = ImageOps.exif_transpose(image)  # a loaded copy, turned when tagged
            upright.load()
            return upright
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as error:
        raise BadInput(f"{context}{path}: not a readable image ({error})") from None
