"""Per-epoch bookkeeping that makes a run resumable after ``kill -9``.

After each epoch, in this order: the best model (when the monitored value improved),
the last model with its optimizer state, ``history.csv``, and finally
``state.json`` naming that epoch. Each write is atomic and ``state.json`` goes last,
so a run killed at any instant resumes from a consistent, finished epoch.

Resuming is exact, not approximate: ``state.json`` also keeps what ``.keras`` files
leave out, namely the random-generator states of dropout and augmentation layers and the
counters of early stopping and LR reduction, all taken after those callbacks have seen
the epoch; the sample order is a function of the epoch (:mod:`dlworkflow.train.order`).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np

from dlworkflow.atomic import write_bytes, write_json, write_text, write_with
from dlworkflow.errors import BadInput
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
    reduce_lr: dict[str, float | int | None] | None = None  # wait, best, cooldown_counter
    seed_states: list[list[int]] = field(default_factory=list)  # per layer random generator


def load_state(checkpoint_dir: Path) -> TrainState | None:
    """The last consistent state, or None when there is nothing to resume."""
    path = checkpoint_dir / STATE
    if not (path.is_file() and (checkpoint_dir / LAST).is_file()):
        return None
    try:
        state = TrainState(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as error:
        reason = str(error).splitlines()[0]
        raise BadInput(f"{path}: corrupt training state ({reason}); remove the folder") from None
    return state


SCORE_WORDS = ("acc", "auc", "precision", "recall", "f1", "iou")


def monitor_mode(monitor: str) -> str:
    """``max`` for scores (accuracy, auc…), ``min`` for losses and errors."""
    name = monitor.removeprefix("val_")
    return "max" if any(k in name for k in SCORE_WORDS) else "min"


def seed_generator_states(model: keras.Model) -> list[keras.Variable]:
    """The state variables of the model's random generators (dropout, augmentation…),
    in layer order; ``model.save`` does not keep them."""
    return [v for v in model.variables if v.name == "seed_generator_state"]


def check_seed_states(model: keras.Model, states: list[list[int]]) -> list[keras.Variable]:
    """The model's generator variables, when the saved states fit them one to one."""
    variables = seed_generator_states(model)
    if states and (len(variables) != len(states) or any(len(v) != 2 for v in states)):
        raise BadInput(
            f"checkpoints/{STATE}: {len(states)} saved random-generator states do not fit the "
            f"model's {len(variables)} generators; remove the run folder to start over"
        )
    return variables


def check_resume_state(checkpoint_dir: Path, model: keras.Model | None) -> None:
    """Refuse a damaged or crafted resume state before anything is written."""
    state = load_state(checkpoint_dir)
    if state is not None and model is not None:
        check_seed_states(model, state.seed_states)


def restore_seed_states(model: keras.Model, states: list[list[int]]) -> None:
    """Put the generators back where the checkpoint left them (none saved: nothing to do,
    as for a model without dropout or augmentation)."""
    if not states:
        return
    variables = check_seed_states(model, states)
    for variable, value in zip(variables, states, strict=True):
        variable.assign(np.asarray(value, dtype=variable.dtype))


class EpochLog(keras.callbacks.Callback):
    """Adds ``lr`` and ``epoch_seconds`` to the logs, appends them to the history and
    stops on a non-finite loss; first in the callback list, so the history holds the
    rate the epoch used (before an LR reduction changes it) and no column another
    callback adds to the logs.

    Checking the loss once per epoch instead of per batch (as TerminateOnNaN does)
    keeps Keras' batch loop asynchronous, which matters on a GPU.
    """

    def __init__(self, state: TrainState) -> None:
        super().__init__()
        self.state = state

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if logs is None:
            return
        logs["lr"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        logs["epoch_seconds"] = time.perf_counter() - self._epoch_started
        if not math.isfinite(float(logs.get("loss", 0.0))):
            self.model.stop_training = True
        for name, value in logs.items():
            self.state.history.setdefault(name, []).append(float(value))


class RunRecorder(keras.callbacks.Callback):
    """Writes history, best and last models, and state; placed after early stopping and
    LR reduction so the saved optimizer rate and counters already include this epoch."""

    def __init__(
        self,
        run_folder: Path,
        state: TrainState,
        monitor: str,
        early_stopping: keras.callbacks.EarlyStopping | None = None,
        reduce_lr: keras.callbacks.ReduceLROnPlateau | None = None,
    ) -> None:
        super().__init__()
        self.run_folder = run_folder
        self.checkpoint_dir = run_folder / CHECKPOINTS
        self.state = state
        self.monitor = monitor
        self.mode = monitor_mode(monitor)
        self.early_stopping = early_stopping
        self.reduce_lr = reduce_lr

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs if logs is not None else {}
        self.state.epochs_done = epoch + 1
        self.state.seed_states = [
            [int(n) for n in keras.ops.convert_to_numpy(v)]
            for v in seed_generator_states(self.model)
        ]
        write_with(self.checkpoint_dir / LAST, self.model.save)
        value = logs.get(self.monitor)
        if value is not None and math.isfinite(value) and self._improved(float(value)):
            self.state.best_value, self.state.best_epoch = float(value), epoch + 1
            write_bytes(self.checkpoint_dir / BEST, (self.checkpoint_dir / LAST).read_bytes())
        if self.early_stopping is not None:
            best = self.early_stopping.best
            self.state.early_stopping_wait = int(self.early_stopping.wait)
            self.state.early_stopping_best = float(best) if best is not None else None
        if self.reduce_lr is not None:
            self.state.reduce_lr = reduce_lr_counters(self.reduce_lr)
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


class ResumableReduceLR(keras.callbacks.ReduceLROnPlateau):
    """Keras' LR reduction, continuing its patience, best value and cooldown across a
    resume (the reduced rate itself is in the optimizer state of ``last.keras``)."""

    def __init__(self, counters: dict[str, float | int | None] | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._resume = counters

    def on_train_begin(self, logs=None) -> None:
        super().on_train_begin(logs)
        if self._resume is not None:
            self.wait = int(self._resume["wait"])
            self.cooldown_counter = int(self._resume["cooldown_counter"])
            best = self._resume["best"]
            if best is not None:
                self.best = float(best)


def reduce_lr_counters(callback: keras.callbacks.ReduceLROnPlateau) -> dict:
    best = getattr(callback, "best", None)
    return {
        "wait": int(callback.wait),
        "best": float(best) if best is not None else None,
        "cooldown_counter": int(callback.cooldown_counter),
    }

