"""The survey of a segmentation set: each class's share of the pixels, and images with
their masks laid over them (the first thing to look at: are masks aligned at all?)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from dlworkflow.data.masks import MaskDataset, class_pixels
from dlworkflow.figures import plt, save_figure

ALPHA = 0.45


def class_colours(num_classes: int) -> np.ndarray:
    """An RGB colour per class (0..1); class 0 is shown without colour in overlays."""
    cmap = plt.get_cmap("tab10" if num_classes <= 10 else "tab20")
    return np.asarray([cmap(k % cmap.N)[:3] for k in range(num_classes)])


def overlay(image: np.ndarray, mask: np.ndarray, num_classes: int) -> np.ndarray:
    """The image (uint8, gray or RGB) as RGB floats with every non-zero class tinted."""
    rgb = image.astype(np.float64) / 255.0
    rgb = np.repeat(rgb, 3, axis=-1) if rgb.shape[-1] == 1 else rgb[..., :3]
    colours = class_colours(num_classes)
    tinted = (1 - ALPHA) * rgb + ALPHA * colours[mask]
    return np.where((mask > 0)[..., np.newaxis], tinted, rgb)


def pixel_frequencies(dataset: MaskDataset) -> dict[str, list[float]]:
    """Per split, each class's fraction of the mask pixels."""
    result = {}
    for name, split in dataset.splits().items():
        counts = np.asarray(class_pixels(split.y, dataset.num_classes), np.float64)
        result[name] = (counts / counts.sum()).tolist()
    return result


def mask_survey_figures(dataset: MaskDataset, folder: Path, count: int = 8) -> list[Path]:
    """``class_pixels.svg`` and ``mask_samples.png`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        save_figure(pixel_frequency_figure(dataset), folder / "class_pixels.svg"),
        save_figure(mask_overlay_figure(dataset, count), folder / "mask_samples.png"),
    ]


def pixel_frequency_figure(dataset: MaskDataset) -> Figure:
    frequencies = pixel_frequencies(dataset)
    names = dataset.class_names
    figure, axis = plt.subplots(figsize=(7, 3.8))
    width = 0.8 / len(frequencies)
    for offset, (split, shares) in enumerate(frequencies.items()):
        positions = np.arange(len(names)) + offset * width
        axis.bar(positions, np.asarray(shares) * 100, width, label=split)
    axis.set_xticks(np.arange(len(names)) + width * (len(frequencies) - 1) / 2, names)
    axis.set_ylabel("% of pixels")
    axis.set_title(f"{dataset.name}: class pixel frequencies")
    axis.legend()
    return figure


def mask_overlay_figure(dataset: MaskDataset, count: int = 8) -> Figure:
    split = dataset.train
    shown = min(count, len(split))
    figure, axes = plt.subplots(
        2, shown, figsize=(shown * 1.6, 3.6), squeeze=False, layout="constrained"
    )
    for column in range(shown):
        image, mask = split.x[column], split.y[column]
        gray = image.shape[-1] == 1
        axes[0, column].imshow(image[..., 0] if gray else image, cmap="gray" if gray else None)
        axes[1, column].imshow(overlay(image, mask, dataset.num_classes))
        for axis in axes[:, column]:
            axis.set_xticks([])
            axis.set_yticks([])
    axes[0, 0].set_ylabel("image", fontsize=8)
    axes[1, 0].set_ylabel("mask", fontsize=8)
    class_legend(figure, dataset.class_names)
    figure.suptitle(f"{dataset.name}: training images and their masks")
    return figure


def class_legend(figure, class_names: list[str]) -> None:
    from matplotlib.patches import Patch

    colours = class_colours(len(class_names))
    handles = [Patch(color=colours[k], label=name) for k, name in enumerate(class_names) if k > 0]
    figure.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8)
