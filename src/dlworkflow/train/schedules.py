"""Learning-rate schedules chosen in ``train.schedule``: pure functions of the epoch, a
callback that applies them, and the figure that shows them before a run spends time.

Per-epoch kinds (step, exponential, cosine) set the rate when an epoch begins, so the
history's ``lr`` column shows exactly what each epoch used; one_cycle moves every batch
(its ``lr`` column is the rate of the epoch's last batch). Everything is a function of
the absolute epoch, so a resumed run continues the same curve.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from dlworkflow.errors import BadInput
from dlworkflow.figures import plt
from dlworkflow.train.spec import ScheduleSpec

PER_BATCH = ("one_cycle",)


def lr_at(spec: ScheduleSpec, base_lr: float, epochs: int, position: float) -> float:
    """The learning rate ``position`` epochs into training (0 = the first batch).

    Per-epoch kinds use the whole epoch ``floor(position)``; one_cycle uses the fraction.
    """
    epoch = math.floor(position)
    if spec.kind == "constant":
        return base_lr
    if spec.kind == "step":
        return base_lr * spec.factor ** (epoch // spec.every)
    if spec.kind == "exponential":
        return base_lr * spec.factor ** (epoch / spec.every)
    if spec.kind == "cosine":
        done = epoch / (epochs - 1) if epochs > 1 else 0.0
        return _cosine(base_lr, spec.min_lr, done)
    done = position / epochs  # one_cycle
    start = base_lr * spec.start_factor
    if done < spec.warmup:
        return _cosine(base_lr, start, 1.0 - done / spec.warmup)
    return _cosine(base_lr, spec.min_lr, (done - spec.warmup) / (1.0 - spec.warmup))


def _cosine(high: float, low: float, done: float) -> float:
    """Half a cosine from ``high`` (done = 0) to ``low`` (done = 1)."""
    return low + (high - low) * (1.0 + math.cos(math.pi * min(max(done, 0.0), 1.0))) / 2.0


def epoch_lrs(
    spec: ScheduleSpec, base_lr: float, epochs: int, steps_per_epoch: int = 1
) -> list[float]:
    """The ``lr`` column a run's history will show: the rate at each epoch's last batch."""
    last = (steps_per_epoch - 1) / steps_per_epoch if spec.kind in PER_BATCH else 0.0
    return [lr_at(spec, base_lr, epochs, epoch + last) for epoch in range(epochs)]


def check_schedule(spec: ScheduleSpec, base_lr: float) -> None:
    """A floor at or above the base rate would make cosine and one_cycle climb instead."""
    if spec.kind in ("cosine", "one_cycle") and spec.min_lr >= base_lr:
        raise BadInput(
            f"train.schedule.min_lr: {spec.min_lr:g} is not below the base learning rate "
            f"{base_lr:g}; lower it (0 is fine)"
        )


class ScheduleCallback(keras.callbacks.Callback):
    """Sets the optimizer's rate from :func:`lr_at` at each epoch (or batch) start.

    Only batch *begin* is used, which keeps Keras' batch loop asynchronous.
    """

    def __init__(
        self, spec: ScheduleSpec, base_lr: float, epochs: int, steps_per_epoch: int
    ) -> None:
        super().__init__()
        check_schedule(spec, base_lr)
        self.spec, self.base_lr, self.epochs = spec, base_lr, epochs
        self.steps_per_epoch = max(1, steps_per_epoch)
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch = epoch
        self._set(epoch)

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        if self.spec.kind in PER_BATCH:
            self._set(self._epoch + batch / self.steps_per_epoch)

    def _set(self, position: float) -> None:
        self.model.optimizer.learning_rate = lr_at(self.spec, self.base_lr, self.epochs, position)


def schedule_figure(spec: ScheduleSpec, epochs: int, base_lr: float) -> Figure:
    """The learning rate over the epochs as the run will apply it (epoch e spans [e, e+1))."""
    check_schedule(spec, base_lr)
    per_epoch = 50 if spec.kind in PER_BATCH else 1
    positions = np.arange(epochs * per_epoch) / per_epoch
    lrs = [lr_at(spec, base_lr, epochs, float(p)) for p in positions]
    figure, axis = plt.subplots(figsize=(7, 4))
    style = {"drawstyle": "default"} if spec.kind in PER_BATCH else {"drawstyle": "steps-post"}
    axis.plot(np.append(positions, epochs) + 1, [*lrs, lrs[-1]], color="tab:purple", **style)
    if spec.kind not in PER_BATCH:
        axis.plot(positions + 1, lrs, "o", color="tab:purple", markersize=3)
    if spec.kind == "exponential" and max(lrs) / min(lrs) > 10:
        axis.set_yscale("log")  # a geometric schedule is a straight line on a log axis
    axis.set_xlabel("epoch")
    axis.set_ylabel("learning rate")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_title(f"learning-rate schedule: {spec.kind} (base {base_lr:g}, {epochs} epochs)")
    return figure
