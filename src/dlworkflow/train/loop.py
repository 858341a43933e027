"""Step 6: fit with a best checkpoint, optional early stopping, an LR schedule or LR
reduction, resumable."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from rich.console import Console

from dlworkflow.data.stream import ImageFiles, model_input
from dlworkflow.errors import WorkFailed
from dlworkflow.runfolder import CHECKPOINTS
from dlworkflow.train.checkpoints import (
    BEST,
    LAST,
    EpochLog,
    ResumableEarlyStopping,
    ResumableReduceLR,
    RunRecorder,
    TrainState,
    load_state,
    monitor_mode,
    restore_seed_states,
)
from dlworkflow.train.lr_finder import LRFinderResult, resolve_base_lr
from dlworkflow.train.order import epoch_batches, steps_per_epoch
from dlworkflow.train.progress import EpochProgress
from dlworkflow.train.schedules import ScheduleCallback
from dlworkflow.train.spec import TrainSpec

Arrays = tuple[np.ndarray, np.ndarray]


@dataclass
class TrainResult:
    model: keras.Model  # best by the checkpoint monitor, or the last epoch's (keep: last)
    history: dict[str, list[float]]
    best_epoch: int | None
    resumed_from_epoch: int
    stopped_early: bool
    seconds: float
    base_lr: float  # where the schedule started (see TrainSpec)
    lr_finder: LRFinderResult | None = None  # the range test, when train.lr is auto

    def facts(self) -> dict:
        """What every run's ``metrics.json`` says about its training."""
        return {
            "best_epoch": self.best_epoch,
            "epochs_run": len(self.history.get("loss", [])),
            "stopped_early": self.stopped_early,
            "resumed_from_epoch": self.resumed_from_epoch,
            "train_seconds": round(self.seconds, 3),
            "params": int(self.model.count_params()),
        }


def fit(
    model: keras.Model,
    train: Arrays,
    validation: Arrays | None,
    spec: TrainSpec,
    run_folder: Path,
    seed: int,
    console: Console | None = None,
    extra_callbacks: Sequence[keras.callbacks.Callback] = (),
    augment: Callable | None = None,
) -> TrainResult:
    """Train ``model`` (or the one found in ``run_folder/checkpoints``, to resume).

    The schedule starts from :func:`resolve_base_lr` (``train.lr: auto`` runs the LR
    range test on a copy, again on resume, where the fresh model gives the same answer).
    The returned model is the best one by ``spec.checkpoint.monitor``, or with
    ``keep: last`` the weights after the last epoch (as a notebook that just calls
    ``fit`` then ``evaluate`` tests); history has one entry per epoch, including the
    learning rate as ``lr``. ``augment`` (``data.augment`` of image classification)
    transforms each training batch in the input stream; validation data never sees it.
    """
    # from the freshly compiled model: a resumed one carries the last scheduled rate
    base_lr, lr_finder = resolve_base_lr(spec, model, train[0], train[1], seed)
    if lr_finder is not None:
        found = (
            f"{lr_finder.recommended:.3g} ({lr_finder.rule})"
            if lr_finder.recommended
            else "nothing (the loss neither fell by 10 % nor climbed 5 % above its low)"
        )
        (console or Console(stderr=True, emoji=False)).print(
            f"train.lr auto: the LR range test suggests {found}; training from {base_lr:.3g}"
        )
    checkpoint_dir = run_folder / CHECKPOINTS
    state = load_state(checkpoint_dir) or TrainState()
    resumed_from = state.epochs_done
    if resumed_from:
        model = keras.models.load_model(checkpoint_dir / LAST)
        restore_seed_states(model, state.seed_states)
    else:
        model.optimizer.learning_rate = base_lr
    keras.utils.set_random_seed(seed)

    early_stopping = None
    if spec.early_stopping is not None:
        es = spec.early_stopping
        early_stopping = ResumableEarlyStopping(
            state.early_stopping_wait,
            state.early_stopping_best,
            monitor=es.monitor,
            patience=es.patience,
            min_delta=es.min_delta,
            mode=monitor_mode(es.monitor),
        )
    reduce_lr = None
    if spec.reduce_lr is not None:
        rl = spec.reduce_lr
        reduce_lr = ResumableReduceLR(
            state.reduce_lr,
            monitor=rl.monitor,
            factor=rl.factor,
            patience=rl.patience,
            min_lr=rl.min_lr,
            mode=monitor_mode(rl.monitor),
            verbose=0,
        )
    # order matters at epoch end: log, then the controllers, then save what they changed
    callbacks: list[keras.callbacks.Callback] = [EpochLog(state)]
    callbacks.extend(c for c in (early_stopping, reduce_lr) if c is not None)
    callbacks.append(
        RunRecorder(run_folder, state, spec.checkpoint.monitor, early_stopping, reduce_lr)
    )
    steps = steps_per_epoch(len(train[0]), spec.batch_size)
    if spec.schedule.kind != "constant":
        callbacks.append(ScheduleCallback(spec.schedule, base_lr, spec.epochs, steps))
    callbacks.append(EpochProgress(spec.epochs, steps, console))
    callbacks.extend(extra_callbacks)  # trackers see the epoch after it is recorded

    started = time.perf_counter()
    if resumed_from < spec.epochs and not _stopped_before(state, spec):
        # the sample order is a function of (seed, epoch), so a resumed run repeats it
        data = (
            {"x": epoch_batches(*train, spec.batch_size, seed, resumed_from, spec.epochs,
                                augment, spec.shuffle),
             "steps_per_epoch": steps}
            if spec.shuffle or augment is not None or isinstance(train[0], ImageFiles)
            else {"x": train[0], "y": train[1], "batch_size": spec.batch_size}
        )  # fmt: skip
        val_data = validation and model_input(validation[0], spec.batch_size, validation[1])
        model.fit(
            **data,
            epochs=spec.epochs,
            initial_epoch=resumed_from,
            validation_data=val_data,
            shuffle=False,
            callbacks=callbacks,
            verbose=0,
        )
    seconds = time.perf_counter() - started
    loss = state.history.get("loss", [])
    if loss and not math.isfinite(loss[-1]):
        raise WorkFailed(
            f"the training loss became {loss[-1]} at epoch {len(loss)}; lower "
            "compile.optimizer.lr or scale the inputs (data.scale: unit)"
        )
    best_path = checkpoint_dir / BEST
    keep_best = spec.keep == "best" and best_path.is_file()
    best = keras.models.load_model(best_path) if keep_best else model
    return TrainResult(
        model=best,
        history=state.history,
        best_epoch=state.best_epoch,
        resumed_from_epoch=resumed_from,
        stopped_early=state.epochs_done < spec.epochs,
        seconds=seconds,
        base_lr=base_lr,
        lr_finder=lr_finder,
    )


def _stopped_before(state: TrainState, spec: TrainSpec) -> bool:
    """A resumed run that early stopping had already ended must not train again."""
    es = spec.early_stopping
    return es is not None and state.epochs_done > 0 and state.early_stopping_wait >= es.patience
