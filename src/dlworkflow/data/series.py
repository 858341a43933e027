"""Time series for ``task: forecast``: load one and check its timeline.

The time column must increase at a regular step. A gap (missing steps) or a missing
value is refused, naming the file, row and column, unless ``data.options`` sets the
``gaps`` or ``missing`` policy to ``interpolate``. Splitting, scaling and windows are in
:mod:`dlworkflow.data.windows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow.data.series_sources import NAMED_SERIES, Table, csv_table
from dlworkflow.data.spec import DataSpec
from dlworkflow.errors import BadInput

POLICIES = ("error", "interpolate")


@dataclass
class Series:
    """A regular timeline and its values, as loaded (before scaling)."""

    name: str
    time_name: str
    time: np.ndarray  # float64 (years, indices) or datetime64
    values: np.ndarray  # (steps, columns) float64
    columns: list[str]
    season: int | None = None  # the period a seasonal-naive forecast repeats
    filled: int = 0  # values interpolated under a gaps/missing policy

    def __len__(self) -> int:
        return len(self.values)

    def time_labels(self, index: np.ndarray | slice) -> list[str]:
        """Times as text for JSON and plots (years without a trailing .0)."""
        picked = self.time[index]
        if np.issubdtype(picked.dtype, np.datetime64):
            return [str(t) for t in picked]
        return [f"{t:g}" for t in picked]


_OPTIONS = {"time", "columns", "gaps", "missing"}


def load_series(spec: DataSpec) -> Series:
    """The series named by ``data.source`` with ``data.options`` applied (checked)."""
    options = dict(spec.options)
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise BadInput(
            f"data.options.{unknown[0]}: not an option of a time series "
            f"(valid: {', '.join(sorted(_OPTIONS))})"
        )
    for key in ("gaps", "missing"):
        if options.get(key, "error") not in POLICIES:
            raise BadInput(f"data.options.{key}: '{options[key]}' is not error or interpolate")
    kind, _, argument = spec.source.partition(":")
    if kind == "csv" and argument:
        if "time" not in options:
            raise BadInput(f"data.options.time: required for {argument}: the time column's name")
        table = csv_table(Path(argument), options["time"], options.get("columns"))
    elif spec.source in NAMED_SERIES:
        if "time" in options:
            raise BadInput(f"data.options.time: '{spec.source}' has its own time column")
        table = NAMED_SERIES[spec.source](options.get("columns"))
    else:
        raise BadInput(
            f"data.source: '{spec.source}' is not a time series; use csv:PATH or one of "
            f"{', '.join(NAMED_SERIES)}"
        )
    series = _regular(table, options.get("gaps", "error"), options.get("missing", "error"))
    if spec.limit is not None:
        series.values, series.time = series.values[: spec.limit], series.time[: spec.limit]
    return series


def _regular(table: Table, gaps: str, missing: str) -> Series:
    """Check order and spacing; fill gaps and missing values only when a policy says so."""
    where = f"{table.origin}"
    units, step, inferred = _units_and_step(table.time)
    if len(units) < 2:
        raise BadInput(f"{where}: a time series needs at least 2 rows")
    diffs = np.diff(units)
    for i in np.flatnonzero(diffs <= 0)[:1]:
        word = "repeats" if diffs[i] == 0 else "goes back"
        raise BadInput(
            f"{where} row {table.rows[i + 1]} column '{table.time_name}': the time {word} "
            f"({_show(table.time[i + 1])} after {_show(table.time[i])}); sort the rows by time "
            "and drop duplicates"
        )
    for i in np.flatnonzero(diffs % step != 0)[:1]:
        raise BadInput(
            f"{where} row {table.rows[i + 1]} column '{table.time_name}': irregular step "
            f"({_show(table.time[i])} → {_show(table.time[i + 1])}; the usual step is "
            f"{_step_text(step, table.time)}); resample the series to a regular step"
        )
    holes = np.isnan(table.values)
    if holes.any() and missing == "error":
        r, c = np.argwhere(holes)[0]
        raise BadInput(
            f"{where} row {table.rows[r]} column '{table.columns[c]}': missing value "
            f"({int(holes.sum())} in all); set data.options.missing: interpolate"
        )
    time, values = table.time, table.values
    gap_rows = np.flatnonzero(diffs != step)
    if len(gap_rows):
        i = gap_rows[0]
        if gaps == "error":
            raise BadInput(
                f"{where} row {table.rows[i + 1]} column '{table.time_name}': a gap of "
                f"{int(diffs[i] // step) - 1} missing step(s) after {_show(table.time[i])} "
                f"({len(gap_rows)} gap(s) in all); set data.options.gaps: interpolate"
            )
        full = np.arange(units[0], units[-1] + step, step)
        values = np.full((len(full), table.values.shape[1]), np.nan)
        values[((units - units[0]) // step).astype(np.int64)] = table.values
        time = _times_from_units(full, table.time)
    filled = int(np.isnan(values).sum())
    if filled:
        values = _interpolate(values)
    return Series(
        table.name, table.time_name, time, values, table.columns, table.season or inferred, filled
    )


def _units_and_step(time: np.ndarray) -> tuple[np.ndarray, float, int | None]:
    """The timeline in whole units (months for month-aligned dates, else seconds, or the
    numbers as given), its usual step, and the season that step suggests."""
    if not np.issubdtype(time.dtype, np.datetime64):
        return time, _usual(np.diff(time)), None
    if _month_aligned(time):
        months = time.astype("datetime64[M]").astype(np.int64).astype(np.float64)
        step = _usual(np.diff(months))
        return months, step, {1: 12, 3: 4}.get(int(step))
    seconds = time.astype("datetime64[s]").astype(np.int64).astype(np.float64)
    step = _usual(np.diff(seconds))
    return seconds, step, {3600: 24, 86_400: 7, 7 * 86_400: 52}.get(int(step))


def _month_aligned(time: np.ndarray) -> bool:
    """Dates on the same day and hour of every month (monthly, quarterly, yearly data)."""
    months = time.astype("datetime64[M]")
    offsets = (time - months.astype(time.dtype)).astype(np.int64)
    steps = np.diff(months.astype(np.int64))
    return len(time) > 1 and bool(np.all(offsets == offsets[0])) and bool(np.any(steps > 0))


def _times_from_units(units: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Units from :func:`_units_and_step` back to times of the same kind as ``like``."""
    if not np.issubdtype(like.dtype, np.datetime64):
        return units
    if _month_aligned(like):
        offset = like[0] - like[0].astype("datetime64[M]").astype(like.dtype)
        return units.astype(np.int64).astype("datetime64[M]").astype(like.dtype) + offset
    return units.astype(np.int64).astype("datetime64[s]")


def future_times(series: Series, count: int) -> np.ndarray:
    """The ``count`` times after the end of a (regular) series."""
    units, step, _ = _units_and_step(series.time)
    return _times_from_units(units[-1] + step * np.arange(1, count + 1), series.time)


def _usual(diffs: np.ndarray) -> float:
    """The most common positive step (a few gaps do not change it)."""
    positive = diffs[diffs > 0]
    if not len(positive):
        return 1.0
    steps, counts = np.unique(positive, return_counts=True)
    return float(steps[np.argmax(counts)])


def _interpolate(values: np.ndarray) -> np.ndarray:
    """Linear in time per column; the ends take the nearest known value."""
    out = values.copy()
    index = np.arange(len(values))
    for c in range(values.shape[1]):
        known = ~np.isnan(values[:, c])
        if not known.any():
            raise BadInput(f"column {c}: every value is missing")
        out[:, c] = np.interp(index, index[known], values[known, c])
    return out


def _show(value: Any) -> str:
    return str(value) if isinstance(value, np.datetime64) else f"{value:g}"


def _step_text(step: float, time: np.ndarray) -> str:
    if not np.issubdtype(time.dtype, np.datetime64):
        return f"{step:g}"
    return f"{step:g} {'month(s)' if _month_aligned(time) else 'second(s)'}"
