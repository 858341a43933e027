"""Forecast evaluation: MAE, RMSE, MAPE, sMAPE and MASE of the model, always beside the
naive and seasonal-naive forecasts of the same windows.

A forecaster that does not beat "tomorrow = today" has learnt nothing useful, so the
verdict compares with naive first. MASE divides by the in-sample MAE of the one-step
naive forecast on the training period (Hyndman & Koehler 2006), so MASE < 1 beats that
in-sample benchmark and naive's own MASE is the yardstick on the test period.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from dlworkflow.data.windows import SeriesWindows


def point_errors(y_true: np.ndarray, y_pred: np.ndarray, scale: np.ndarray) -> dict:
    """Errors of forecasts shaped (windows, horizon, targets) in the series' units.

    ``scale``: per target, the MASE denominator. MAPE skips true values of zero (it
    divides by them) and says how many; sMAPE counts a pair of zeros as no error.
    """
    y_true = np.asarray(y_true, np.float64)
    y_pred = np.asarray(y_pred, np.float64)
    error = y_pred - y_true
    nonzero = y_true != 0
    denominator = np.abs(y_true) + np.abs(y_pred)
    smape_terms = np.divide(
        2 * np.abs(error), denominator, out=np.zeros_like(error), where=denominator != 0
    )
    mae_per_target = np.abs(error).reshape(-1, y_true.shape[-1]).mean(axis=0)
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mape": float(100 * np.mean(np.abs(error[nonzero] / y_true[nonzero])))
        if nonzero.any()
        else None,
        "mape_zeros_skipped": int((~nonzero).sum()),
        "smape": float(100 * np.mean(smape_terms)),
        "mase": float(np.mean(mae_per_target / scale)),
    }


def mase_scale(train_values: np.ndarray) -> np.ndarray:
    """Per column, the mean absolute one-step change over the training period."""
    scale = np.mean(np.abs(np.diff(train_values, axis=0)), axis=0)
    return np.where(scale > 0, scale, 1.0)


def naive_forecast(windows: SeriesWindows, split: str) -> np.ndarray:
    """Every step ahead = the last value seen, shaped like :meth:`SeriesWindows.truth`."""
    last = windows.series.values[windows.starts[split] - 1][:, windows.targets]
    return np.repeat(last[:, None, :], windows.horizon, axis=1)


def seasonal_naive_forecast(windows: SeriesWindows, split: str, season: int) -> np.ndarray | None:
    """Step ``t+h`` = the value one season before it (whole seasons back, so it is known at
    forecast time); None when the split starts less than a season into the series."""
    starts = windows.starts[split]
    steps = np.arange(windows.horizon)
    index = starts[:, None] + steps[None, :] - season * (steps[None, :] // season + 1)
    if index.min() < 0:
        return None
    return windows.series.values[index][:, :, windows.targets]


def evaluate_forecast(windows: SeriesWindows, split: str, y_pred: np.ndarray) -> dict:
    """The model's forecasts (unscaled, windows × horizon × targets) against the truth and
    the two baselines, overall and per horizon step, with a plain verdict."""
    truth = windows.truth(split)
    scale = mase_scale(windows.series.values[: windows.bounds[0], windows.targets])
    season = windows.season
    forecasts = {"model": y_pred, "naive": naive_forecast(windows, split)}
    seasonal = seasonal_naive_forecast(windows, split, season) if season else None
    if seasonal is not None:
        forecasts["seasonal_naive"] = seasonal
    scores = {name: point_errors(truth, values, scale) for name, values in forecasts.items()}
    by_step = {
        name: np.abs(values - truth).mean(axis=(0, 2)).tolist()
        for name, values in forecasts.items()
    }
    result = {
        "split": split,
        "windows": int(len(truth)),
        "horizon": windows.horizon,
        "targets": windows.target_names(),
        "season": season,
        "mase_scale": scale.tolist(),
        "scores": scores,
        "by_step": by_step,
        "beats_naive": scores["model"]["mae"] < scores["naive"]["mae"],
        "beats_seasonal_naive": scores["model"]["mae"] < scores["seasonal_naive"]["mae"]
        if seasonal is not None
        else None,
    }
    result["verdict"] = verdict(result)
    return result


def verdict(result: dict) -> str:
    """One sentence: does the model beat naive (and seasonal naive)?"""
    model, naive = result["scores"]["model"], result["scores"]["naive"]
    change = 100 * (1 - model["mae"] / naive["mae"]) if naive["mae"] else 0.0
    if result["beats_naive"]:
        text = (
            f"The model beats the naive forecast: MASE {model['mase']:.3f} against "
            f"{naive['mase']:.3f} ({change:.1f} % lower MAE)"
        )
    else:
        text = (
            f"The model does NOT beat the naive forecast: MASE {model['mase']:.3f} against "
            f"{naive['mase']:.3f} ({-change:.1f} % higher MAE)"
        )
    seasonal = result["scores"].get("seasonal_naive")
    if seasonal is not None:
        word = "beats" if result["beats_seasonal_naive"] else "does not beat"
        text += f"; it {word} seasonal naive (MASE {seasonal['mase']:.3f})"
    elif result["season"]:
        text += "; seasonal naive needs a season of history before the split"
    else:
        text += "; no season is known (set forecast.season) for seasonal naive"
    return text + "."


def forecast_figure(
    times: np.ndarray, truth: np.ndarray, forecasts: dict[str, np.ndarray], target: str
) -> Figure:
    """Truth over the evaluation period with the first and last step-ahead forecasts."""
    horizon = truth.shape[1]
    steps = [0] if horizon == 1 else [0, horizon - 1]
    figure = Figure(figsize=(9, 3.2 * len(steps)))
    for row, step in enumerate(steps):
        axes = figure.add_subplot(len(steps), 1, row + 1)
        axes.plot(times[:, step], truth[:, step, 0], color="black", lw=1.6, label="truth")
        for (name, values), style in zip(forecasts.items(), ("-", ":", "--"), strict=False):
            axes.plot(times[:, step], values[:, step, 0], style, lw=1.2, label=name)
        axes.set_title(f"{target}: {step + 1} step(s) ahead")
        axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    return figure


def error_by_step_figure(by_step: dict[str, list[float]]) -> Figure:
    """MAE at each step ahead: how fast each forecast degrades with the horizon."""
    figure = Figure(figsize=(6, 3.4))
    axes = figure.add_subplot()
    for (name, values), marker in zip(by_step.items(), ("o", "s", "^"), strict=False):
        axes.plot(range(1, len(values) + 1), values, marker=marker, label=name)
    axes.set_xlabel("steps ahead")
    axes.set_ylabel("MAE")
    axes.set_title("Error by horizon step")
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def series_figure(windows: SeriesWindows) -> Figure:
    """The whole series with the training, validation and test periods shaded."""
    series = windows.series
    figure = Figure(figsize=(9, 3.2))
    axes = figure.add_subplot()
    for c, name in enumerate(series.columns[:4]):
        axes.plot(series.time, series.values[:, c], lw=1, label=name)
    train_end, val_end = windows.bounds
    edges = [0, train_end, val_end, len(series)]
    for (start, stop), colour, label in zip(
        zip(edges[:-1], edges[1:], strict=True),
        ("C0", "C1", "C3"),
        ("train", "val", "test"),
        strict=True,
    ):
        if stop > start:
            axes.axvspan(series.time[start], series.time[stop - 1], color=colour, alpha=0.08)
            axes.text(series.time[start], axes.get_ylim()[1], label, va="top", fontsize=8)
    axes.set_title(f"{series.name}: periods in time order (scaler fitted on train only)")
    axes.legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    return figure
