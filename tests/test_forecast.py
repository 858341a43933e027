"""task: forecast — series loading, timeline checks, windows, baselines and metrics."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import yaml
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    root_mean_squared_error,
)

from dlworkflow.data.sequence_spec import ForecastSpec
from dlworkflow.data.series import Series, future_times, load_series
from dlworkflow.data.spec import DataSpec
from dlworkflow.data.windows import time_bounds, window_series
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.forecast import (
    evaluate_forecast,
    mase_scale,
    naive_forecast,
    point_errors,
    seasonal_naive_forecast,
)
from dlworkflow.models.sequence import FORECAST_ZOO, forecaster
from tests.conftest import run_dlw


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _series(values: np.ndarray, season: int | None = None) -> Series:
    values = np.asarray(values, np.float64).reshape(len(values), -1)
    columns = [f"v{i}" for i in range(values.shape[1])]
    return Series("toy", "t", np.arange(len(values), dtype=np.float64), values, columns, season)


def test_metrics_match_scikit_learn_and_hand_values() -> None:
    rng = np.random.default_rng(0)
    truth = rng.uniform(1, 10, (20, 3, 1))
    pred = truth + rng.normal(0, 1, truth.shape)
    scores = point_errors(truth, pred, np.array([2.0]))
    flat_t, flat_p = truth.ravel(), pred.ravel()
    assert scores["mae"] == pytest.approx(mean_absolute_error(flat_t, flat_p))
    assert scores["rmse"] == pytest.approx(root_mean_squared_error(flat_t, flat_p))
    assert scores["mape"] == pytest.approx(100 * mean_absolute_percentage_error(flat_t, flat_p))
    assert scores["mase"] == pytest.approx(mean_absolute_error(flat_t, flat_p) / 2.0)
    # by hand: truth [2, 0, 4], forecast [1, 0, 5]
    hand = point_errors(
        np.array([2.0, 0, 4]).reshape(3, 1, 1),
        np.array([1.0, 0, 5]).reshape(3, 1, 1),
        np.array([0.5]),
    )
    assert hand["mape"] == pytest.approx(100 * (0.5 + 0.25) / 2)  # the zero is skipped
    assert hand["mape_zeros_skipped"] == 1
    assert hand["smape"] == pytest.approx(100 * (2 * 1 / 3 + 0 + 2 * 1 / 9) / 3)
    assert hand["mase"] == pytest.approx((2 / 3) / 0.5)
    assert mase_scale(np.array([[1.0], [3.0], [2.0], [2.0]]))[0] == pytest.approx(1.0)


def test_windows_match_keras_timeseries_dataset() -> None:
    values = np.arange(40, dtype=np.float64).reshape(20, 2)
    spec = ForecastSpec(lookback=4, horizon=2, stride=3)
    windows = window_series(
        _series(values), spec, DataSpec(scale="none", split={"val": 0, "test": 0})
    )
    x, y = windows.arrays("train")
    reference = keras.utils.timeseries_dataset_from_array(
        values[:-2], None, sequence_length=4, sequence_stride=3, batch_size=100
    )
    expected = np.concatenate([np.asarray(batch) for batch in reference])
    np.testing.assert_array_equal(x, expected.astype(np.float32))
    # targets: the two steps after each window, column 0
    starts = windows.starts["train"]
    np.testing.assert_array_equal(y, np.stack([values[starts, 0], values[starts + 1, 0]], 1))


def test_shuffling_the_test_period_leaves_training_data_unchanged() -> None:
    rng = np.random.default_rng(1)
    values = np.cumsum(rng.normal(size=(200, 2)), axis=0) + 50
    data = DataSpec(split={"val": 0.1, "test": 0.2})
    spec = ForecastSpec(lookback=10, horizon=3)
    before = window_series(_series(values), spec, data)
    shuffled = values.copy()
    _, val_end = time_bounds(200, 0.1, 0.2)
    shuffled[val_end:] = rng.permutation(shuffled[val_end:])
    after = window_series(_series(shuffled), spec, data)
    assert before.preprocessing == after.preprocessing
    for split in ("train", "val"):
        for a, b in zip(before.arrays(split), after.arrays(split), strict=True):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(before.arrays("test")[1], after.arrays("test")[1])
    # the scaler is the training period's own mean and standard deviation
    np.testing.assert_allclose(before.preprocessing.offset, values[:140].mean(axis=0))


def test_baselines_by_hand() -> None:
    values = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], np.float64)
    windows = window_series(
        _series(values, season=4),
        ForecastSpec(lookback=3, horizon=2),
        DataSpec(scale="none", split={"val": 0, "test": 0.34}),
    )
    # test period: steps 8..11 (values 9..12); windows start at 8, 9, 10
    np.testing.assert_array_equal(windows.starts["test"], [8, 9, 10])
    np.testing.assert_array_equal(
        naive_forecast(windows, "test")[:, :, 0], [[8, 8], [9, 9], [10, 10]]
    )
    seasonal = seasonal_naive_forecast(windows, "test", 4)
    np.testing.assert_array_equal(seasonal[:, :, 0], [[5, 6], [6, 7], [7, 8]])
    result = evaluate_forecast(windows, "test", windows.truth("test"))  # a perfect model
    assert result["beats_naive"] and result["scores"]["model"]["mae"] == 0
    assert result["scores"]["naive"]["mae"] == pytest.approx(1.5)
    assert result["by_step"]["naive"] == pytest.approx([1.0, 2.0])
    worse = evaluate_forecast(windows, "test", naive_forecast(windows, "test") - 5)
    assert not worse["beats_naive"] and "does NOT beat the naive" in worse["verdict"]


def test_gaps_and_missing_values_are_filled_under_a_policy(tmp_path: Path) -> None:
    path = _csv(tmp_path / "s.csv", "date,y", ["2020-01-01,1", "2020-02-01,", "2020-04-01,7"])
    spec = DataSpec(
        source=f"csv:{path}",
        options={"time": "date", "gaps": "interpolate", "missing": "interpolate"},
    )
    series = load_series(spec)
    assert series.values[:, 0].tolist() == [1, 3, 5, 7]  # Feb missing, Mar a gap
    assert [str(t)[:10] for t in series.time] == [
        "2020-01-01",
        "2020-02-01",
        "2020-03-01",
        "2020-04-01",
    ]
    assert series.season == 12 and series.filled == 2


def test_future_times_continue_the_step() -> None:
    monthly = Series(
        "m", "d", np.array(["2020-11-01", "2020-12-01"], "datetime64[s]"), np.zeros((2, 1)), ["y"]
    )
    assert [str(t)[:10] for t in future_times(monthly, 2)] == ["2021-01-01", "2021-02-01"]
    assert future_times(_series(np.zeros(3)), 2).tolist() == [3.0, 4.0]


def test_named_sources_load_offline() -> None:
    pytest.importorskip("statsmodels")
    sunspots = load_series(DataSpec(source="sunspots"))
    assert len(sunspots) == 309 and sunspots.season == 11
    macro = load_series(DataSpec(source="macrodata", options={"columns": ["realgdp", "unemp"]}))
    assert macro.values.shape == (203, 2) and macro.season == 4
    co2 = load_series(DataSpec(source="co2", options={"missing": "interpolate"}))
    assert co2.filled == 59 and co2.season == 52 and not np.isnan(co2.values).any()


BAD_SERIES = [
    ("y\n1\n2\n", {"time": "date"}, "data.options.time: no column 'date'"),
    ("t,y\n1,1\n3,2\n2,3\n", {"time": "t"}, "row 4 column 't': the time goes back"),
    ("t,y\n1,1\n2,2\n2,3\n", {"time": "t"}, "row 4 column 't': the time repeats"),
    ("t,y\n1,1\n2,2\n4,3\n5,4\n", {"time": "t"}, "row 4 column 't': a gap of 1 missing step"),
    ("t,y\n0,1\n1,2\n2.5,3\n3.5,4\n", {"time": "t"}, "row 4 column 't': irregular step"),
    ("t,y\n1,1\n2,\n3,3\n", {"time": "t"}, "row 3 column 'y': missing value"),
    ("t,y\n1,1\n2,abc\n", {"time": "t"}, "row 3 column 'y': 'abc' is not a number"),
    ("t,y\n1,1\nmonday,2\n", {"time": "t"}, "row 3 column 't': 'monday' is neither"),
    ("t,y\n1,1\n2,2\n", {"time": "t", "gaps": "fill"}, "data.options.gaps: 'fill'"),
    ("t,y\n1,1\n2,2\n", {"time": "t", "lag": 1}, "data.options.lag: not an option"),
    ("t,y\n1,1\n2,2\n", {"time": "t", "columns": ["z"]}, "data.options.columns: no column 'z'"),
]


@pytest.mark.parametrize(("text", "options", "message"), BAD_SERIES)
def test_bad_series_are_refused_naming_file_row_and_key(
    tmp_path: Path, text: str, options: dict, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_series(DataSpec(source=f"csv:{path}", options=options))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("forecast", "split", "message"),
    [
        ({"lookback": 60, "horizon": 1}, {"val": 0.1, "test": 0.2}, "forecast.lookback: a window"),
        ({"lookback": 5, "horizon": 30}, {"val": 0.1, "test": 0.2}, "forecast.horizon: 30 steps"),
        (
            {"lookback": 5, "targets": ["nope"]},
            {"val": 0.1, "test": 0.2},
            "forecast.targets: 'nope'",
        ),
    ],
)
def test_windows_that_do_not_fit_are_refused(forecast: dict, split: dict, message: str) -> None:
    series = _series(np.arange(80.0))
    with pytest.raises(BadInput) as caught:
        window_series(series, ForecastSpec(**forecast), DataSpec(split=split))
    assert message in str(caught.value)


@pytest.mark.parametrize("name", FORECAST_ZOO)
def test_every_forecast_model_builds_with_one_unit_per_step_and_target(name: str) -> None:
    model = forecaster(name, 12, 3, 6)
    assert model.output_shape == (None, 6)
    assert model.predict(np.zeros((2, 12, 3), np.float32), verbose=0).shape == (2, 6)


def test_unknown_model_option_is_named() -> None:
    with pytest.raises(BadInput, match="model.options.kernel: not an option of 'lstm'"):
        forecaster("lstm", 12, 1, 1, {"kernel": 3})


@pytest.mark.slow
def test_forecast_run_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = np.arange(160)
    rows = [f"{2000 + t},{10 + 5 * np.sin(2 * np.pi * t / 12):.4f},{t % 7}" for t in steps]
    _csv(tmp_path / "wave.csv", "year,wave,other", rows)
    (tmp_path / "wave.yaml").write_text(
        "name: wave\ntask: forecast\ndata:\n  source: csv:wave.csv\n"
        "  options: {time: year, columns: [wave, other]}\n"
        "forecast: {lookback: 12, horizon: 3, season: 12, relative: true}\n"
        "model: {zoo: gru, options: {units: 8}}\ntrain: {epochs: 2, batch_size: 32}\n",
        encoding="utf-8",
    )
    done = run_dlw("run", "wave.yaml", "--runs-dir", "runs", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "runs" / "wave"
    record = json.loads((folder / "sequence.json").read_text())
    assert record["targets"] == ["wave"] and record["horizon"] == 3
    assert set(record["evaluation"]["scores"]) == {"model", "naive", "seasonal_naive"}
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["mode"] == "many-to-many" and "mase" in metrics["evaluation"]
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="forecast-verdict"' in html and "data:image/svg+xml;base64," in html
    assert "Error by horizon step" in (folder / "figures" / "error_by_step.svg").read_text()
    # prediction: the run's own source, then a CSV of the recent past, then too short a one
    from dlworkflow.experiments.sequence_predict import predict_forecast

    with pytest.raises(BadInput, match="give the recent past with --csv"):
        predict_forecast(folder)  # the config's relative csv:wave.csv, from elsewhere
    monkeypatch.chdir(tmp_path)
    own, _ = predict_forecast(folder)
    assert own["times"] == ["2160", "2161", "2162"] and len(own["forecast"]["wave"]) == 3
    _csv(tmp_path / "recent.csv", "year,wave,other", rows[-20:])
    cli = run_dlw("predict", "runs/wave", "--history", "recent.csv", "--out", "pred", cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    saved = json.loads((tmp_path / "pred" / "forecast.json").read_text())
    assert saved["forecast"]["wave"] == pytest.approx(own["forecast"]["wave"], abs=1e-5)
    assert (tmp_path / "pred" / "forecast.svg").is_file()
    _csv(tmp_path / "short.csv", "year,wave,other", rows[-5:])
    with pytest.raises(BadInput, match="short.csv: 5 steps; the model reads the last 12"):
        predict_forecast(folder, tmp_path / "short.csv")
    (tmp_path / "long.yaml").write_text(
        (tmp_path / "wave.yaml").read_text().replace("lookback: 12", "lookback: 200"), "utf-8"
    )
    refused = run_dlw("run", "long.yaml", "--runs-dir", "runs3", cwd=tmp_path)
    assert refused.returncode == 2
    assert "long.yaml: forecast.lookback" in refused.stderr
    assert not (tmp_path / "runs3").exists()


def test_sunspots_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("statsmodels")
    from dlworkflow.config import load_config
    from dlworkflow.experiments.preparation import prepare_sequence

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    plan = prepare_sequence(load_config("examples/sunspots_lstm.yaml"))
    # LSTM(32) on 1 column: 4·(32·(1+32)+32); the output: 32+1
    assert plan.model.count_params() == 4 * (32 * 33 + 32) + 33
    assert plan.dataset.train.x.shape[1:] == (30, 1)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"forecast": {"lookback": 5}}, "a 'forecast:' section needs task: forecast"),
        ({"task": "forecast", "text": {}}, "a 'text:' section needs task: text"),
        ({"task": "forecast", "forecast": {"lookback": 0}}, "forecast.lookback"),
        ({"task": "forecast", "forecast": {"horizon": "two"}}, "forecast.horizon"),
        ({"task": "series"}, "task"),
    ],
)
def test_bad_forecast_configs_name_the_key(config: dict, message: str) -> None:
    from dlworkflow.config import load_config

    with pytest.raises(BadInput) as caught:
        load_config({"data": "sunspots", **config})
    assert message in str(caught.value)


def test_a_forecast_config_defaults_to_an_lstm() -> None:
    from dlworkflow.config import load_config

    config = load_config({"task": "forecast", "data": "sunspots"})
    assert config.model.zoo == "lstm" and config.forecast.lookback == 24
    assert load_config(yaml.safe_load(config.to_yaml())) == config  # reloads as is


def test_co2_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("statsmodels")
    from dlworkflow.config import load_config
    from dlworkflow.experiments.preparation import prepare_sequence

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    plan = prepare_sequence(load_config("examples/co2_gru_multistep.yaml"))
    # GRU (reset_after) 3·(u·(in+u)+2u): 32 on 1 column, 16 on 32; Dense 16→8
    assert plan.model.count_params() == 3 * (32 * 33 + 64) + 3 * (16 * 48 + 32) + 16 * 8 + 8
    assert plan.dataset.train.y.shape[1] == 8 and plan.extra["mode"] == "many-to-many"


def test_learnability_accepts_one_unit_per_step() -> None:
    from dlworkflow.train.learnability import check_learnability

    model = forecaster("gru", 12, 1, 8, {"units": 8})
    model.compile(keras.optimizers.Adam(0.01), "mse")
    x = np.random.default_rng(0).normal(size=(64, 12, 1)).astype(np.float32)
    result = check_learnability(model, x, x[:, -8:, 0], 64, seed=0)
    assert "components do not fit" not in result["verdict"]


@pytest.mark.parametrize("relative", [False, True])
def test_targets_round_trip_to_the_series_units(relative: bool) -> None:
    rng = np.random.default_rng(2)
    values = np.cumsum(rng.normal(size=(120, 2)), axis=0) + np.linspace(0, 50, 120)[:, None]
    spec = ForecastSpec(lookback=8, horizon=4, targets=["v1", "v0"], relative=relative)
    windows = window_series(_series(values), spec, DataSpec(split={"val": 0.1, "test": 0.2}))
    for split in ("train", "val", "test"):
        x, y = windows.arrays(split)
        np.testing.assert_allclose(windows.unscale(y, split), windows.truth(split), atol=1e-4)
        if relative:
            assert np.all(x[:, -1, :] == 0)  # the change from the last step
    assert (
        windows.truth("test")[0, 0].tolist() == values[windows.starts["test"][0], [1, 0]].tolist()
    )
