"""Training through ``dlworkflow.run``: determinism, checkpoints, early stopping, resume."""

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

import dlworkflow
from dlworkflow.errors import WorkFailed

from .conftest import DATA_HOME


def small(name: str, **train) -> dict:
    return {
        "name": name,
        "data": {"source": "digits", "limit": 400},
        "model": {"zoo": "mlp", "options": {"hidden": [32]}},
        "train": {"epochs": 4, "batch_size": 32, **train},
    }


def test_same_config_gives_the_same_history(tmp_path: Path):
    first = dlworkflow.run(small("det"), runs_dir=tmp_path / "a")
    second = dlworkflow.run(small("det"), runs_dir=tmp_path / "b")
    timings = {"epoch_seconds"}
    assert {k: v for k, v in first.history.items() if k not in timings} == {
        k: v for k, v in second.history.items() if k not in timings
    }
    assert set(first.history) == {"accuracy", "loss", "val_accuracy", "val_loss", "lr", *timings}
    assert first.metrics["accuracy"] == second.metrics["accuracy"]


def test_run_folder_contract(tmp_path: Path):
    run = dlworkflow.run(small("folder", epochs=3), runs_dir=tmp_path)
    names = sorted(p.name for p in run.folder.iterdir())
    assert names == [
        "config.yaml",
        "data.json",
        "diagnostics.json",
        "environment.json",
        "figures",
        "history.csv",
        "interpretation.json",
        "metrics.json",
        "model.keras",
        "model_table.json",
        "predictions.npz",
        "report.html",
    ]  # no .lock: released when the run ends
    config = yaml.safe_load((run.folder / "config.yaml").read_text())
    assert config["train"]["epochs"] == 3 and config["compile"]["loss"] == "auto"
    data = json.loads((run.folder / "data.json").read_text())
    assert data["splits"]["train"]["size"] == len(run.dataset.train)
    assert data["preprocessing"]["scale"] == "unit" and len(data["splits"]["test"]["sha256"]) == 64
    environment = json.loads((run.folder / "environment.json").read_text())
    assert environment["backend"] == "tensorflow" and environment["seed"] == 42
    rows = list(csv.DictReader((run.folder / "history.csv").open()))
    assert [row["epoch"] for row in rows] == ["1", "2", "3"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr"} <= set(rows[0])
    metrics = json.loads((run.folder / "metrics.json").read_text())
    assert metrics["split"] == "test" and 0 <= metrics["accuracy"] <= 1
    assert metrics["evaluation"]["accuracy"] == pytest.approx(metrics["accuracy"], abs=1e-6)
    assert sorted(p.name for p in (run.folder / "figures").iterdir()) == [
        "architecture.svg",
        "class_distribution.svg",
        "confusion_matrix.svg",
        "interpretation.png",
        "misclassified.png",
        "model_graph.png",
        "model_graph.svg",
        "roc_ovr.svg",
        "samples.png",
        "training_curves.svg",
    ]
    diagnostics = json.loads((run.folder / "diagnostics.json").read_text())
    assert diagnostics["learnability"]["passed"] is True
    assert diagnostics["diagnosis"]["best_epoch"] == metrics["best_epoch"]
    assert diagnostics["diagnosis"]["commentary"]
    predictions = np.load(run.folder / "predictions.npz")
    assert predictions["y_prob"].shape == (len(run.dataset.test), 10)
    assert np.allclose(predictions["y_prob"].sum(axis=1), 1, atol=1e-4)


def test_best_checkpoint_is_the_lowest_val_loss(tmp_path: Path):
    run = dlworkflow.run(small("best", epochs=6), runs_dir=tmp_path)
    val_loss = run.history["val_loss"]
    assert run.metrics["best_epoch"] == int(np.argmin(val_loss)) + 1
    import keras

    saved = keras.models.load_model(run.folder / "model.keras")
    x = run.dataset.preprocessing.apply(run.dataset.val.x)
    assert np.allclose(saved.predict(x, verbose=0), run.model.predict(x, verbose=0), atol=1e-6)


def test_second_run_of_a_finished_config_gets_a_new_folder(tmp_path: Path):
    first = dlworkflow.run(small("twice", epochs=1), runs_dir=tmp_path)
    second = dlworkflow.run(small("twice", epochs=1), runs_dir=tmp_path)
    assert (first.folder.name, second.folder.name) == ("twice", "twice-2")


def test_early_stopping_and_reduce_lr(tmp_path: Path):
    config = small(
        "es",
        epochs=60,
        early_stopping={"monitor": "val_loss", "patience": 2, "min_delta": 0.05},
        reduce_lr={"monitor": "val_loss", "patience": 1, "factor": 0.5},
    )
    config["compile"] = {"optimizer": {"name": "adam", "lr": 0.01}}
    run = dlworkflow.run(config, runs_dir=tmp_path)
    assert run.metrics["stopped_early"] and run.metrics["epochs_run"] < 60
    assert min(run.history["lr"]) < 0.01


def house_prices(name: str, lr: float, optimizer: str = "adam", scale: str = "auto") -> dict:
    """The course's linear-regression CSV (area → price), 30 rows."""
    return {
        "name": name,
        "data": {
            "source": f"csv:{DATA_HOME / 'course/L1/data_linear.csv'}",
            "options": {"target": "Giá"},
            "split": {"val": 0.0, "test": 0.2},
            "scale": scale,
        },
        "model": {"layers": [{"Dense": {"units": 1}}]},
        "compile": {"optimizer": {"name": optimizer, "lr": lr}},
        "train": {"epochs": 40, "batch_size": 8, "checkpoint": {"monitor": "loss"}},
    }


def test_diverging_loss_is_a_work_failure(tmp_path: Path):
    with pytest.raises(WorkFailed, match="the training loss became (nan|inf)"):
        dlworkflow.run(house_prices("nan", lr=50, optimizer="sgd", scale="none"), tmp_path)


def test_regression_run_on_the_course_csv(tmp_path: Path):
    run = dlworkflow.run(house_prices("house", lr=0.5), runs_dir=tmp_path)
    assert run.metrics["split"] == "test" and "mae" in run.metrics
    assert run.history["loss"][-1] < run.history["loss"][0]


def test_killed_run_resumes_from_its_last_epoch(tmp_path: Path):
    config_path = tmp_path / "resume.yaml"
    config_path.write_text(yaml.safe_dump(small("resume", epochs=40)))
    command = [
        sys.executable,
        "-c",
        "from dlworkflow.cli import main; main()",
        "run",
        str(config_path),
    ]
    state = tmp_path / "runs" / "resume" / "checkpoints" / "state.json"
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 180
    while time.time() < deadline:
        if state.is_file() and json.loads(state.read_text())["epochs_done"] >= 3:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = json.loads(state.read_text())["epochs_done"]
    assert 3 <= done_before < 40, "the run finished before it could be killed"

    finished = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert "resuming" in finished.stderr
    folder = tmp_path / "runs" / "resume"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] >= done_before
    rows = list(csv.DictReader((folder / "history.csv").open()))
    assert [int(row["epoch"]) for row in rows] == list(range(1, 41))
    assert not (folder / "checkpoints").exists()
    assert not (tmp_path / "runs" / "resume-2").exists()
