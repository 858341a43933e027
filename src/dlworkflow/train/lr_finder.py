"""Step 8: the LR range test, and seed 002's epoch-wise variant, with a suggested rate.

Range test (Smith 2017, fastai's ``lr_find``): 100 batches (by default) while the rate
grows exponentially from ``start_lr`` to ``end_lr``, cycling through the training data
(reshuffled each pass) as fastai does when it has fewer batches than that; the loss
falls once the rate is useful and explodes once it is too high, and the good rates
lie on the way down. Seed 002 does the same one *epoch* at a time
(``1e-4·10^(epoch/20)``, 100 epochs) and reads the rate off the loss-vs-LR plot.
Both train a copy (:func:`training_copy`), so the model is left exactly as it was.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Literal

import keras
import numpy as np
from matplotlib.figure import Figure

from dlworkflow.errors import BadInput
from dlworkflow.figures import plt
from dlworkflow.pages.notebook import figure_html, html_block, html_table
from dlworkflow.ranges import whole_number
from dlworkflow.train.clone import current_lr, training_copy
from dlworkflow.train.schedules import ScheduleCallback
from dlworkflow.train.spec import ScheduleSpec, TrainSpec

STEPS = 100  # the range test's default length (fastai's), whatever the data's size
DIVERGE = 4.0  # stop once the smoothed loss exceeds this multiple of its best
RULES = ("valley", "steepest", "minimum/10")  # the range test recommends their middle
FALL = 0.1  # a curve whose smoothed low is not 10 % under its start gives no suggestion…
RISE = 0.05  # …unless the loss climbs 5 % above that low at higher rates: the low is then
# the edge of stability and a tenth of its rate is the suggestion (Smith's reading)


@dataclass
class LRFinderResult:
    """Rates tried and the loss at each (``unit``: per batch or per epoch), and what to use.

    ``suggestions`` maps each rule that found a rate to it: *valley* (halfway down the
    longest stretch of falling loss), *steepest* (where the smoothed loss falls fastest
    against log LR), *minimum/10* (a tenth of the rate at the lowest loss) and
    *lowest_loss* (the rate at the lowest loss). For the range test ``recommended`` is
    the middle of the valley, steepest and minimum/10 rates (the lower of two), so one
    rule's misfire on an odd curve does not decide; ``rule`` names the one chosen. For
    the epoch-wise test it is lowest_loss, as seed 002 reads its plot: each rate had a
    whole epoch, so the low is no longer the edge of divergence. None when the loss
    neither fell by 10 % nor climbed 5 % above its low (see :func:`suggest`).
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestions: dict[str, float]
    recommended: float | None
    rule: str | None
    diverged: bool
    unit: Literal["batch", "epoch"]
    seconds: float
    passes: float = 1.0  # passes over the training data the batches took (range test)

    def table(self) -> list[dict[str, float]]:
        """One row per batch or epoch: lr, loss, smoothed loss."""
        return [
            {self.unit: index + 1, "lr": lr, "loss": loss, "smoothed": smooth}
            for index, (lr, loss, smooth) in enumerate(
                zip(self.lrs, self.losses, self.smoothed, strict=True)
            )
        ]

    def to_dict(self) -> dict:
        """JSON-ready (a non-finite loss becomes None)."""
        data = asdict(self)
        for key in ("losses", "smoothed"):
            data[key] = [value if math.isfinite(value) else None for value in data[key]]
        return data

    def _repr_html_(self) -> str:
        """In a notebook: each rule's rate (the recommended one marked) and the plot."""
        rows = [
            (rule, f"{lr:.3g}", "recommended" if rule == self.rule else "")
            for rule, lr in self.suggestions.items()
        ]
        steps = f"{len(self.lrs)} {'batches' if self.unit == 'batch' else 'epochs'}"
        note = f"{steps}, {self.passes:.2g} passes, {self.seconds:.1f} s" + (
            ", diverged" if self.diverged else ""
        )
        return html_block(
            "LR range test",
            html_table(rows or [("no suggestion", "", "")], ("rule", "learning rate", ""), note),
            figure_html(lr_finder_figure(self), "loss against learning rate"),
        )


class _Curve:
    """Collects (lr, loss), smooths the loss (bias-corrected EMA) and says when to stop."""

    def __init__(self, beta: float, diverge: float) -> None:
        self.beta, self.diverge = beta, diverge
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self.diverged = False
        self._average, self._best = 0.0, math.inf

    def add(self, lr: float, loss: float) -> bool:
        """Record one point; True when the loss has diverged and the test should stop."""
        self.lrs.append(lr)
        self.losses.append(loss)
        if not math.isfinite(loss):
            self.smoothed.append(math.nan)
            self.diverged = True
            return True
        self._average = self.beta * self._average + (1 - self.beta) * loss
        smooth = self._average / (1 - self.beta ** len(self.losses))
        self.smoothed.append(smooth)
        self._best = min(self._best, smooth)
        self.diverged = len(self.losses) > 1 and smooth > self.diverge * self._best
        return self.diverged

    def result(self, unit: Literal["batch", "epoch"], seconds: float) -> LRFinderResult:
        suggestions = suggest(self.lrs, self.smoothed)
        if unit == "epoch":
            rule = "lowest_loss" if suggestions else None
        else:
            found = sorted((suggestions[r], r) for r in RULES if r in suggestions)
            rule = found[(len(found) - 1) // 2][1] if found else None
        return LRFinderResult(
            lrs=self.lrs,
            losses=self.losses,
            smoothed=self.smoothed,
            suggestions=suggestions,
            recommended=suggestions[rule] if rule else None,
            rule=rule,
            diverged=self.diverged,
            unit=unit,
            seconds=round(seconds, 3),
        )


def find_lr(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int = 32,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    steps: int | None = None,
    smoothing: float | None = None,
    diverge: float = DIVERGE,
    seed: int = 0,
) -> LRFinderResult:
    """Range test on a copy of ``model`` (compiled; its weights stay untouched).

    ``steps`` (default 100) batches are taken whatever the data's size: a small set is
    cycled, reshuffled each pass (``result.passes`` says how many), since one epoch of a
    1,000-point set is too few points to read a curve from. ``smoothing`` (the EMA's
    beta) defaults to a window of about a tenth of the steps, so short tests are not
    smoothed into lagging.
    """
    if not 0 < start_lr < end_lr:
        raise BadInput(f"start_lr {start_lr:g} must be positive and below end_lr {end_lr:g}")
    if steps is not None:
        whole_number(steps, "steps", 1)
    full_batches = len(x) // batch_size
    if full_batches < 1:
        raise BadInput(f"batch_size {batch_size} is larger than the {len(x)} training samples")
    if steps is not None and steps < 2:
        raise BadInput(f"steps {steps}: the range test needs at least 2 batches")
    steps = steps or STEPS
    beta = smoothing if smoothing is not None else min(max(1 - 8 / steps, 0.5), 0.98)
    started = time.perf_counter()
    keras.utils.set_random_seed(seed)
    copy = training_copy(model)
    rng = np.random.default_rng(seed)
    curve = _Curve(beta, diverge)
    for step in range(steps):
        if step % full_batches == 0:  # a new pass: reshuffle (the last partial batch dropped)
            order = rng.permutation(len(x))
        lr = start_lr * (end_lr / start_lr) ** (step / (steps - 1))
        copy.optimizer.learning_rate = lr
        start = (step % full_batches) * batch_size
        batch = order[start : start + batch_size]
        logs = copy.train_on_batch(x[batch], y[batch], return_dict=True)
        if curve.add(lr, float(logs["loss"])):
            break
    result = curve.result("batch", time.perf_counter() - started)
    result.passes = round(len(result.lrs) / full_batches, 2)
    return result


class _EpochCurve(keras.callbacks.Callback):
    def __init__(self, curve: _Curve) -> None:
        super().__init__()
        self.curve = curve

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        loss = float((logs or {}).get("loss", math.nan))
        if self.curve.add(current_lr(self.model), loss):
            self.model.stop_training = True


def lr_range_by_epoch(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 100,
    start_lr: float = 1e-4,
    factor: float = 10.0,
    every: int = 20,
    batch_size: int = 32,
    diverge: float = DIVERGE,
    seed: int = 0,
) -> LRFinderResult:
    """Seed 002's test: train a copy for ``epochs`` with ``lr = start_lr·factor^(epoch/every)``
    (the ``exponential`` schedule) and record each epoch's (lr, loss); stops on divergence.

    Costs ``epochs`` epochs, where :func:`find_lr` costs at most one.
    """
    schedule = ScheduleSpec(kind="exponential", factor=factor, every=every)
    started = time.perf_counter()
    keras.utils.set_random_seed(seed)
    copy = training_copy(model)
    curve = _Curve(beta=0.0, diverge=diverge)  # epoch losses are already averages
    steps = math.ceil(len(x) / batch_size)
    copy.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=epochs,
        callbacks=[ScheduleCallback(schedule, start_lr, epochs, steps), _EpochCurve(curve)],
        verbose=0,
    )
    return curve.result("epoch", time.perf_counter() - started)


def suggest(lrs: list[float], smoothed: list[float]) -> dict[str, float]:
    """Each rule's rate for a loss curve.

    A curve that falls by 10 % gets every rule. A curve that stays flat (smaller dips
    are batch noise: a 5-5-1 net on circles hardly moves in 100 batches) and then
    climbs 5 % above its low gets only *minimum/10*: the low marks where higher rates
    stop helping, the one thing such a curve shows. A curve that does neither gets none.
    """
    finite = [i for i, value in enumerate(smoothed) if math.isfinite(value)]
    if len(finite) < 3:
        return {}
    lr = np.asarray(lrs)[finite]
    loss = np.asarray(smoothed)[finite]
    skip = len(loss) // 10  # the EMA's first points are still settling on one batch's noise
    lowest = skip + int(np.argmin(loss[skip:]))
    fell = loss[lowest] <= (1 - FALL) * loss[0]
    rose = len(finite) < len(smoothed) or loss[lowest:].max() >= (1 + RISE) * loss[lowest]
    if not fell and not rose:
        return {}
    suggestions = {"lowest_loss": float(lr[lowest]), "minimum/10": float(lr[lowest] / 10)}
    if not fell:
        return suggestions
    slope = np.gradient(loss, np.log10(lr))
    steepest = skip + int(np.argmin(slope[skip : lowest + 1]))
    if slope[steepest] < 0:
        suggestions["steepest"] = float(lr[steepest])
    start, end = _longest_valley(loss)
    if end - start >= 2:
        suggestions["valley"] = float(lr[start + (end - start) // 2])
    return suggestions


def _longest_valley(loss: np.ndarray) -> tuple[int, int]:
    """First and last index of the longest decreasing subsequence (fastai's valley)."""
    length = np.ones(len(loss), dtype=int)
    for i in range(1, len(loss)):
        higher_before = length[:i][loss[:i] > loss[i]]
        if higher_before.size:
            length[i] = higher_before.max() + 1
    end = int(np.argmax(length))
    return end - int(length[end]) + 1, end


def resolve_base_lr(
    spec: TrainSpec, model: keras.Model, x: np.ndarray, y: np.ndarray, seed: int = 0
) -> tuple[float, LRFinderResult | None]:
    """The rate training starts from: ``train.lr`` when a number; for ``auto`` the range
    test's recommendation (the compiled rate when it has none); else the compiled
    ``compile.optimizer.lr``. Also returns the range test when one ran."""
    if spec.lr != "auto":
        return (spec.lr if isinstance(spec.lr, float) else current_lr(model)), None
    result = find_lr(model, x, y, batch_size=spec.batch_size, seed=seed)
    return (result.recommended or current_lr(model)), result


def lr_finder_figure(result: LRFinderResult) -> Figure:
    """Loss against learning rate (log x): raw and smoothed, each suggestion marked and the
    recommended rate drawn bold, as seed 002's ``plt.semilogx(lrs, loss)``."""
    figure, axis = plt.subplots(figsize=(8, 4.8))
    lrs = np.asarray(result.lrs)
    if result.unit == "batch":
        axis.plot(lrs, result.losses, color="tab:blue", alpha=0.3, label="loss per batch")
    label = "smoothed loss" if result.unit == "batch" else "loss per epoch"
    axis.plot(lrs, result.smoothed, color="tab:blue", label=label)
    colours = {
        "valley": "tab:green",
        "steepest": "tab:orange",
        "minimum/10": "tab:purple",
        "lowest_loss": "tab:gray",
    }
    for rule, lr in result.suggestions.items():
        bold = rule == result.rule
        axis.axvline(
            lr,
            color=colours[rule],
            linestyle="-" if bold else ":",
            linewidth=2.2 if bold else 1.2,
            label=f"{rule}: {lr:.2g}" + (" (recommended)" if bold else ""),
        )
    finite = [v for v in result.smoothed if math.isfinite(v)]
    if finite:  # keep the diverged tail from flattening the interesting part
        low = min(v for v in [*finite, *result.losses] if math.isfinite(v))
        high = max(finite[0], low)
        axis.set_ylim(low - 0.1 * (high - low + 1e-12), high * 1.6 + 1e-12)
    axis.set_xscale("log")
    axis.set_xlabel("learning rate")
    axis.set_ylabel("loss")
    title = "LR range test" + ("" if result.unit == "batch" else ", one epoch per rate")
    if result.recommended is None:
        title += ": the loss neither fell by 10 % nor climbed 5 %, no suggestion"
    axis.set_title(title)
    axis.legend(fontsize=8)
    return figure
