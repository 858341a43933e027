"""Detection figures: precision–recall per class, the confusion matrix with background,
the costliest images with their mistakes drawn, and the survey of boxes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from dlworkflow.detection.boxes import convert_boxes
from dlworkflow.detection.coco import RECALL_POINTS, CocoResult
from dlworkflow.detection.draw import COLOURS, draw_boxes, draw_mistakes
from dlworkflow.evaluate.plots import confusion_matrix_figure
from dlworkflow.figures import plt


def pr_curves_figure(result: CocoResult) -> Figure:
    """Interpolated precision against recall at IoU 0.5 and 0.75, one line per class."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for axis, (t, label) in zip(axes, [(0, "IoU 0.5"), (5, "IoU 0.75")], strict=True):
        for k, name in enumerate(result.class_names):
            precision = result.precision[t, :, k]
            if precision[0] < 0:
                continue
            ap = precision.mean()
            axis.plot(RECALL_POINTS, precision, label=f"{name} (AP {ap:.3f})")
        axis.set_xlabel("recall")
        axis.set_title(f"precision–recall, {label}")
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 1.02)
        axis.legend(fontsize=8, loc="lower left")
    axes[0].set_ylabel("precision")
    return figure


def detection_confusion_figure(counts: np.ndarray, class_names: Sequence[str]) -> Figure:
    """The (K+1)² matrix of :func:`~dlworkflow.detection.mistakes.confusion_matrix`."""
    figure = confusion_matrix_figure(counts, [*class_names, "background"])
    figure.axes[0].set_title("detection confusion matrix (IoU ≥ 0.5), background last")
    return figure


def mistakes_figure(
    images: Sequence[np.ndarray], ranked: Sequence[dict], count: int = 12
) -> Figure:
    """The costliest images first: blue hits, red false positives, orange misses."""
    shown = list(ranked)[:count]
    columns = min(4, max(1, len(shown)))
    rows = max(1, -(-len(shown) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.4 * rows), squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for axis, entry in zip(axes.ravel(), shown, strict=False):
        image = images[entry["index"]]
        scale = max(1, 256 // max(image.shape[:2]))
        axis.imshow(draw_mistakes(image, entry, scale))
        axis.set_title(
            f"{entry['image']}\ncosts mAP@0.5 {entry['map50_cost']:.4f}: "
            f"{len(entry['false_positives'])} FP, {len(entry['false_negatives'])} FN",
            fontsize=8,
        )
    if not shown:
        axes[0, 0].text(0.5, 0.5, "no mistakes", ha="center", va="center")
    return figure


def box_survey_figure(
    boxes: Sequence[np.ndarray], labels: Sequence[np.ndarray], class_names: Sequence[str]
) -> Figure:
    """Boxes per image, box sizes (√area), aspect ratios (w/h) and boxes per class."""
    every = np.concatenate([np.asarray(b).reshape(-1, 4) for b in boxes])
    classes = np.concatenate([np.asarray(lab).reshape(-1) for lab in labels]).astype(int)
    size = convert_boxes(every, "xyxy", "cxcywh")[:, 2:]
    figure, axes = plt.subplots(1, 4, figsize=(15, 3.4))
    per_image = [len(b) for b in boxes]
    axes[0].hist(per_image, bins=np.arange(max(per_image, default=0) + 2) - 0.5, color="C0")
    axes[0].set_title("boxes per image")
    axes[1].hist(np.sqrt(size[:, 0] * size[:, 1]), bins=30, color="C1")
    axes[1].set_title("box size √(w·h), pixels")
    axes[2].hist(np.log2(size[:, 0] / np.maximum(size[:, 1], 1e-9)), bins=30, color="C2")
    axes[2].set_title("aspect log₂(w/h)")
    counts = np.bincount(classes, minlength=len(class_names))
    axes[3].bar(range(len(class_names)), counts, color="C3")
    axes[3].set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    axes[3].set_title("boxes per class")
    figure.tight_layout()
    return figure


def box_grid_figure(
    images: Sequence[np.ndarray],
    boxes: Sequence[np.ndarray],
    labels: Sequence[np.ndarray],
    class_names: Sequence[str],
    count: int = 16,
) -> Figure:
    """The first images with their labelled boxes drawn."""
    count = min(count, len(images))
    columns = min(4, max(1, count))
    rows = max(1, -(-count // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3 * rows), squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for i, axis in zip(range(count), axes.ravel(), strict=False):
        scale = max(1, 192 // max(images[i].shape[:2]))
        names = [class_names[int(c)] for c in np.asarray(labels[i]).reshape(-1)]
        axis.imshow(draw_boxes(images[i], boxes[i], names, COLOURS["truth"], scale))
    return figure
