"""``task: forecast``: windows of a time series, a sequence model, and an evaluation in
the series' own units beside the naive and seasonal-naive forecasts."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from dlworkflow.config import ExperimentConfig
from dlworkflow.data.series import load_series
from dlworkflow.data.windows import SeriesWindows, window_series
from dlworkflow.evaluate.forecast import (
    error_by_step_figure,
    evaluate_forecast,
    forecast_figure,
    naive_forecast,
    seasonal_naive_forecast,
    series_figure,
)
from dlworkflow.evaluate.regression import regression_metrics
from dlworkflow.experiments.sequence_plan import SequencePlan, build_and_compile
from dlworkflow.figures import save_figure
from dlworkflow.models.sequence import forecaster


def prepare_forecast(config: ExperimentConfig) -> SequencePlan:
    spec = config.forecast
    assert spec is not None
    windows = window_series(load_series(config.data), spec, config.data)
    dataset = windows.dataset()
    units = spec.horizon * len(windows.targets)
    columns = len(windows.series.columns)

    def zoo() -> keras.Model:
        return forecaster(config.model.zoo, spec.lookback, columns, units, config.model.options)

    model, plan = build_and_compile(config, dataset, zoo, units, 0)
    record = {"task": "forecast", **windows.describe()}

    def survey(figures: Path) -> None:
        save_figure(series_figure(windows), figures / "series.svg")

    def evaluate(model: keras.Model, split: str, y_prob: np.ndarray, figures: Path) -> dict:
        return _evaluate(windows, split, y_prob, figures, record)

    mode = "many-to-one" if units == 1 else "many-to-many"
    return SequencePlan(config, dataset, model, plan, record, survey, evaluate, {"mode": mode})


def _evaluate(
    windows: SeriesWindows, split: str, y_prob: np.ndarray, figures: Path, record: dict
) -> dict:
    """Regression metrics in the series' units for metrics.json; baselines and figures
    into the record."""
    y_pred = windows.unscale(y_prob, split)
    truth = windows.truth(split)
    result = evaluate_forecast(windows, split, y_pred)
    record["evaluation"] = result
    times = windows.series.time[windows.starts[split][:, None] + np.arange(windows.horizon)]
    forecasts = {"model": y_pred, "naive": naive_forecast(windows, split)}
    season = windows.season
    seasonal = seasonal_naive_forecast(windows, split, season) if season else None
    if seasonal is not None:
        forecasts["seasonal naive"] = seasonal
    target = windows.target_names()[0]
    save_figure(forecast_figure(times, truth, forecasts, target), figures / "forecast.svg")
    save_figure(error_by_step_figure(result["by_step"]), figures / "error_by_step.svg")
    columns = len(windows.series.columns) * windows.lookback
    return {
        **regression_metrics(truth, y_pred, columns),
        "mase": result["scores"]["model"]["mase"],
        "smape": result["scores"]["model"]["smape"],
        "naive_mase": result["scores"]["naive"]["mase"],
        "beats_naive": result["beats_naive"],
        "verdict": result["verdict"],
    }
