"""MLflow and TensorBoard mirrors of a run, read back from the real stores."""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_mlflow_ui_opens_the_runs_we_logged(tracked_run):
    """The README's command: the real ``mlflow ui`` (full MLflow: Flask and the web UI)
    on the folder we log to; its REST API lists our run, its page is served."""
    root, result = tracked_run
    experiment = mlflow.MlflowClient((root / "mlruns").as_uri()).get_experiment_by_name("tracked")
    query = {"experiment_ids": [experiment.experiment_id]}
    port, log = free_port(), root / "mlflow-ui.log"
    with log.open("w") as sink:  # the server keeps its own copy of the handle
        server = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", "mlruns",
             "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            cwd=root, env={**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"},
            stdout=subprocess.DEVNULL, stderr=sink, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded 2-core machine takes ~25 s to start it
        while True:
            assert server.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "mlflow ui did not answer in 180 s"
            try:
                found = httpx.post(f"{base}/api/2.0/mlflow/runs/search", json=query, timeout=10)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert found.status_code == 200
        (logged,) = found.json()["runs"]
        assert logged["info"]["run_name"] == result.folder.name == "tracked"
        params = {p["key"]: p["value"] for p in logged["data"]["params"]}
        assert params["train.epochs"] == "3"
        page = httpx.get(base, timeout=10, follow_redirects=True)
        assert page.status_code == 200 and "<html" in page.text.lower()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
