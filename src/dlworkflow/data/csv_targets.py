"""A CSV's target column as classes or regression values, and the raw-data record every
source returns (shared by the csv module reader in ``sources`` and pandas' in
``csv_table``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow.data.dataset import Kind, Task
from dlworkflow.errors import BadInput

FLOAT32_MAX = float(np.finfo(np.float32).max)  # CSV values are trained as float32
MAX_CSV_CLASSES = 10_000  # the largest data.options.max_classes


@dataclass
class RawData:
    name: str
    kind: Kind
    task: Task
    x: Any  # an array, or image files read on demand (data/stream.py's ImageFiles)
    y: np.ndarray
    class_names: list[str]
    x_test: Any = None
    y_test: np.ndarray | None = None
    value_max: float | None = None
    feature_names: list[str] = field(default_factory=list)
    impute: str | None = None  # blanks left in x, filled from the training split's stats
    cleaning: dict[str, Any] = field(default_factory=dict)  # rows a CSV's options removed
    x_val: Any = None  # a source's own validation split (pre-split folders, listings)
    y_val: np.ndarray | None = None


def csv_targets(
    path: Path,
    x: np.ndarray,
    targets: list[str],
    target: str,
    task: str,
    max_classes: int,
    feature_names: list[str],
) -> RawData:
    numeric = _all_numbers(targets)
    if task == "auto":
        integral = numeric is not None and bool(np.all(numeric == np.round(numeric)))
        distinct = len(set(targets))
        task = (
            "classification"
            if numeric is None or (integral and distinct <= max_classes)
            else ("regression")
        )
    if task == "regression":
        if numeric is None:
            bad = next(i for i, t in enumerate(targets) if _all_numbers([t]) is None)
            raise BadInput(
                f"data.source: {path.name} column '{target}' row {bad + 2}: "
                f"'{targets[bad]}' is not a float32 number (regression target)"
            )
        return RawData(
            path.stem,
            "tabular",
            "regression",
            x,
            numeric.astype(np.float32),
            [],
            feature_names=feature_names,
        )
    if numeric is not None:
        names = [f"{v:g}" for v in sorted(set(numeric.tolist()))]
        labels = np.searchsorted(np.unique(numeric), numeric)
    else:
        names = sorted(set(targets))
        labels = np.asarray([names.index(t) for t in targets])
    if len(names) < 2:
        raise BadInput(
            f"data.options.target: column '{target}' of {path.name} has only one class "
            f"('{names[0]}'); classification needs at least 2"
        )
    return RawData(
        path.stem,
        "tabular",
        "binary" if len(names) == 2 else "multiclass",
        x,
        labels.astype(np.int64),
        names,
        feature_names=feature_names,
    )


def _all_numbers(values: list[str]) -> np.ndarray | None:
    try:
        numbers = np.asarray([float(v) for v in values], np.float64)
    except ValueError:
        return None
    finite = np.all(np.isfinite(numbers)) and np.all(np.abs(numbers) <= FLOAT32_MAX)
    return numbers if finite else None
