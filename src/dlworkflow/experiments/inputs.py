"""New inputs for a finished run's model: image files or bytes, CSV rows, ``.npy`` arrays,
turned into raw samples shaped like the run's training data.

Everything here is untrusted (files named on the command line, uploads to ``dlw serve``),
so sizes are capped before memory is spent: an image's pixel count is read from its
header before decoding (a decompression bomb costs nothing), ``.npy`` files are loaded
without pickles, and every refusal is one line naming the input.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlworkflow.errors import BadInput

MAX_PIXELS = 24_000_000  # a 24-megapixel photo; larger ones are refused, not resized
MAX_ROWS = 100_000  # rows of one CSV or .npy input
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".pgm", ".ppm", ".tif", ".tiff")
IMAGE_FORMATS = {"PNG", "JPEG", "GIF", "BMP", "WEBP", "PPM", "TIFF", "MPO"}


@dataclass(frozen=True)
class InputSpec:
    """What the run's model takes: raw sample shape, data kind, raw pixel top, columns."""

    shape: tuple[int, ...]
    kind: str  # "image" or "table"
    top: float  # pixel value 255 maps to this raw value (16 for digits)
    feature_names: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


@dataclass
class Samples:
    """Raw samples (N, *shape) with one name each (file, file#row, index)."""

    names: list[str]
    x: np.ndarray

    def __len__(self) -> int:
        return len(self.names)


def decode_image(
    data: bytes, name: str, spec: InputSpec, max_pixels: int = MAX_PIXELS
) -> np.ndarray:
    """Image bytes as one raw sample of the run: EXIF-rotated, channels and size converted,
    pixels 0–255 mapped onto the run's raw range."""
    from PIL import Image

    height, width, channels = _image_shape(spec, name)
    image = open_image(data, name, max_pixels, "L" if channels == 1 else "RGB")
    fitted = image.resize((width, height), Image.Resampling.BILINEAR)
    raw = np.asarray(fitted, np.float32).reshape(height, width, channels)
    return raw * (spec.top / 255.0) if spec.top != 255.0 else raw


def open_image(data: bytes, name: str, max_pixels: int = MAX_PIXELS, mode: str = "RGB"):
    """Image bytes decoded upright (EXIF orientation applied) in ``mode``, once its
    format is a photo format and its header's pixel count is within ``max_pixels``."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in IMAGE_FORMATS:
                raise BadInput(
                    f"{name}: {image.format} images are not accepted; send "
                    f"{', '.join(sorted(IMAGE_FORMATS - {'MPO'}))}"
                )
            pixels = image.width * image.height
            if pixels > max_pixels:
                raise BadInput(
                    f"{name}: {image.width}x{image.height} = {pixels:,} pixels is over the cap "
                    f"of {max_pixels:,}; downscale it"
                )
            image.load()
            return ImageOps.exif_transpose(image).convert(mode)
    except UnidentifiedImageError:
        raise BadInput(f"{name}: not a readable image (unknown or damaged format)") from None
    except Image.DecompressionBombError:
        raise BadInput(f"{name}: a decompression bomb (too many pixels); refused") from None
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, BadInput):
            raise
        raise BadInput(f"{name}: not a readable image ({str(error).splitlines()[0]})") from None


def read_rows(text: str, name: str, spec: InputSpec) -> np.ndarray:
    """CSV text as raw samples: one row each, values in the training data's raw range.

    A header naming the run's feature columns picks and orders them; otherwise each row
    holds exactly the model's number of values (images flattened row by row).
    """
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise BadInput(f"{name}: no rows")
    columns = _header_columns(rows[0], name, spec)
    if columns is not None:
        rows = rows[1:]
    if len(rows) > MAX_ROWS:
        raise BadInput(f"{name}: {len(rows):,} rows is over the cap of {MAX_ROWS:,} per input")
    x = np.empty((len(rows), spec.size), np.float32)
    for number, row in enumerate(rows, start=2 if columns is not None else 1):
        cells = [row[i] if i < len(row) else "" for i in columns] if columns is not None else row
        if len(cells) != spec.size:
            raise BadInput(
                f"{name} row {number}: {len(cells)} values; the model takes {spec.size} "
                f"({_describe(spec)})"
            )
        try:
            x[number - (2 if columns is not None else 1)] = [float(cell) for cell in cells]
        except ValueError:
            raise BadInput(f"{name} row {number}: a value is not a number") from None
    return _checked(x.reshape(len(x), *spec.shape), name)


def rows_from_json(value: object, name: str, spec: InputSpec) -> np.ndarray:
    """A JSON array: one sample (nested to the model's shape) or a list of them."""
    try:
        x = np.asarray(value, np.float32)
    except (ValueError, TypeError):
        raise BadInput(f"{name}: not a rectangular array of numbers") from None
    return _fit_array(x, name, spec)


def read_npy(data: bytes, name: str, spec: InputSpec) -> np.ndarray:
    """A ``.npy`` array (no pickles): one sample or a batch of them."""
    try:
        x = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise BadInput(f"{name}: not a readable .npy array ({error})") from None
    if x.dtype.kind not in "biuf":
        raise BadInput(f"{name}: an array of {x.dtype}; numbers are needed")
    return _fit_array(x.astype(np.float32), name, spec)


def read_inputs(paths: list[str | Path], spec: InputSpec, max_pixels: int = MAX_PIXELS) -> Samples:
    """Files and folders (images within, sorted), CSV and ``.npy`` files as raw samples."""
    names: list[str] = []
    parts: list[np.ndarray] = []
    for path in _expand(paths):
        suffix = path.suffix.lower()
        if suffix == ".csv":
            part = read_rows(path.read_text(encoding="utf-8-sig"), str(path), spec)
            names += [f"{path}#{row}" for row in range(1, len(part) + 1)]
        elif suffix == ".npy":
            part = read_npy(path.read_bytes(), str(path), spec)
            names += [f"{path}#{row}" for row in range(len(part))] if len(part) > 1 else [str(path)]
        else:
            part = decode_image(path.read_bytes(), str(path), spec, max_pixels)[None]
            names.append(str(path))
        parts.append(part)
    if not parts:
        raise BadInput("no inputs: give image files, a folder of images, a CSV or a .npy file")
    return Samples(names, np.concatenate(parts))


def _expand(paths: list[str | Path]) -> list[Path]:
    files = []
    for item in map(Path, paths):
        if item.is_dir():
            found = sorted(p for p in item.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise BadInput(f"{item}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
            files += found
        elif item.is_file():
            files.append(item)
        else:
            raise BadInput(f"{item}: no such file or folder")
    return files


def _image_shape(spec: InputSpec, name: str) -> tuple[int, int, int]:
    if spec.kind != "image" or len(spec.shape) != 3 or spec.shape[-1] not in (1, 3):
        raise BadInput(
            f"{name}: this run's model takes {_describe(spec)}, not images; send CSV rows or arrays"
        )
    height, width, channels = spec.shape
    return height, width, channels


def _header_columns(first: list[str], name: str, spec: InputSpec) -> list[int] | None:
    """Column positions of the run's features when the first row is a header, else None."""
    cells = [cell.strip() for cell in first]
    try:
        [float(cell) for cell in cells]
        return None
    except ValueError:
        pass
    if not spec.feature_names:
        raise BadInput(
            f"{name}: the first row is not numbers and this run has no named features; "
            f"give {spec.size} numbers per row"
        )
    missing = [feature for feature in spec.feature_names if feature not in cells]
    if missing:
        raise BadInput(
            f"{name}: columns {', '.join(missing)} missing; the model takes "
            f"{', '.join(spec.feature_names)}"
        )
    return [cells.index(feature) for feature in spec.feature_names]


def _fit_array(x: np.ndarray, name: str, spec: InputSpec) -> np.ndarray:
    """One sample or a batch, in the run's shape, flat, or grey images without the channel."""
    shapes = [spec.shape, (spec.size,)]
    if len(spec.shape) == 3 and spec.shape[-1] == 1:
        shapes.append(spec.shape[:-1])
    if x.shape in shapes:
        x = x.reshape(1, *spec.shape)
    elif x.ndim >= 2 and x.shape[1:] in shapes:
        x = x.reshape(len(x), *spec.shape)
    else:
        raise BadInput(f"{name}: an array of shape {x.shape}; the model takes {_describe(spec)}")
    if len(x) > MAX_ROWS:
        raise BadInput(f"{name}: {len(x):,} samples is over the cap of {MAX_ROWS:,} per input")
    return _checked(x, name)


def _checked(x: np.ndarray, name: str) -> np.ndarray:
    if not np.isfinite(x).all():
        raise BadInput(f"{name}: contains NaN or infinity")
    return x


def _describe(spec: InputSpec) -> str:
    shape = "×".join(map(str, spec.shape))
    return f"{spec.kind} samples of shape {shape} ({spec.size} values)"
