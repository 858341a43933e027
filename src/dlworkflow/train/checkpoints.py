"""Per-epoch bookkeeping that makes a run resumable after ``kill -9``.

After each epoch, in this order: the best model (when the monitored value improved),
the last model with its optimizer state, ``history.csv``, and finally
``state.json`` naming that epoch. Each write is atomic and ``state.json`` goes last,
so a run killed at any instant resumes from a consistent, finished epoch.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras

from dlworkflow.atomic import write_bytes, write_json, write_text, write_with
from dlworkflow.runfolder import CHECKPOINTS, HISTORY, history_csv

STATE, LAST, BEST = "state.json", "last.keras", "best.keras"


@dataclass
class TrainState:
    epochs_done: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    best_value: float | None = None
    best_epoch: int | None = None  # 1-based
    early_stopping_wait: int = 0
    early_stopping_best: float | None = None


def load_state(checkpoint_dir: Path) -> TrainState | None:
    """The last consistent state, or None when there is nothing to resume."""
    path = checkpoint_dir / STATE
    if not (path.is_file() and (checkpoint_dir / LAST).is_file()):
        return None
    return TrainState(**json.loads(path.read_text()))


SCORE_WORDS = ("acc", "auc", "precision", "recall", "f1", "iou")


def monitor_mode(monitor: str) -> str:
    """``max`` for scores (accuracy, auc…), ``min`` for losses and errors."""
    name = monitor.removeprefix("val_")
    return "max" if any(k in name for k in SCORE_WORDS) else "min"


class RunRecorder(keras.callbacks.Callback):
    """Adds ``lr`` and ``epoch_seconds`` to the logs, stops on a non-finite loss, and
    writes history, best and last models, and state.

    Checking the loss once per epoch instead of per batch (as TerminateOnNaN does)
    keeps Keras' batch loop asynchronous, which matters on a GPU.
    """

    def __init__(
        self,
        run_folder: Path,
        state: TrainState,
        monitor: str,
        early_stopping: keras.callbacks.EarlyStopping | None = None,
    ) -> None:
        super().__init__()
        self.run_folder = run_folder
        self.checkpoint_dir = run_folder / CHECKPOINTS
        self.state = state
        self.monitor = monitor
        self.mode = monitor_mode(monitor)
        self.early_stopping = early_stopping

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs if logs is not None else {}
        logs["lr"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        logs["epoch_seconds"] = time.perf_counter() - self._epoch_started
        if not math.isfinite(float(logs.get("loss", 0.0))):
            self.model.stop_training = True
        for name, value in logs.items():
            self.state.history.setdefault(name, []).append(float(value))
        self.state.epochs_done = epoch + 1
        write_with(self.checkpoint_dir / LAST, self.model.save)
        value = logs.get(self.monitor)
        if value is not None and math.isfinite(value) and self._improved(float(value)):
            self.state.best_value, self.state.best_epoch = float(value), epoch + 1
            write_bytes(self.checkpoint_dir / BEST, (self.checkpoint_dir / LAST).read_bytes())
        if self.early_stopping is not None:
            best = self.early_stopping.best
            self.state.early_stopping_wait = int(self.early_stopping.wait)
            self.state.early_stopping_best = float(best) if best is not None else None
        write_text(self.run_folder / HISTORY, history_csv(self.state.history))
        write_json(self.checkpoint_dir / STATE, asdict(self.state))

    def _improved(self, value: float) -> bool:
        best = self.state.best_value
        if best is None:
            return True
        return value < best if self.mode == "min" else value > best


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras' early stopping, continuing its patience count across a resume."""

    def __init__(self, wait: int, best: float | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._resume_wait, self._resume_best = wait, best

    def on_train_begin(self, logs=None) -> None:
        super().on_train_begin(logs)
        if self._resume_best is not None:
            self.wait, self.best = self._resume_wait, self._resume_best
