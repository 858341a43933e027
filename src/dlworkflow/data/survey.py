"""The dataset survey of step 2: numbers first, then the course's figures.

Shapes, dtype, value range and class counts per split; class distribution as bars
labelled with each class's share, a grid of samples per class, and a scatter for
2-feature data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from dlworkflow.data.dataset import Dataset, class_counts
from dlworkflow.data.stream import bounded_sample
from dlworkflow.figures import display_rgb, mosaic, plt, save_figure


def survey(dataset: Dataset) -> dict:
    """Plain numbers about the raw splits."""
    splits = {}
    for name, split in dataset.splits().items():
        x = bounded_sample(split.x)  # a streamed split: statistics of a spread sample
        entry = {
            "size": len(split),
            "x_shape": list(split.x.shape),
            "dtype": str(split.x.dtype),
            **({"sampled": len(x)} if len(x) < len(split) else {}),
            "min": float(x.min()),
            "max": float(x.max()),
            "mean": float(x.mean()),
            "std": float(x.std()),
        }
        if dataset.kind == "image" and x.ndim == 4:  # per channel, as normalisers use
            pixels = x.reshape(-1, x.shape[-1]).astype(np.float64)
            entry["channel_mean"] = pixels.mean(axis=0).tolist()
            entry["channel_std"] = pixels.std(axis=0).tolist()
        elif dataset.kind == "tabular":  # per column: the notes' describe()
            columns = x.astype(np.float64)
            entry["columns"] = {
                name: {"mean": float(m), "std": float(d), "min": float(lo), "max": float(hi)}
                for name, m, d, lo, hi in zip(
                    dataset.feature_names or [f"x{i}" for i in range(columns.shape[1])],
                    columns.mean(axis=0), columns.std(axis=0),
                    columns.min(axis=0), columns.max(axis=0),
                    strict=True,
                )
            }  # fmt: skip
        if dataset.task == "regression":
            entry["target"] = {
                "min": float(split.y.min()),
                "max": float(split.y.max()),
                "mean": float(split.y.mean()),
            }
        else:
            entry["class_counts"] = class_counts(split.y, dataset.num_classes)
        splits[name] = entry
    return {
        "name": dataset.name,
        "task": dataset.task,
        "kind": dataset.kind,
        "class_names": dataset.class_names,
        "splits": splits,
        "cleaning": dataset.cleaning,
    }


def survey_figures(dataset: Dataset, folder: Path) -> list[Path]:
    """Write the survey's figures into ``folder`` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if dataset.task != "regression":
        figure = class_distribution_figure(dataset)
        written.append(save_figure(figure, folder / "class_distribution.svg"))
    if dataset.kind == "image":
        written.append(save_figure(sample_grid_figure(dataset), folder / "samples.png"))
    elif dataset.train.x.shape[1] == 2 and dataset.task != "multilabel":  # one colour a row
        written.append(save_figure(scatter_figure(dataset), folder / "scatter.svg"))
    if dataset.kind == "tabular" and 3 <= dataset.train.x.shape[1] <= MAX_HEATMAP_COLUMNS:
        written.append(save_figure(correlations_figure(dataset), folder / "correlations.svg"))
    return written


MAX_HEATMAP_COLUMNS = 40  # beyond this the labels are unreadable; two are the scatter


def correlations_figure(dataset: Dataset) -> Figure:
    """Pearson correlations of the training features (and a regression target), the
    notes' heatmap before choosing columns."""
    names = list(dataset.feature_names) or [f"x{i}" for i in range(dataset.train.x.shape[1])]
    columns = dataset.train.x.astype(np.float64)
    if dataset.task == "regression":
        columns, names = np.column_stack([columns, dataset.train.y]), [*names, "target"]
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = np.nan_to_num(np.corrcoef(columns, rowvar=False))
    size = max(4.0, 0.45 * len(names) + 2)
    figure, axis = plt.subplots(figsize=(size + 1, size))
    image = axis.imshow(matrix, cmap="coolwarm", vmin=-1, vmax=1)
    axis.set_xticks(range(len(names)), names, rotation=90, fontsize=8)
    axis.set_yticks(range(len(names)), names, fontsize=8)
    if len(names) <= 12:
        for (row, column), value in np.ndenumerate(matrix):
            axis.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=7)
    figure.colorbar(image, ax=axis, label="Pearson r")
    axis.set_title(f"{dataset.name}: correlations (train)")
    return figure


def class_distribution_figure(dataset: Dataset) -> Figure:
    counts = class_counts(dataset.train.y, dataset.num_classes)
    title = f"{dataset.name}: class distribution (train)"
    return class_bars_figure(counts, dataset.class_names, title)


LABEL_SHARES_UP_TO = 20  # classes; beyond this the labels over the bars collide


def class_bars_figure(counts: list[int], names: list[str], title: str) -> Figure:
    """Training samples per class as bars, each labelled with its share of the total.

    Lab 1 drew a pie beside the bars; it repeated them (lengths compare better than
    angles), so the one thing it added, the share, is written on the bars instead.
    """
    figure, axis = plt.subplots(figsize=(min(max(6.0, 0.45 * len(names) + 2), 20), 4.5))
    bars = axis.bar(range(len(names)), counts, color="tab:blue")
    crowded = len(names) > 10 or max(map(len, names), default=0) > 8
    axis.set_xticks(
        range(len(names)),
        names,
        rotation=45 if crowded else 0,
        ha="right" if crowded else "center",
        rotation_mode="anchor",
    )
    total = sum(counts)
    if len(names) <= LABEL_SHARES_UP_TO and total:
        shares = [f"{100 * count / total:.1f}%" for count in counts]
        axis.bar_label(bars, shares, fontsize=8 if len(names) <= 10 else 6, padding=2)
        axis.margins(y=0.12)  # room for the labels over the tallest bar
    axis.set_xlabel("class")
    axis.set_ylabel("training samples")
    axis.set_title(title)
    return figure


def sample_grid_figure(dataset: Dataset, per_class: int = 8, max_classes: int = 10) -> Figure:
    x, y = dataset.train.x, dataset.train.y
    if dataset.task == "regression":
        rows, picks = 1, [np.arange(min(per_class, len(x)))]
        labels = ["samples"]
    else:
        shown = list(range(min(dataset.num_classes, max_classes)))
        members = [y[:, c] == 1 if y.ndim == 2 else y == c for c in shown]  # multilabel: has c
        picks = [np.flatnonzero(m)[:per_class] for m in members]
        rows, labels = len(shown), [dataset.class_names[c] for c in shown]
    tiles = np.ones((rows * per_class, *x.shape[1:3], 3))  # white where a class has fewer
    for row, indices in enumerate(picks):
        for column, index in enumerate(indices):
            tiles[row * per_class + column] = display_rgb(x[index])
    height, width = x.shape[1:3]
    gap = max(1, round(0.12 * height))
    grid, origins = mosaic(tiles, per_class, gap)
    figure = plt.figure(figsize=(per_class * 1.1, rows * 1.15))
    axis = figure.add_axes((0.12, 0.0, 0.88, 1.0))
    axis.imshow(grid, interpolation="nearest")
    axis.set_anchor("N")  # the spare height goes below the grid, not under the title
    axis.axis("off")
    for row, label in enumerate(labels):
        top, left = origins[row * per_class]
        axis.text(left - gap, top + height / 2, label, ha="right", va="center", fontsize=8)
    figure.suptitle(f"{dataset.name}: training samples", y=1.0, va="bottom")
    return figure


def scatter_figure(dataset: Dataset) -> Figure:
    x, y = dataset.train.x, dataset.train.y
    figure, axis = plt.subplots(figsize=(6, 5))
    if dataset.task == "regression":
        points = axis.scatter(x[:, 0], x[:, 1], c=y, cmap="viridis", s=12)
        figure.colorbar(points, ax=axis, label="target")
    else:
        for index, name in enumerate(dataset.class_names):
            mask = y == index
            axis.scatter(x[mask, 0], x[mask, 1], s=12, label=name)
        axis.legend(title="class")
    names = dataset.feature_names or ["x0", "x1"]
    axis.set_xlabel(names[0])
    axis.set_ylabel(names[1])
    axis.set_title(f"{dataset.name}: training points")
    return figure
