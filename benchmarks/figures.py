#!/usr/bin/env python
"""Grids of images as one mosaic (one ``imshow``) against an axes per tile, the way the
survey's sample grid and the interpretation figures were drawn until issue 18, each
drawn and saved as a run saves it (PNG at 110 dpi, tight box), the sides alternating.

Figures: the sample grid of MNIST (10 classes × 8), the feature maps of a 32-channel
layer (26×26), and Grad-CAM/saliency/occlusion overlays of 6 images.

    DLW_DATA_HOME=/work/shared/datasets python benchmarks/figures.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import check_mnist

from dlworkflow.data import load_dataset
from dlworkflow.data.survey import sample_grid_figure
from dlworkflow.figures import plt, save_figure
from dlworkflow.interpret.plots import channel_grid_figure, heatmap_figure


def tiles_sample_grid(x: np.ndarray, y: np.ndarray, per_class: int = 8):
    """The baseline: an axes per sample, constrained layout (the previous code)."""
    figure, axes = plt.subplots(
        10, per_class, figsize=(per_class * 1.1, 10 * 1.15 + 0.4), layout="constrained"
    )
    for row in range(10):
        for column, index in enumerate(np.flatnonzero(y == row)[:per_class]):
            axis = axes[row, column]
            axis.set_xticks([])
            axis.set_yticks([])
            axis.imshow(x[index, ..., 0], cmap="gray")
        axes[row, 0].set_ylabel(str(row), rotation=0, ha="right", va="center", fontsize=8)
    figure.suptitle("training samples")
    return figure


def tiles_channel_grid(activation: np.ndarray):
    figure, axes = plt.subplots(4, 8, figsize=(1.3 * 8, 1.3 * 4 + 0.4), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        axis.imshow(activation[..., index], cmap="viridis")
    figure.suptitle("conv: 26×26, 32 channels")
    figure.tight_layout()
    return figure


def tiles_heatmaps(images: np.ndarray, maps: dict[str, np.ndarray]):
    columns = 1 + len(maps)
    figure, axes = plt.subplots(len(images), columns, figsize=(2.3 * columns, 2.4 * 6 + 0.3))
    for row, image in enumerate(images):
        axes[row, 0].imshow(image[..., 0], cmap="gray")
        axes[row, 0].set_title(f"#{row}", fontsize=8)
        for column, (label, heat) in enumerate(maps.items(), start=1):
            axes[row, column].imshow(image[..., 0], cmap="gray")
            axes[row, column].imshow(heat[row], cmap="jet", alpha=0.5)
            axes[row, column].set_title(label, fontsize=8)
    figure.tight_layout()
    return figure


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    check_mnist()
    dataset = load_dataset({"source": "mnist", "limit": 2000})
    x, y = dataset.train.x, dataset.train.y
    rng = np.random.default_rng(0)
    activation = rng.random((26, 26, 32))
    images = x[:6].astype(np.float64)
    maps = {name: rng.random((6, 28, 28)) for name in ("Grad-CAM", "saliency", "occlusion")}
    titles = [f"#{i}" for i in range(6)]
    pairs: dict[str, tuple[Callable, Callable]] = {
        "sample grid": (lambda: sample_grid_figure(dataset), lambda: tiles_sample_grid(x, y)),
        "feature maps": (
            lambda: channel_grid_figure("conv", activation),
            lambda: tiles_channel_grid(activation),
        ),
        "heat maps": (
            lambda: heatmap_figure(images, maps, titles),
            lambda: tiles_heatmaps(images, maps),
        ),
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figure.png"
        for name, (mosaic, tiles) in pairs.items():
            seconds: dict[str, list[float]] = {"mosaic": [], "tiles": []}
            for repeat in range(args.repeats):
                sides = (("mosaic", mosaic), ("tiles", tiles))
                for side, draw in sides if repeat % 2 == 0 else sides[::-1]:
                    started = time.perf_counter()
                    save_figure(draw(), path)
                    seconds[side].append(time.perf_counter() - started)
            ours, theirs = (statistics.median(seconds[s]) for s in ("mosaic", "tiles"))
            print(
                f"{name:<13} mosaic {ours:6.3f} s   axes per tile {theirs:6.3f} s   "
                f"ratio {ours / theirs:.2f}"
            )


if __name__ == "__main__":
    main()
