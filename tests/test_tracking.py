"""MLflow and TensorBoard mirrors of a run, read back from the real stores."""

from __future__ import annotations

import csv

import pytest

from dlworkflow.errors import BadInput
from dlworkflow.experiments import TrackingOptions, run
from dlworkflow.experiments.tracking import Tracker

mlflow = pytest.importorskip("mlflow")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

CONFIG = {
    "name": "tracked",
    "data": {"source": "digits", "limit": 200},
    "model": {"zoo": "mlp", "options": {"hidden": [16]}},
    "train": {"epochs": 3, "learnability": False},
}


@pytest.fixture(scope="module")
def tracked_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("tracking")
    options = TrackingOptions(mlflow=str(root / "mlruns"), tensorboard=True)
    return root, run(CONFIG, runs_dir=root / "runs", tracking=options)


def test_mlflow_gets_params_epoch_metrics_and_artifacts(tracked_run):
    root, result = tracked_run
    client = mlflow.MlflowClient((root / "mlruns").as_uri())
    experiment = client.get_experiment_by_name("tracked")
    (found,) = client.search_runs([experiment.experiment_id])
    assert found.info.run_name == "tracked" and found.info.status == "FINISHED"
    assert found.data.params["train.epochs"] == "3"
    assert found.data.params["model.options.hidden"] == "[16]"
    with open(result.folder / "history.csv") as handle:
        history = list(csv.DictReader(handle))
    logged = client.get_metric_history(found.info.run_id, "val_loss")
    assert [m.step for m in logged] == [0, 1, 2]
    assert [m.value for m in logged] == pytest.approx([float(r["val_loss"]) for r in history])
    assert found.data.metrics["final_accuracy"] == pytest.approx(result.metrics["accuracy"])
    artifacts = {item.path for item in client.list_artifacts(found.info.run_id)}
    assert {"config.yaml", "metrics.json", "model.keras", "report.html"} <= artifacts


def test_tensorboard_logs_hold_every_epoch(tracked_run):
    _, result = tracked_run
    train_logs = result.folder / "tensorboard" / "train"
    accumulator = event_accumulator.EventAccumulator(str(train_logs))
    accumulator.Reload()
    tags = accumulator.Tags()["tensors"] + accumulator.Tags()["scalars"]
    assert "epoch_loss" in tags


def test_a_resumed_run_continues_the_same_mlflow_run(tracked_run):
    root, result = tracked_run
    options = TrackingOptions(mlflow=str(root / "mlruns"))
    again = Tracker(options, result.folder, result.config)
    (tracked,) = mlflow.MlflowClient((root / "mlruns").as_uri()).search_runs(
        [again.mlflow_run.info.experiment_id]
    )
    assert again.mlflow_run.info.run_id == tracked.info.run_id


def test_missing_mlflow_is_refused_before_any_work(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if it were not installed
    with pytest.raises(BadInput, match="--mlflow: MLflow is not installed"):
        run(CONFIG, runs_dir=tmp_path, tracking=TrackingOptions(mlflow="mlruns"))
    assert list(tmp_path.iterdir()) == []
