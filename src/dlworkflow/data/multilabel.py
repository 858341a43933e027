"""Multilabel data: several 0/1 target columns per row (``data.options.target: [a, b, c]``).

Each row may carry any set of the labels, so ``y`` is an ``(n, k)`` 0/1 matrix instead of
class ids. A CSV gives the columns by name; ``digits_traits`` derives three labels from
scikit-learn's digits (even, greater than 4, prime) as a bundled example that needs no
file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow.data.csv_rows import read_rows
from dlworkflow.data.csv_targets import FLOAT32_MAX, RawData
from dlworkflow.errors import BadInput

MAX_LABELS = 1_000


def is_label_list(target: Any) -> bool:
    """A list of target columns (multilabel) rather than one column name."""
    return isinstance(target, list)


def load_multilabel_csv(path: Path, target: list[Any], task: str = "auto") -> RawData:
    """Numeric feature columns and the 0/1 columns named by ``target`` as a label matrix."""
    if task not in ("auto", "multilabel"):
        raise BadInput(
            f"data.options.task: '{task}' does not fit a list of target columns; use auto or "
            "multilabel (or give target one column name)"
        )
    labels = _label_names(target)
    header, rows = read_rows(path)
    missing = [name for name in labels if name not in header]
    if missing:
        raise BadInput(
            f"data.options.target: no column '{missing[0]}' in {path.name}; its columns: "
            f"{', '.join(header)}"
        )
    target_columns = [header.index(name) for name in labels]
    features = [i for i in range(len(header)) if i not in target_columns]
    if not features:
        raise BadInput(
            f"data.options.target: every column of {path.name} is a label; keep at least one "
            "feature column"
        )
    x = np.empty((len(rows), len(features)), np.float32)
    y = np.empty((len(rows), len(labels)), np.int64)
    for number, row in enumerate(rows, start=2):
        for column, index in enumerate(features):
            x[number - 2, column] = _feature(row[index], path, header[index], number)
        for column, index in enumerate(target_columns):
            where = f"data.options.target: {path.name} row {number} column '{header[index]}'"
            y[number - 2, column] = zero_one(row[index], where)
    return RawData(
        path.stem,
        "tabular",
        "multilabel",
        x,
        y,
        labels,
        feature_names=[header[i] for i in features],
    )


def load_digits_traits() -> RawData:
    """scikit-learn's digits as a table of 64 pixels with three labels per image: even,
    greater than 4, prime. Labels overlap (2 is even and prime), as multilabel allows."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    digit = bunch.target
    y = np.column_stack([digit % 2 == 0, digit > 4, np.isin(digit, (2, 3, 5, 7))])
    return RawData(
        name="digits_traits",
        kind="tabular",
        task="multilabel",
        x=bunch.data.astype(np.float32),
        y=y.astype(np.int64),
        class_names=["even", "greater_than_4", "prime"],
        feature_names=list(bunch.feature_names),
        value_max=16.0,  # pixel intensities 0..16: data.scale: unit divides by 16
    )


def check_label_columns(
    y_train: np.ndarray, names: list[str], key: str = "data.options.target"
) -> None:
    """Refuse a label that is all 0 or all 1 in the training split (``key`` names where
    the labels were given: a CSV's target list, or an image listing's source).

    Refused rather than warned: the model can only learn a constant for it, its F1,
    ROC-AUC and tuned threshold are undefined, and the micro/macro averages would carry
    a label nothing was learned about.
    """
    positives = y_train.sum(axis=0)
    for name, count in zip(names, positives.tolist(), strict=True):
        if count in (0, len(y_train)):
            value = 0 if count == 0 else 1
            raise BadInput(
                f"{key}: label '{name}' is {value} in every one of the {len(y_train)} "
                "training rows, so nothing can be learned about it; drop it from the list "
                "or use more data"
            )


def _label_names(target: list[Any]) -> list[str]:
    if not all(isinstance(name, str) and name for name in target):
        raise BadInput("data.options.target: give a list of column names, e.g. [a, b, c]")
    if len(target) < 2:
        raise BadInput(
            f"data.options.target: a list of {len(target)} column; multilabel needs at least 2 "
            "(for one 0/1 column give target: NAME)"
        )
    if len(target) > MAX_LABELS:
        raise BadInput(f"data.options.target: {len(target)} labels; the limit is {MAX_LABELS}")
    repeated = sorted({name for name in target if target.count(name) > 1})
    if repeated:
        raise BadInput(f"data.options.target: column '{repeated[0]}' is listed more than once")
    return [name.strip() for name in target]


def zero_one(text: str, where: str) -> int:
    """A label cell as 0 or 1; anything else refused, ``where`` naming key, file, row and
    column."""
    try:
        value = float(text)
    except ValueError:
        value = np.nan
    if value not in (0.0, 1.0):
        raise BadInput(f"{where}: '{text.strip()}' is not 0 or 1 (each label column holds 0 or 1)")
    return int(value)


def _feature(text: str, path: Path, column: str, row: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadInput(
            f"data.source: {path.name} column '{column}' row {row}: '{text}' is not a number"
        ) from None
    if not np.isfinite(value) or abs(value) > FLOAT32_MAX:
        raise BadInput(
            f"data.source: {path.name} column '{column}' row {row}: {text} is not a finite "
            "float32 number"
        )
    return value
