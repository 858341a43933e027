"""Time series for ``task: forecast``: load, check the timeline, split in time order,
scale on the training period only, and cut windows.

A series is a time column and value columns, from a CSV file (``csv:PATH``) or one of
statsmodels' bundled real series (``sunspots``, ``co2``, ``macrodata``; install the
``sequences`` extra). Splits are contiguous periods, train then val then test; the
scaler sees only the training period, so nothing in the later periods can change the
training data. A window's inputs may reach back into an earlier period (that is the
known past at forecast time), its targets never cross into a later one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow.data.csv_rows import column, read_rows
from dlworkflow.data.dataset import Dataset, Split
from dlworkflow.data.preprocess import Preprocessing, fit_preprocessing
from dlworkflow.data.sequence_spec import ForecastSpec
from dlworkflow.data.spec import DataSpec
from dlworkflow.errors import BadInput

POLICIES = ("error", "interpolate")
MISSING_TEXT = {"", "na", "nan", "null", "none"}
SPLITS = ("train", "val", "test")


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


# --- sources ------------------------------------------------------------------------

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
        table = _csv_table(Path(argument), options["time"], options.get("columns"))
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


@dataclass
class _Table:
    """Rows as read, before the timeline is checked; ``rows`` are file row numbers."""

    name: str
    origin: str  # how errors name the data: a file path or the source name
    time_name: str
    time: np.ndarray
    values: np.ndarray
    columns: list[str]
    rows: np.ndarray
    season: int | None = None


def _csv_table(path: Path, time_name: str, columns: list[str] | None) -> _Table:
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
    return _Table(path.stem, str(path), time_name, time, values, names, np.arange(2, len(rows) + 2))


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


def _sunspots(columns: list[str] | None) -> _Table:
    """Yearly mean sunspot numbers 1700–2008 (SIDC, in statsmodels); the cycle is ~11 years."""
    frame = _statsmodels("sunspots")
    names = _pick("sunspots", ["SUNACTIVITY"], columns, ["SUNACTIVITY"])
    return _frame_table("sunspots", "YEAR", frame["YEAR"].to_numpy(float), frame, names, 11)


def _co2(columns: list[str] | None) -> _Table:
    """Weekly Mauna Loa CO₂ (ppm) 1958–2001, with 59 missing weeks; the season is a year."""
    frame = _statsmodels("co2")
    names = _pick("co2", ["co2"], columns, ["co2"])
    time = frame.index.to_numpy().astype("datetime64[s]")
    return _frame_table("co2", "date", time, frame, names, 52)


def _macrodata(columns: list[str] | None) -> _Table:
    """US quarterly macroeconomic series 1959–2009; the season is a year (4 quarters)."""
    frame = _statsmodels("macrodata")
    available = [c for c in frame.columns if c not in ("year", "quarter")]
    names = _pick("macrodata", available, columns, ["realgdp"])
    time = frame["year"].to_numpy(float) + (frame["quarter"].to_numpy(float) - 1) / 4
    return _frame_table("macrodata", "year+quarter", time, frame, names, 4)


def _frame_table(name, time_name, time, frame, columns, season) -> _Table:
    values = frame[columns].to_numpy(np.float64)
    rows = np.arange(1, len(time) + 1)  # 1-based, as a reader counts
    return _Table(name, name, time_name, time, values, list(columns), rows, season)


NAMED_SERIES: dict[str, Callable[[list[str] | None], _Table]] = {
    "sunspots": _sunspots,
    "co2": _co2,
    "macrodata": _macrodata,
}


# --- the timeline -----------------------------------------------------------------


def _regular(table: _Table, gaps: str, missing: str) -> Series:
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


# --- splits, scaling and windows ---------------------------------------------------


@dataclass
class SeriesWindows:
    """Windows of the scaled series per split; ``starts`` are the index of each window's
    first target step, so any forecast can be put back on the timeline."""

    series: Series
    targets: list[int]  # target columns (indices into series.columns)
    lookback: int
    horizon: int
    bounds: tuple[int, int]  # end of the training period, end of the validation period
    preprocessing: Preprocessing  # per column, fitted on the training period
    scaled: np.ndarray
    starts: dict[str, np.ndarray]
    season: int | None = None  # forecast.season, else the series' own
    relative: bool = False  # forecast.relative: windows shifted by their last step

    def _windows(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Scaled input windows (windows, lookback, columns) and the index of their targets."""
        starts = self.starts[split]
        steps = np.arange(-self.lookback, 0)[None, :] + starts[:, None]
        return self.scaled[steps], np.arange(self.horizon)[None, :] + starts[:, None]

    def arrays(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Inputs (windows, lookback, columns) and flat targets (windows, horizon·targets)."""
        windows, ahead = self._windows(split)
        x, anchor = model_inputs(windows, self.relative)
        y = self.scaled[ahead][:, :, self.targets] - anchor[:, :, self.targets]
        return x, y.reshape(len(y), -1).astype(np.float32)

    def truth(self, split: str) -> np.ndarray:
        """Unscaled targets (windows, horizon, targets)."""
        return self.series.values[self._windows(split)[1]][:, :, self.targets]

    def unscale(self, y: np.ndarray, split: str) -> np.ndarray:
        """Model outputs on ``split`` (windows, horizon·targets) in the series' units."""
        anchor = model_inputs(self._windows(split)[0], self.relative)[1]
        return to_units(y, anchor, self.targets, self.preprocessing, self.horizon)

    def target_names(self) -> list[str]:
        return [self.series.columns[i] for i in self.targets]

    def dataset(self) -> Dataset:
        """The windows as a :class:`Dataset` (inputs scaled), for ``data.json`` and training."""
        splits = {name: Split(*self.arrays(name)) for name in self.starts}
        return Dataset(
            name=self.series.name,
            task="regression",
            kind="series",
            class_names=[],
            train=splits["train"],
            val=splits.get("val"),
            test=splits.get("test"),
            preprocessing=Preprocessing(
                "none", (0.0,) * len(self.series.columns), (1.0,) * len(self.series.columns)
            ),
            feature_names=list(self.series.columns),
        )

    def describe(self) -> dict:
        """The record prediction replays: columns, targets, window sizes and the scaler."""
        train_end, val_end = self.bounds
        return {
            "columns": self.series.columns,
            "targets": self.target_names(),
            "time_name": self.series.time_name,
            "lookback": self.lookback,
            "horizon": self.horizon,
            "season": self.season,
            "relative": self.relative,
            "steps": len(self.series),
            "filled": self.series.filled,
            "periods": {
                name: {"first": label[0], "last": label[-1], "steps": int(stop - start)}
                for name, start, stop in (
                    ("train", 0, train_end),
                    ("val", train_end, val_end),
                    ("test", val_end, len(self.series)),
                )
                if stop > start
                for label in [self.series.time_labels(slice(start, stop))]
            },
            "windows": {name: int(len(starts)) for name, starts in self.starts.items()},
            "scaler": self.preprocessing.to_dict(),
        }


def model_inputs(windows: np.ndarray, relative: bool) -> tuple[np.ndarray, np.ndarray]:
    """Scaled windows → model inputs, and the anchor the outputs are relative to: each
    window's last step when ``relative`` (the model forecasts the change from now), else 0."""
    last = windows[:, -1:, :]
    anchor = last if relative else np.zeros_like(last)
    return (windows - anchor).astype(np.float32), anchor


def to_units(
    outputs: np.ndarray,
    anchor: np.ndarray,
    targets: list[int],
    preprocessing: Preprocessing,
    horizon: int,
) -> np.ndarray:
    """Model outputs (windows, horizon·targets) back to the series' units (windows,
    horizon, targets): add the anchor back, then undo the scaling."""
    y = np.asarray(outputs, np.float64).reshape(len(outputs), horizon, len(targets))
    y = y + anchor[:, :, targets]
    if preprocessing.scale == "none":
        return y
    offset = np.asarray(preprocessing.offset)[targets]
    factor = np.asarray(preprocessing.factor)[targets]
    return y * factor + offset


def time_bounds(steps: int, val: float, test: float) -> tuple[int, int]:
    """Ends of the training and validation periods: contiguous, in time order."""
    n_test = int(round(steps * test))
    n_val = int(round(steps * val))
    return steps - n_val - n_test, steps - n_test


def window_series(
    series: Series, spec: ForecastSpec, data: DataSpec, name: str = ""
) -> SeriesWindows:
    """Split in time order, fit the scaler on the training period, cut the windows."""
    targets = _target_columns(series, spec.targets)
    train_end, val_end = time_bounds(len(series), data.split.val, data.split.test)
    scale = "standard" if data.scale == "auto" else data.scale
    preprocessing = fit_preprocessing(series.values[:train_end], scale, None)
    scaled = preprocessing.apply(series.values).astype(np.float64)
    periods = {"train": (0, train_end), "val": (train_end, val_end), "test": (val_end, len(series))}
    starts = {}
    for split, (start, stop) in periods.items():
        if stop == start and split != "train":
            continue
        first = max(start, spec.lookback)
        found = np.arange(first, stop - spec.horizon + 1, spec.stride)
        if not len(found):
            raise BadInput(_too_long(series, spec, split, start, stop))
        starts[split] = found
    return SeriesWindows(
        series,
        targets,
        spec.lookback,
        spec.horizon,
        (train_end, val_end),
        preprocessing,
        scaled,
        starts,
        spec.season or series.season,
        spec.relative,
    )


def _too_long(series: Series, spec: ForecastSpec, split: str, start: int, stop: int) -> str:
    if split == "train":
        return (
            f"forecast.lookback: a window of {spec.lookback} steps in and {spec.horizon} out "
            f"needs {spec.lookback + spec.horizon} steps, the training period of {series.name} "
            f"has {stop - start} (of {len(series)}); shorten lookback or horizon"
        )
    return (
        f"forecast.horizon: {spec.horizon} steps ahead do not fit in the {split} period of "
        f"{series.name} ({stop - start} steps); shorten the horizon or raise data.split.{split}"
    )


def _target_columns(series: Series, targets: list[str] | None) -> list[int]:
    names = targets or series.columns[:1]
    for name in names:
        if name not in series.columns:
            raise BadInput(
                f"forecast.targets: '{name}' is not a loaded column; loaded: "
                f"{', '.join(series.columns)} (data.options.columns chooses them)"
            )
    return [series.columns.index(name) for name in names]
