"""Where a time series comes from: a CSV file, or one of statsmodels' bundled real series
(``sunspots``, ``co2``, ``macrodata``; install the ``sequences`` extra). Rows come back
as read, with their file row numbers; :mod:`dlworkflow.data.series` checks the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlworkflow.data.csv_rows import column, read_rows
from dlworkflow.errors import BadInput

MISSING_TEXT = {"", "na", "nan", "null", "none"}


@dataclass
class Table:
    """Rows as read, before the timeline is checked; ``rows`` are file row numbers."""

    name: str
    origin: str  # how errors name the data: a file path or the source name
    time_name: str
    time: np.ndarray
    values: np.ndarray
    columns: list[str]
    rows: np.ndarray
    season: int | None = None


def csv_table(path: Path, time_name: str, columns: list[str] | None) -> Table:
    header, rows = read_rows(path)
    time_index = column(header, time_name, path, "data.options.time")
    names = columns if columns is not None else [n for n in header if n != time_name]
    if not names:
        raise BadInput(f"data.options.columns: {path} has no value column beside '{time_name}'")
    indices = [column(header, name, path, "data.options.columns") for name in names]
    values = np.empty((len(rows), len(indices)), np.float64)
    for r, row in enumerate(rows):
        for c, index in enumerate(indices):
            values[r, c] = _value(row[index], path, r + 2, names[c])
    time = _parse_time([row[time_index].strip() for row in rows], path, time_name)
    return Table(path.stem, str(path), time_name, time, values, names, np.arange(2, len(rows) + 2))


def _value(text: str, path: Path, row: int, name: str) -> float:
    text = text.strip()
    if text.lower() in MISSING_TEXT:
        return np.nan
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"{path} row {row} column '{name}': '{text}' is not a number") from None
    if not np.isfinite(value):
        raise BadInput(f"{path} row {row} column '{name}': '{text}' is not a finite number")
    return value


def _parse_time(texts: list[str], path: Path, name: str) -> np.ndarray:
    """Numbers (years, step indices) or ISO dates/times, one kind for the whole column."""
    try:
        return np.array([float(t) for t in texts], np.float64)
    except ValueError:
        pass
    parsed = []
    for row, text in enumerate(texts, start=2):
        try:
            parsed.append(np.datetime64(text, "s"))
        except ValueError:
            raise BadInput(
                f"{path} row {row} column '{name}': '{text}' is neither a number nor an "
                "ISO date (2020-01-31 or 2020-01-31T12:00)"
            ) from None
    return np.array(parsed)


def _statsmodels(name: str):
    try:
        from statsmodels import datasets
    except ImportError:
        raise BadInput(
            f"data.source: '{name}' comes with statsmodels; pip install 'dlworkflow[sequences]'"
        ) from None
    return getattr(datasets, name).load_pandas().data


def _pick(name: str, available: list[str], columns: list[str] | None, default: list[str]):
    chosen = columns if columns is not None else default
    for picked in chosen:
        if picked not in available:
            raise BadInput(
                f"data.options.columns: '{picked}' is not a column of {name}; "
                f"use some of {', '.join(available)}"
            )
    if not chosen:
        raise BadInput("data.options.columns: name at least one value column")
    return chosen


def _sunspots(columns: list[str] | None) -> Table:
    """Yearly mean sunspot numbers 1700–2008 (SIDC, in statsmodels); the cycle is ~11 years."""
    frame = _statsmodels("sunspots")
    names = _pick("sunspots", ["SUNACTIVITY"], columns, ["SUNACTIVITY"])
    return _frame_table("sunspots", "YEAR", frame["YEAR"].to_numpy(float), frame, names, 11)


def _co2(columns: list[str] | None) -> Table:
    """Weekly Mauna Loa CO₂ (ppm) 1958–2001, with 59 missing weeks; the season is a year."""
    frame = _statsmodels("co2")
    names = _pick("co2", ["co2"], columns, ["co2"])
    time = frame.index.to_numpy().astype("datetime64[s]")
    return _frame_table("co2", "date", time, frame, names, 52)


def _macrodata(columns: list[str] | None) -> Table:
    """US quarterly macroeconomic series 1959–2009; the season is a year (4 quarters)."""
    frame = _statsmodels("macrodata")
    available = [c for c in frame.columns if c not in ("year", "quarter")]
    names = _pick("macrodata", available, columns, ["realgdp"])
    time = frame["year"].to_numpy(float) + (frame["quarter"].to_numpy(float) - 1) / 4
    return _frame_table("macrodata", "year+quarter", time, frame, names, 4)


def _frame_table(name, time_name, time, frame, columns, season) -> Table:
    values = frame[columns].to_numpy(np.float64)
    rows = np.arange(1, len(time) + 1)  # 1-based, as a reader counts
    return Table(name, name, time_name, time, values, list(columns), rows, season)


NAMED_SERIES: dict[str, Callable[[list[str] | None], Table]] = {
    "sunspots": _sunspots,
    "co2": _co2,
    "macrodata": _macrodata,
}
