"""Exact resumption: a run killed with SIGKILL (after an epoch is recorded, or in the
middle of one) and rerun ends with the same history and metrics as a run never
interrupted, with dropout, shuffling, early stopping and LR reduction all in play."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dlworkflow
from dlworkflow.train.order import epoch_batches, epoch_order, steps_per_epoch

# Runs the config in a fresh process and SIGKILLs itself at epoch KILL_AT: right after
# the epoch is recorded ("end") or at its third batch ("mid"). The hook wraps the real
# recorder from outside; nothing in the product knows about it.
KILLER = """
import json, os, signal, sys
import dlworkflow
from dlworkflow.train import checkpoints
config, runs, kill_at, mode = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
recorded = checkpoints.RunRecorder.on_epoch_end

def on_epoch_end(self, epoch, logs=None):
    recorded(self, epoch, logs)
    if mode == "end" and epoch + 1 == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

def on_train_batch_end(self, batch, logs=None):
    if mode == "mid" and self.state.epochs_done + 1 == kill_at and batch == 2:
        os.kill(os.getpid(), signal.SIGKILL)

checkpoints.RunRecorder.on_epoch_end = on_epoch_end
checkpoints.RunRecorder.on_train_batch_end = on_train_batch_end
dlworkflow.run(config, runs_dir=runs)
"""

CONFIG = {
    "name": "exact",
    "seed": 7,
    "data": {"source": "digits", "limit": 300},
    "model": {"zoo": "mlp", "options": {"hidden": [32], "dropout": 0.3}},
    "compile": {"optimizer": {"name": "adam", "lr": 0.01}},
    "train": {
        "epochs": 12,
        "batch_size": 32,
        "learnability": False,
        "early_stopping": {"monitor": "val_loss", "patience": 4},
        "reduce_lr": {"monitor": "val_accuracy", "patience": 1, "factor": 0.5},
    },
}
TIMINGS = {"epoch_seconds", "seconds", "train_seconds", "resumed_from_epoch", "step_seconds"}


def _history(folder: Path) -> dict[str, list[float]]:
    rows = list(csv.DictReader((folder / "history.csv").open()))
    return {k: [float(r[k]) for r in rows] for k in rows[0] if k not in TIMINGS}


def _numbers(value, path=""):
    """Every number in a JSON document by its path, timings left out."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in TIMINGS:
                yield from _numbers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _numbers(item, f"{path}[{index}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, float(value)


def test_the_batch_stream_is_each_epochs_permutation_in_turn():
    x = np.arange(10, dtype=np.float32)[:, None] * 10
    y = np.arange(10)
    batches = list(epoch_batches(x, y, 4, seed=5, first_epoch=2, epochs=4))
    assert len(batches) == 2 * steps_per_epoch(10, 4) == 6
    seen = np.concatenate([rows.numpy() for _, rows in batches])
    expected = np.concatenate([epoch_order(10, 5, 2), epoch_order(10, 5, 3)])
    np.testing.assert_array_equal(seen, expected)
    np.testing.assert_array_equal(np.concatenate([b.numpy()[:, 0] for b, _ in batches]), seen * 10)
    assert [len(rows) for _, rows in batches] == [4, 4, 2, 4, 4, 2]
    assert not np.array_equal(epoch_order(10, 5, 2), epoch_order(10, 5, 3))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dlworkflow.run(CONFIG, runs_dir=tmp_path_factory.mktemp("full")).folder


@pytest.mark.slow
@pytest.mark.parametrize(("kill_at", "mode"), [(3, "end"), (6, "mid")])
def test_a_killed_run_resumes_to_the_uninterrupted_result(
    tmp_path: Path, uninterrupted: Path, kill_at: int, mode: str
):
    expected = _history(uninterrupted)
    assert len(expected["loss"]) > kill_at, "the run stopped before the kill point"
    assert len(set(expected["lr"])) > 1, "the LR reduction never acted; the test is too easy"
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, json.dumps(CONFIG), str(tmp_path), str(kill_at), mode],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    state = json.loads((tmp_path / "exact" / "checkpoints" / "state.json").read_text())
    assert state["epochs_done"] == (kill_at if mode == "end" else kill_at - 1)

    resumed = dlworkflow.run(CONFIG, runs_dir=tmp_path)
    assert resumed.folder == tmp_path / "exact"
    assert resumed.metrics["resumed_from_epoch"] == state["epochs_done"]
    history = _history(resumed.folder)
    assert history.keys() == expected.keys()
    for name, values in expected.items():
        assert history[name] == pytest.approx(values, abs=1e-6, rel=0), name
    want = dict(_numbers(json.loads((uninterrupted / "metrics.json").read_text())))
    got = dict(_numbers(json.loads((resumed.folder / "metrics.json").read_text())))
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=1e-6, rel=0), key
