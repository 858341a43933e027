"""Prediction from a finished sequence run, replaying what ``sequence.json`` recorded:
a forecast past the end of a series (JSON-ready, with a plot), or labels for texts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from dlworkflow.data.preprocess import Preprocessing
from dlworkflow.data.series import Series, future_times, load_series
from dlworkflow.data.spec import DataSpec
from dlworkflow.data.text import normalise, vectorize
from dlworkflow.data.windows import model_inputs, to_units
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.text import class_probabilities
from dlworkflow.runfolder import CONFIG, RunRecord, read_run

MAX_TEXTS = 100_000


def _sequence_run(folder: str | Path, task: str) -> RunRecord:
    record = read_run(folder)
    found = record.sequence.get("task")
    if found != task:
        kind = f"a {found} run" if found else "not a forecast or text run (no sequence.json)"
        raise BadInput(f"{record.folder}: {kind}; this prediction needs a {task} run")
    return record


def predict_text(folder: str | Path, texts: list[str]) -> list[dict]:
    """Label and class probabilities for each text, through the run's own vocabulary."""
    record = _sequence_run(folder, "text")
    if not texts:
        raise BadInput("texts: give at least one text to classify")
    if len(texts) > MAX_TEXTS:
        raise BadInput(f"texts: {len(texts):,} texts; the limit is {MAX_TEXTS:,} at a time")
    for number, text in enumerate(texts, start=1):
        if not isinstance(text, str) or not normalise(text).strip():
            raise BadInput(f"texts: text {number} is empty; give some words")
    ids = vectorize(texts, record.sequence["vectorizer"])
    model = record.model()
    probabilities = class_probabilities(model.predict(ids, verbose=0))
    names = record.sequence["class_names"]
    return [
        {
            "text": text,
            "label": names[int(np.argmax(row))],
            "probabilities": {name: float(p) for name, p in zip(names, row, strict=True)},
        }
        for text, row in zip(texts, probabilities, strict=True)
    ]


def predict_forecast(
    folder: str | Path, history: str | Path | None = None, time: str | None = None
) -> tuple[dict, Figure]:
    """Forecast the ``horizon`` steps after the end of ``history`` (a CSV with the run's
    value columns and time column ``time``; default: the run's own data source).

    Returns the forecast as plain data and a figure of the recent past with it.
    """
    record = _sequence_run(folder, "forecast")
    sq = record.sequence
    if history is None:
        try:
            series = load_series(DataSpec.model_validate(record.config["data"]))
        except BadInput as error:
            raise BadInput(
                f"{record.folder / CONFIG}: the run's own series cannot be read "
                f"({error}); give the recent past with --csv, or run where the run started"
            ) from None
        source = str(record.config["data"].get("source"))
    else:
        options = {"time": time or sq["time_name"], "columns": sq["columns"]}
        for key in ("gaps", "missing"):
            if key in record.config["data"].get("options", {}):
                options[key] = record.config["data"]["options"][key]
        series = load_series(DataSpec(source=f"csv:{history}", options=options))
        source = str(history)
    lookback, horizon = sq["lookback"], sq["horizon"]
    if len(series) < lookback:
        raise BadInput(
            f"{source}: {len(series)} steps; the model reads the last {lookback} "
            "(forecast.lookback of the run)"
        )
    scaler = Preprocessing.from_dict(sq["scaler"])
    model = record.model()
    x, anchor = model_inputs(scaler.apply(series.values[-lookback:])[None], sq["relative"])
    targets = [sq["columns"].index(name) for name in sq["targets"]]
    outputs = model.predict(x, verbose=0)
    forecast = to_units(outputs, anchor, targets, scaler, horizon)[0]
    times = future_times(series, horizon)
    result = {
        "run": str(record.folder),
        "source": source,
        "last_time": series.time_labels(slice(-1, None))[0],
        "times": _labels(series, times),
        "forecast": {name: forecast[:, k].tolist() for k, name in enumerate(sq["targets"])},
    }
    return result, _figure(series, targets, times, forecast, sq["targets"], lookback)


def _labels(series: Series, times: np.ndarray) -> list[str]:
    if np.issubdtype(times.dtype, np.datetime64):
        return [str(t) for t in times]
    return [f"{t:g}" for t in times]


def _figure(series, targets, times, forecast, names, lookback) -> Figure:
    """The last few lookbacks of each target, then the forecast."""
    figure = Figure(figsize=(8, 3.2))
    axes = figure.add_subplot()
    recent = slice(-min(len(series), 3 * lookback), None)
    for k, (column, name) in enumerate(zip(targets, names, strict=True)):
        line = axes.plot(series.time[recent], series.values[recent, column], label=name)[0]
        joined_t = np.concatenate([series.time[-1:], times])
        joined_v = np.concatenate([series.values[-1:, column], forecast[:, k]])
        axes.plot(joined_t, joined_v, "--o", ms=3, color=line.get_color(), label=f"{name} forecast")
    axes.set_title("Forecast after the end of the series")
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure
