"""Figures of a segmentation evaluation: predicted against true masks, the worst images
with where they went wrong, and the pixel confusion matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlworkflow.data.mask_survey import class_legend, overlay
from dlworkflow.evaluate.plots import confusion_matrix_figure
from dlworkflow.figures import plt, save_figure

COLUMNS = ("image", "true mask", "predicted mask", "errors")


def _show(axis, image: np.ndarray) -> None:
    gray = image.ndim == 3 and image.shape[-1] == 1
    axis.imshow(image[..., 0] if gray else image, cmap="gray" if gray else None)
    axis.set_xticks([])
    axis.set_yticks([])


def _error_map(image: np.ndarray, truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """The image dimmed, with wrong pixels in red."""
    rgb = image.astype(np.float64) / 255.0
    rgb = np.repeat(rgb, 3, axis=-1) if rgb.shape[-1] == 1 else rgb[..., :3]
    dimmed = 0.35 * rgb
    dimmed[truth != predicted] = (1.0, 0.1, 0.1)
    return dimmed


def comparison_figure(
    images: np.ndarray,
    truth: np.ndarray,
    predicted: np.ndarray,
    indices: list[int],
    class_names: list[str],
    captions: list[str],
    title: str,
):
    """One row per image: the image, true and predicted masks over it, wrong pixels."""
    count = len(class_names)
    figure, axes = plt.subplots(
        len(indices), 4, figsize=(8, 2.1 * len(indices) + 0.8), squeeze=False, layout="constrained"
    )
    for row, (i, caption) in enumerate(zip(indices, captions, strict=True)):
        panels = (
            images[i],
            overlay(images[i], truth[i], count),
            overlay(images[i], predicted[i], count),
            _error_map(images[i], truth[i], predicted[i]),
        )
        for column, panel in enumerate(panels):
            _show(axes[row, column], panel)
            if row == 0:
                axes[row, column].set_title(COLUMNS[column], fontsize=9)
        axes[row, 0].set_ylabel(caption, fontsize=8, rotation=0, ha="right", va="center")
    class_legend(figure, class_names)
    figure.suptitle(title)
    return figure


def save_segmentation_figures(
    images: np.ndarray,
    truth: np.ndarray,
    predicted: np.ndarray,
    evaluation: dict,
    class_names: list[str],
    folder: Path,
    shown: int = 6,
) -> list[Path]:
    """``mask_predictions.png`` (the first images), ``worst_masks.png`` and
    ``pixel_confusion.svg`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    first = list(range(min(shown, len(images))))
    ious = evaluation["per_image_iou"]
    written = [
        save_figure(
            comparison_figure(
                images,
                truth,
                predicted,
                first,
                class_names,
                [f"#{i}\nIoU {ious[i]:.2f}" for i in first],
                "predicted against true masks",
            ),
            folder / "mask_predictions.png",
        )
    ]
    worst = evaluation["worst"]
    captions = [f"#{w['index']}\nIoU {w['mean_iou']:.2f}" for w in worst]
    written.append(
        save_figure(
            comparison_figure(
                images,
                truth,
                predicted,
                [w["index"] for w in worst],
                class_names,
                captions,
                "the worst images by mean IoU",
            ),
            folder / "worst_masks.png",
        )
    )
    confusion = confusion_matrix_figure(np.asarray(evaluation["confusion"]), class_names)
    confusion.axes[0].set_title("pixel confusion matrix")
    written.append(save_figure(confusion, folder / "pixel_confusion.svg"))
    return written
