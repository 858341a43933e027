"""Figures of the interpretation methods: heatmap overlays and channel grids."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from dlworkflow.evaluate.mistakes import show_image
from dlworkflow.figures import plt


def heatmap_figure(
    images: np.ndarray, maps: dict[str, np.ndarray], titles: list[str], note: str = ""
) -> Figure:
    """One row per image: the image, then each method's map over it (hotter = more).

    ``maps`` is ``{method label: (N, H, W) array}``.
    """
    columns = 1 + len(maps)
    # constrained layout places each title below the row above; tight_layout let the
    # square images' titles overlap the previous row
    figure, axes = plt.subplots(
        len(images),
        columns,
        figsize=(2.3 * columns, 2.4 * len(images) + 0.3),
        squeeze=False,
        layout="constrained",
    )
    for row, image in enumerate(images):
        show_image(axes[row, 0], image)
        axes[row, 0].set_title(titles[row], fontsize=8)
        for column, (label, heat) in enumerate(maps.items(), start=1):
            axis = axes[row, column]
            show_image(axis, image)
            limit = float(np.abs(heat[row]).max()) or 1.0
            axis.imshow(heat[row], cmap="jet", alpha=0.5, vmin=0.0, vmax=limit)
            axis.set_title(label, fontsize=8)
    if note:
        figure.suptitle(note, fontsize=9)
    return figure


def channel_grid_figure(name: str, activation: np.ndarray, limit: int = 64) -> Figure:
    """The course's feature-map figure: each channel of one layer as a grey tile."""
    channels = min(activation.shape[-1], limit)
    columns = min(8, channels)
    rows = math.ceil(channels / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(1.3 * columns, 1.3 * rows + 0.4), squeeze=False
    )
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < channels:
            axis.imshow(activation[..., index], cmap="viridis")
    shown = (
        f"first {channels} of {activation.shape[-1]}"
        if channels < activation.shape[-1]
        else f"{channels}"
    )
    figure.suptitle(
        f"{name}: {activation.shape[0]}×{activation.shape[1]}, {shown} channels", fontsize=9
    )
    figure.tight_layout()
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
