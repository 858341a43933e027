"""Figures of the interpretation methods: heatmap overlays and channel grids."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from dlworkflow.evaluate.mistakes import show_image
from dlworkflow.figures import display_rgb, mosaic, plt


def heatmap_figure(
    images: np.ndarray, maps: dict[str, np.ndarray], titles: list[str], note: str = ""
) -> Figure:
    """One row per image: the image, then each method's map over it (hotter = more).

    ``maps`` is ``{method label: (N, H, W) array}``. The rows are blended into one RGB
    mosaic drawn by a single ``imshow``: a matplotlib axes per tile made this figure the
    slowest step after a run's training (issue 18).
    """
    columns = 1 + len(maps)
    tiles = []
    for row, image in enumerate(images):
        base = display_rgb(image)
        tiles.append(base)
        for heat in maps.values():
            limit = float(np.abs(heat[row]).max()) or 1.0
            hot = plt.get_cmap("jet")(np.clip(heat[row] / limit, 0.0, 1.0))[..., :3]
            tiles.append(0.5 * base + 0.5 * hot)
    height, width = tiles[0].shape[:2]
    gap = max(2, round(0.3 * height))  # room for each row's titles
    grid, origins = mosaic(np.stack(tiles), columns, gap)
    figure = plt.figure(figsize=(2.3 * columns, 2.4 * len(images) + 0.3))
    axis = figure.add_axes((0.01, 0.0, 0.98, 0.97 if note else 1.0))
    axis.imshow(grid, interpolation="nearest")
    axis.axis("off")
    labels = ["", *maps]
    for index, (top, left) in enumerate(origins):
        row, column = divmod(index, columns)
        label = titles[row] if column == 0 else labels[column]
        axis.text(left + width / 2, top - 1, label, ha="center", va="bottom", fontsize=8)
    if note:
        figure.suptitle(note, fontsize=9)
    return figure


def channel_grid_figure(name: str, activation: np.ndarray, limit: int = 64) -> Figure:
    """The course's feature-map figure: each channel of one layer as a tile, each scaled
    to its own range (one mosaic, one ``imshow``)."""
    channels = min(activation.shape[-1], limit)
    columns = min(8, channels)
    rows = math.ceil(channels / columns)
    maps = np.moveaxis(np.asarray(activation, dtype=np.float64)[..., :channels], -1, 0)
    low = maps.min(axis=(1, 2), keepdims=True)
    span = maps.max(axis=(1, 2), keepdims=True) - low
    scaled = np.divide(maps - low, span, out=np.zeros_like(maps), where=span > 0)
    grid, _ = mosaic(scaled, columns, max(1, round(0.06 * maps.shape[1])))
    figure = plt.figure(figsize=(1.3 * columns, 1.3 * rows + 0.4))
    axis = figure.add_axes((0.01, 0.0, 0.98, 1 - 0.4 / (1.3 * rows + 0.4)))
    colours = plt.get_cmap("viridis").with_extremes(bad="white")
    axis.imshow(grid, cmap=colours, vmin=0.0, vmax=1.0, interpolation="nearest")
    axis.axis("off")
    shown = (
        f"first {channels} of {activation.shape[-1]}"
        if channels < activation.shape[-1]
        else f"{channels}"
    )
    figure.suptitle(
        f"{name}: {activation.shape[0]}×{activation.shape[1]}, {shown} channels", fontsize=9
    )
    return figure


def filter_grid_figure(name: str, inputs: np.ndarray, filters: list[int]) -> Figure:
    """The inputs that maximise each filter of a layer, titled by filter number."""
    columns = min(8, len(inputs))
    rows = math.ceil(len(inputs) / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(1.4 * columns, 1.5 * rows + 0.4), squeeze=False
    )
    for axis in axes.flat:
        axis.axis("off")
    for axis, image, number in zip(axes.flat, inputs, filters, strict=False):
        show_image(axis, image.astype(np.float64))
        axis.set_title(f"filter {number}", fontsize=7)
    figure.suptitle(f"{name}: inputs that maximise each filter (gradient ascent)", fontsize=9)
    figure.tight_layout()
    return figure
