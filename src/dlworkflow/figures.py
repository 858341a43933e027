"""Saving matplotlib figures: headless, atomic, closed after use."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # no display here or in CI; every figure goes to a file

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dlworkflow.atomic import write_with  # noqa: E402


def _show_inline_in_jupyter() -> None:
    """A Figure a notebook cell returns shows as a PNG: Agg (above) replaced the inline
    backend that would have registered this. IPython is used only when already running."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        from IPython.core.pylabtools import print_figure

        png = shell.display_formatter.formatters["image/png"]
        png.for_type(Figure, lambda figure: print_figure(figure, "png", bbox_inches="tight"))


_show_inline_in_jupyter()


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` (format from the suffix: .svg or .png) and free it."""
    path = Path(path)
    try:
        write_with(path, lambda tmp: figure.savefig(tmp, bbox_inches="tight", dpi=110))
    finally:
        plt.close(figure)
    return path


def mosaic(tiles: np.ndarray, columns: int, gap: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Tiles ``(N, H, W[, C])`` laid out ``columns`` wide with ``gap`` blank pixels above
    and between them (NaN for one channel, white for RGB); each tile's top-left corner.

    Drawn by one ``imshow``: a matplotlib axes per tile made grids of images the slowest
    figures of a run (issue 18)."""
    count, height, width = tiles.shape[:3]
    rows = math.ceil(count / columns)
    blank = 1.0 if tiles.ndim == 4 else np.nan
    shape = (rows * (height + gap), columns * (width + gap) - gap, *tiles.shape[3:])
    mosaic = np.full(shape, blank)
    origins = []
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        top, left = row * (height + gap) + gap, column * (width + gap)
        mosaic[top : top + height, left : left + width] = tile
        origins.append((top, left))
    return mosaic, origins


def display_rgb(image: np.ndarray) -> np.ndarray:
    """An image as float RGB in [0, 1] the way the figures show it: grey stretched to its
    own range (the data's ranges vary: digits are 0–16), uint8 over 255, float RGB
    stretched only when it leaves [0, 1] (imshow would clip it)."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 3:
        if image.dtype == np.uint8:
            return image / 255.0
        rgb = image.astype(np.float64)
        return rgb if rgb.min() >= 0.0 and rgb.max() <= 1.0 else stretch(rgb)
    grey = stretch(image.reshape(image.shape[:2]))
    return np.repeat(grey[..., None], 3, axis=-1)


def stretch(values: np.ndarray) -> np.ndarray:
    """``values`` scaled linearly onto [0, 1] by their own minimum and maximum (all 0 when
    they are all equal), as float64."""
    values = np.asarray(values, np.float64)
    low, high = values.min(), values.max()
    return (values - low) / (high - low) if high > low else np.zeros_like(values)
