"""A CSV table as the notes' housing example treats it (003:3180–3330), read with pandas:
columns dropped, text columns one-hot encoded, missing values dropped or imputed, and
outlier rows removed by the IQR rule, each switched on by a ``data.options`` key.

Imputation statistics come from the training split only (``impute_splits``, called by
the loader after splitting); rows are dropped before splitting, as the notes do.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow.data.csv_rows import MAX_BYTES
from dlworkflow.data.csv_targets import MAX_CSV_CLASSES, csv_targets
from dlworkflow.errors import BadInput
from dlworkflow.ranges import whole_number

MISSING = ("refuse", "drop_rows", "mean", "median", "most_frequent")
IMPUTE = ("mean", "median", "most_frequent")


def load_table_csv(
    path: Path,
    target: str | None = None,
    task: str = "auto",
    delimiter: str = ",",
    max_classes: int = 20,
    drop: list[str] | None = None,
    categorical: str = "refuse",
    missing: str = "refuse",
    outliers: dict[str, Any] | None = None,
):
    """Features and target of ``path`` after the table options; see the module doc."""
    import pandas as pd

    if task not in ("auto", "classification", "regression"):
        raise BadInput(f"data.options.task: '{task}' is not auto, classification or regression")
    whole_number(max_classes, "data.options.max_classes", 2, MAX_CSV_CLASSES)
    if categorical not in ("refuse", "one_hot"):
        raise BadInput(f"data.options.categorical: '{categorical}' is not refuse or one_hot")
    if missing not in MISSING:
        raise BadInput(f"data.options.missing: '{missing}' is not one of {', '.join(MISSING)}")
    if not path.is_file():
        raise BadInput(f"data.source: CSV file {path} does not exist")
    if path.stat().st_size > MAX_BYTES:
        raise BadInput(f"data.source: {path} is larger than {MAX_BYTES:,} bytes")
    header = _header(path, delimiter)
    try:
        frame = pd.read_csv(path, sep=delimiter, encoding="utf-8-sig", skipinitialspace=True)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BadInput(f"data.source: {path.name} is not a readable CSV ({reason})") from None
    frame.columns = header
    if frame.empty:
        raise BadInput(f"data.source: {path} has no data rows under its header")
    frame.index = frame.index + 2  # CSV line numbers (the header is line 1)
    if target is None or target not in header:
        what = "required" if target is None else f"column '{target}' not"
        raise BadInput(
            f"data.options.target: {what} in {path.name}; its columns: {', '.join(header)}"
        )
    frame = frame.drop(columns=_dropped(drop, header, target, path))
    features = [name for name in frame.columns if name != target]
    text = [name for name in features if not pd.api.types.is_numeric_dtype(frame[name])]
    _refuse_dates(frame, text, path)
    if text and categorical == "refuse":
        sample = frame[text[0]].dropna().iloc[0]
        raise BadInput(
            f"data.options.categorical: column '{text[0]}' of {path.name} holds text "
            f"('{sample}'); set categorical: one_hot, or drop: [{text[0]}]"
        )
    cleaning: dict[str, Any] = {"rows_read": len(frame)}
    before = len(frame)
    frame = _missing(frame, missing, target, text, path)
    if missing == "drop_rows":
        cleaning["rows_dropped_missing"] = before - len(frame)
    elif missing in IMPUTE:
        cleaning[f"cells_imputed_{missing}"] = int(frame[features].isna().sum().sum())
    if outliers is not None:
        before = len(frame)
        frame = remove_outliers(frame, outliers, features, text, path)
        cleaning["rows_removed_outliers"] = before - len(frame)
    if frame.empty:
        raise BadInput(f"data.options: no rows of {path.name} are left after missing/outliers")
    if text:
        frame = pd.get_dummies(frame, columns=text, dtype=np.float32)
    names = [name for name in frame.columns if name != target]
    x = frame[names].to_numpy(np.float32, na_value=np.nan)
    if np.isinf(x).any():
        row, column = np.argwhere(np.isinf(x))[0]
        raise BadInput(
            f"data.source: {path.name} column '{names[column]}' row {frame.index[row]} is not "
            "finite (or beyond float32)"
        )
    values = frame[target]
    targets = [f"{v:.17g}" if isinstance(v, float) else str(v).strip() for v in values]
    raw = csv_targets(path, x, targets, target, task, max_classes, names)
    raw.impute = missing if missing in IMPUTE and np.isnan(x).any() else None
    raw.cleaning = {**cleaning, "rows_kept": len(frame)}
    return raw


def remove_outliers(frame, outliers: Any, features: list[str], text: list[str], path: Path):
    """The notes' ``remove_outliers``: per named column in turn, keep rows within
    ``[Q1 - k·IQR, Q3 + k·IQR]`` (quartiles of the rows still kept); blanks stay."""
    if not isinstance(outliers, dict) or set(outliers) - {"iqr", "columns"}:
        raise BadInput("data.options.outliers: give {iqr: 1.5, columns: [col, …]}")
    k = outliers.get("iqr", 1.5)
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not 0 < k <= 100:
        raise BadInput(f"data.options.outliers.iqr: {k!r} is not a number in (0, 100]")
    columns = outliers.get("columns")
    if not isinstance(columns, list) or not columns:
        raise BadInput("data.options.outliers.columns: give a list of numeric column names")
    for name in columns:
        if name not in frame.columns:
            raise BadInput(
                f"data.options.outliers.columns: no column '{name}' in {path.name}; its "
                f"columns: {', '.join(map(str, frame.columns))}"
            )
        if name in text:
            raise BadInput(f"data.options.outliers.columns: column '{name}' is not numeric")
        q1, q3 = frame[name].quantile(0.25), frame[name].quantile(0.75)
        spread = q3 - q1
        inside = frame[name].between(q1 - k * spread, q3 + k * spread) | frame[name].isna()
        frame = frame[inside]
    return frame


def impute_splits(strategy: str, train: np.ndarray, *others: np.ndarray | None) -> list:
    """Fill NaNs of every split with statistics of the training split's columns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns are refused below
        if strategy == "mean":
            fill = np.nanmean(train, axis=0)
        elif strategy == "median":
            fill = np.nanmedian(train, axis=0)
        else:
            fill = np.asarray([_mode(column) for column in train.T], np.float64)
    if np.isnan(fill).any():
        raise BadInput(
            f"data.options.missing: feature column {int(np.flatnonzero(np.isnan(fill))[0])} "
            f"has no value in the training split to take the {strategy} of"
        )
    return [
        None if x is None else np.where(np.isnan(x), fill.astype(x.dtype), x)
        for x in (train, *others)
    ]


def _mode(column: np.ndarray) -> float:
    values, counts = np.unique(column[~np.isnan(column)], return_counts=True)
    return float(values[np.argmax(counts)]) if len(values) else np.nan


def _header(path: Path, delimiter: str) -> list[str]:
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '\r\n"':
        raise BadInput(f"data.options.delimiter: {delimiter!r} is not one character")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = [name.strip() for name in next(csv.reader(handle, delimiter=delimiter), [])]
    except (UnicodeDecodeError, csv.Error) as error:
        raise BadInput(f"data.source: {path.name} is not a readable CSV ({error})") from None
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated or not header:
        raise BadInput(
            f"data.source: {path.name} has an empty header or a column name more than once "
            f"({', '.join(map(repr, repeated))}); give each column its own name"
        )
    return header


def _dropped(drop: Any, header: list[str], target: str, path: Path) -> list[str]:
    if drop is None:
        return []
    if not isinstance(drop, list) or not all(isinstance(name, str) for name in drop):
        raise BadInput("data.options.drop: give a list of column names, e.g. [Address]")
    for name in drop:
        if name not in header:
            raise BadInput(
                f"data.options.drop: no column '{name}' in {path.name}; its columns: "
                f"{', '.join(header)}"
            )
        if name == target:
            raise BadInput(f"data.options.drop: '{name}' is the target; it cannot be dropped")
    return list(drop)


def _refuse_dates(frame, text: list[str], path: Path) -> None:
    import pandas as pd

    for name in text:
        cells = frame[name].dropna().astype(str)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(cells, errors="coerce", format="mixed")
        if len(cells) and parsed.notna().all() and cells.str.contains(r"\d").all():
            raise BadInput(
                f"data.options: column '{name}' of {path.name} holds dates ('{cells.iloc[0]}'); "
                f"derive numbers from it (year, month, days since…) or drop: [{name}]"
            )


def _missing(frame, missing: str, target: str, text: list[str], path: Path):
    blank = frame.isna()
    if not blank.any().any():
        return frame
    if missing == "drop_rows":
        return frame.dropna()
    rows, columns = np.nonzero(blank.to_numpy())
    row, column = frame.index[rows[0]], frame.columns[columns[0]]
    if missing == "refuse":
        raise BadInput(
            f"data.options.missing: {path.name} row {row} column '{column}' is empty; set "
            "missing: drop_rows, mean, median or most_frequent"
        )
    for name in [target, *text]:
        if blank[name].any():
            first = frame.index[np.flatnonzero(blank[name].to_numpy())[0]]
            what = "the target" if name == target else "a text column"
            raise BadInput(
                f"data.options.missing: {path.name} row {first} column '{name}' ({what}) is "
                f"empty and cannot be imputed with {missing}; use missing: drop_rows"
            )
    return frame
