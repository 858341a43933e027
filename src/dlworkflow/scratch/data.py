"""Reading the course's small files: named numeric CSV columns and a grayscale image.

Both refuse bad input with one line naming the file and the column, row or value,
and check sizes before reading, so a wrong file never fills memory.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from dlworkflow.errors import BadInput

MAX_CSV_BYTES = 20 * 2**20  # the course's CSVs are a few hundred bytes
MAX_IMAGE_BYTES = 50 * 2**20
MAX_PIXELS = 4096 * 4096
MIN_SIDE = 3  # a 3×3 kernel needs at least a 3×3 image


def course_file(relative: str) -> Path:
    """A file of the course's data (``$DLW_DATA_HOME/course/…``), which must exist."""
    from dlworkflow.data.sources import data_home

    path = data_home() / "course" / relative
    if not path.is_file():
        raise BadInput(
            f"{path}: the course's file is missing; set $DLW_DATA_HOME to the folder that "
            "holds course/, or pass --csv"
        )
    return path


def read_columns(path: Path, columns: list[str]) -> list[np.ndarray]:
    """The named columns of a CSV with a header row, as float64 arrays."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: CSV file does not exist")
    if os.path.getsize(path) > MAX_CSV_BYTES:
        raise BadInput(f"{path}: larger than {MAX_CSV_BYTES // 2**20} MiB; not a course CSV")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as error:
        raise BadInput(f"{path}: not a UTF-8 CSV file ({error})") from None
    header = [name.strip() for name in rows[0]] if rows else []
    missing = [name for name in columns if name not in header]
    if missing:
        raise BadInput(
            f"{path}: no column '{missing[0]}'; its columns: {', '.join(header) or '(none)'}"
        )
    if len(rows) < 2:
        raise BadInput(f"{path}: no data rows under the header")
    indices = [header.index(name) for name in columns]
    values = np.empty((len(rows) - 1, len(columns)))
    for number, row in enumerate(rows[1:], start=2):
        for column, index in enumerate(indices):
            text = row[index].strip() if index < len(row) else ""
            try:
                value = float(text)
            except ValueError:
                value = float("nan")
            if not np.isfinite(value):
                raise BadInput(
                    f"{path}: column '{columns[column]}' row {number}: "
                    f"'{text}' is not a finite number"
                )
            values[number - 2, column] = value
    return [values[:, column] for column in range(len(columns))]


def read_gray_image(path: Path) -> np.ndarray:
    """An image file as a (H, W) float64 array of gray levels 0…255."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: image file does not exist")
    if os.path.getsize(path) > MAX_IMAGE_BYTES:
        raise BadInput(f"{path}: larger than {MAX_IMAGE_BYTES // 2**20} MiB")
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise BadInput(
                    f"{path}: {width}×{height} pixels, more than {MAX_PIXELS:,}; resize it first"
                )
            pixels = np.asarray(image.convert("L"), dtype=np.float64)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise BadInput(f"{path}: not an image Pillow can read ({error})") from None
    if min(pixels.shape) < MIN_SIDE:
        raise BadInput(f"{path}: {pixels.shape[1]}×{pixels.shape[0]} pixels; need at least 3×3")
    return pixels
