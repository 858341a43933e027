"""Windows of a time series: split in time order, scale on the training period only, cut.

Splits are contiguous periods, train then val then test; the scaler sees only the
training period, so nothing in the later periods can change the training data. A
window's inputs may reach back into an earlier period (that is the known past at
forecast time), its targets never cross into a later one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlworkflow.data.dataset import Dataset, Split
from dlworkflow.data.preprocess import Preprocessing, fit_preprocessing
from dlworkflow.data.sequence_spec import ForecastSpec
from dlworkflow.data.series import Series
from dlworkflow.data.spec import DataSpec
from dlworkflow.errors import BadInput


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
