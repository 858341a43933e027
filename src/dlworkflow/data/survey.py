"""The dataset survey of step 2: numbers first, then the course's figures.

Shapes, dtype, value range and class counts per split; class distribution as a bar
and a pie (Lab 1), a grid of samples per class, and a scatter for 2-feature data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlworkflow.data.dataset import Dataset, class_counts
from dlworkflow.data.stream import bounded_sample
from dlworkflow.figures import plt, save_figure


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
        written.append(_class_distribution(dataset, folder / "class_distribution.svg"))
    if dataset.kind == "image":
        written.append(_sample_grid(dataset, folder / "samples.png"))
    elif dataset.train.x.shape[1] == 2:
        written.append(_scatter(dataset, folder / "scatter.svg"))
    if dataset.kind == "tabular" and 3 <= dataset.train.x.shape[1] <= MAX_HEATMAP_COLUMNS:
        written.append(_correlations(dataset, folder / "correlations.svg"))
    return written


MAX_HEATMAP_COLUMNS = 40  # beyond this the labels are unreadable; two are the scatter


def _correlations(dataset: Dataset, path: Path) -> Path:
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
    return save_figure(figure, path)


def _class_distribution(dataset: Dataset, path: Path) -> Path:
    counts = class_counts(dataset.train.y, dataset.num_classes)
    names = dataset.class_names
    figure, (bar, pie) = plt.subplots(1, 2, figsize=(12, 4.5))
    bar.bar(range(len(names)), counts, color="tab:blue")
    bar.set_xticks(
        range(len(names)),
        names,
        rotation=45 if len(names) > 10 else 0,
        ha="right" if len(names) > 10 else "center",
    )
    bar.set_xlabel("class")
    bar.set_ylabel("training samples")
    bar.set_title(f"{dataset.name}: class distribution (train)")
    pie.pie(
        counts,
        labels=names if len(names) <= 20 else None,
        autopct="%1.1f%%",
        textprops={"fontsize": 8},
    )
    pie.set_title("share of each class")
    return save_figure(figure, path)


def _sample_grid(dataset: Dataset, path: Path, per_class: int = 8, max_classes: int = 10) -> Path:
    x, y = dataset.train.x, dataset.train.y
    if dataset.task == "regression":
        rows, picks = 1, [np.arange(min(per_class, len(x)))]
        labels = ["samples"]
    else:
        shown = list(range(min(dataset.num_classes, max_classes)))
        picks = [np.flatnonzero(y == c)[:per_class] for c in shown]
        rows, labels = len(shown), [dataset.class_names[c] for c in shown]
    figure, axes = plt.subplots(
        rows, per_class, figsize=(per_class * 1.1, rows * 1.15), squeeze=False
    )
    for row, (indices, label) in enumerate(zip(picks, labels, strict=True)):
        for column in range(per_class):
            axis = axes[row, column]
            axis.set_xticks([])
            axis.set_yticks([])
            if column < len(indices):
                image = x[indices[column]]
                gray = image.shape[-1] == 1
                axis.imshow(image[..., 0] if gray else image, cmap="gray" if gray else None)
            if column == 0:
                axis.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    figure.suptitle(f"{dataset.name}: training samples", y=1.0)
    return save_figure(figure, path)


def _scatter(dataset: Dataset, path: Path) -> Path:
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
    return save_figure(figure, path)
