"""Steps 6–7: read the training curves as the course asks, and say what to change.

Seed 000 asks of every run: what accuracy and loss were reached, are the training and
validation curves alike, and if not, from which epoch does the model overfit; the
notes' bias/variance table then says what to fight (train/validation error 1 %/11 %:
high variance; 15 %/16 %: high bias; 15 %/30 %: both; 0.5 %/1 %: good).
:func:`diagnose` answers from a history alone (one list per logged name, as
``history.csv``), so it works for a finished run, a resumed one or a notebook's
``model.fit(...).history``. The result is plain JSON (``diagnostics.json``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlworkflow.runfolder import BOOKKEEPING

BIAS_POINTS = 0.05  # avoidable bias (train error − baseline) above this is high bias
VARIANCE_POINTS = 0.05  # validation − train error above this is high variance
LOSS_RATIO = 1.5  # without an error rate (regression): loss ratios that count as high
RISE = 0.02  # the validation loss must climb at least 2 % above its low to count
PLATEAU = 0.01  # less than 1 % further improvement counts as a plateau
EXPLODE = 3.0  # a training loss above this multiple of its low (and its start) diverged


def diagnose(
    history: dict[str, list[float]],
    baseline_error: float | None = None,
    chance_error: float | None = None,
) -> dict[str, Any]:
    """Best epoch, overfitting epoch, plateaus, divergence, bias/variance regime and
    commentary for one history (advice in config terms is added by
    :func:`dlworkflow.experiments.diagnose_run`).

    ``baseline_error`` is the error the task allows (human level, a published result;
    0 when unknown), from which avoidable bias is measured. ``chance_error`` is the
    error of always answering the majority class, which the caller knows from the
    labels: a training error near it means the model learned nothing.
    """
    loss = _series(history, "loss")
    if not loss:
        raise ValueError("the history has no 'loss' column")
    val_loss = _series(history, "val_loss")
    metric = _accuracy_name(history)
    epochs = len(loss)
    patience = max(3, epochs // 10)
    diverged = _divergence(loss)
    usable = diverged["epoch"] - 1 if diverged else epochs  # epochs before the blow-up
    watched = val_loss[:usable] if val_loss else loss[:usable]
    best = int(np.nanargmin(watched)) + 1 if usable and _finite(watched) else None
    overfit = _overfit_epoch(loss[:usable], val_loss[:usable], patience) if val_loss else None
    plateaus = {
        "train": _plateau_epoch(loss[:usable], patience),
        "validation": _plateau_epoch(val_loss[:usable], patience) if val_loss else None,
    }
    errors = _errors(history, metric, best, baseline_error, chance_error)
    regime = "diverged" if diverged else _regime(errors, metric is not None)
    watched_plateau = plateaus["validation" if val_loss else "train"]
    still_improving = (
        not diverged and overfit is None and watched_plateau is None and _fell(watched, patience)
    )
    facts = {
        "epochs": epochs,
        "metric": metric,
        "best_epoch": best,
        "at_best": _row(history, best),
        "final": _row(history, epochs),
        "overfit_epoch": overfit,
        "overfitting": overfit is not None,
        "final_gap": _gap(history, metric, epochs) if val_loss else None,
        "plateau_epoch": plateaus,
        "still_improving": still_improving,
        "diverged": diverged,
        "errors": errors,
        "regime": regime,
    }
    facts["commentary"] = _commentary(facts, bool(val_loss))
    return facts


def _series(history: dict[str, list[float]], name: str) -> list[float]:
    return [float(v) if v is not None else math.nan for v in history.get(name, [])]


def _finite(values: list[float]) -> bool:
    return any(math.isfinite(v) for v in values)


def _accuracy_name(history: dict[str, list[float]]) -> str | None:
    """The accuracy-like metric logged for training and validation, if any."""
    for name in history:
        if name in BOOKKEEPING or name.startswith("val_") or name == "loss":
            continue
        if "acc" in name:
            return name
    return None


def _smooth(values: list[float], window: int) -> np.ndarray:
    """Centred moving average (the window shrinks at the ends), so a minimum stays put."""
    array = np.asarray(values, dtype=np.float64)
    half = window // 2
    return np.array(
        [array[max(0, i - half) : i + half + 1].mean() for i in range(len(array))],
        dtype=np.float64,
    )


def _noise(values: np.ndarray) -> float:
    """Epoch-to-epoch noise (robust SD from first differences; a steady trend cancels)."""
    steps = np.diff(values)
    if len(steps) < 2:
        return 0.0
    return float(1.4826 * np.median(np.abs(steps - np.median(steps))) / math.sqrt(2))


def _overfit_epoch(loss: list[float], val_loss: list[float], patience: int) -> int | None:
    """The epoch after which validation loss rises for good while training loss falls.

    The low is the minimum of the smoothed validation loss; it counts only when the
    median of the last ``patience`` epochs sits clearly above the median around the
    low (three noise SDs of a median, and at least 2 %), with the training loss lower
    at the end than at the low. A single uptick, or noise around a flat curve, fails.
    """
    val = np.asarray(val_loss, dtype=np.float64)
    if len(val) < patience + 3 or not np.all(np.isfinite(val)):
        return None
    window = 5 if len(val) >= 15 else 3
    near = int(np.argmin(_smooth(val_loss, window)))
    # the smoothed low drifts towards the gentler side of the valley: take the raw low
    # within the smoothing window around it
    start = max(0, near - window // 2)
    low = start + int(np.argmin(val[start : near + window // 2 + 1]))
    if len(val) - 1 - low < patience:
        return None
    around = val[max(0, low - 1) : low + 2]
    end = val[-patience:]
    rise = float(np.median(end) - np.median(around))
    spread = 1.25 * _noise(val) * math.sqrt(1 / len(end) + 1 / len(around))
    train = np.asarray(loss, dtype=np.float64)
    train_fell = np.median(train[-patience:]) < np.median(train[max(0, low - 1) : low + 2])
    if rise > max(3 * spread, RISE * abs(np.median(around))) and train_fell:
        return low + 1
    return None


def _plateau_epoch(values: list[float], patience: int) -> int | None:
    """First epoch after which the smoothed loss never gets 1 % lower, with at least
    ``patience`` epochs to show it; None while it keeps improving."""
    if len(values) < patience + 2 or not np.all(np.isfinite(values)):
        return None
    smooth = _smooth(values, 3)
    for epoch in range(len(smooth) - patience):
        if smooth[epoch + 1 :].min() > (1 - PLATEAU) * smooth[epoch]:
            return epoch + 1
    return None


def _fell(values: list[float], patience: int) -> bool:
    """Whether the curve was still going down over its last ``patience`` epochs."""
    if len(values) <= patience:
        return len(values) > 1 and values[-1] < values[0]
    smooth = _smooth(values, 3)
    return bool(smooth[-1] < (1 - PLATEAU) * smooth[-1 - patience])


def _divergence(loss: list[float]) -> dict[str, Any] | None:
    """The first epoch whose training loss is not finite, or explodes above both its
    start and ``EXPLODE`` times its low so far."""
    low = math.inf
    for epoch, value in enumerate(loss, start=1):
        if not math.isfinite(value):
            return {"epoch": epoch, "reason": f"the training loss became {value}"}
        if epoch > 1 and value > max(loss[0], EXPLODE * low):
            return {
                "epoch": epoch,
                "reason": f"the training loss exploded to {value:.4g} (low {low:.4g})",
            }
        low = min(low, value)
    return None


def _errors(
    history: dict[str, list[float]],
    metric: str | None,
    epoch: int | None,
    baseline: float | None,
    chance: float | None,
) -> dict[str, Any]:
    """Train and validation error at ``epoch``: 1 − accuracy, or the loss without one."""
    name = metric or "loss"

    def at(key: str) -> float | None:
        values = history.get(key)
        if epoch is None or not values or epoch > len(values):
            return None
        if not math.isfinite(values[epoch - 1]):
            return None
        value = float(values[epoch - 1])
        return 1.0 - value if metric else value

    return {
        "kind": "1 − " + metric if metric else "loss",
        "train": _num(at(name)),
        "validation": _num(at(f"val_{name}")),
        "baseline": baseline,
        "chance": chance,
    }


def _regime(errors: dict[str, Any], rates: bool) -> str | None:
    """The notes' table: avoidable bias (train − baseline) and variance (validation −
    train) in error points for accuracies; as loss ratios for a loss."""
    train, val = errors["train"], errors["validation"]
    if train is None:
        return None
    baseline, chance = errors.get("baseline"), errors.get("chance")
    if rates:
        bias = train - (baseline or 0.0) > BIAS_POINTS
        variance = val is not None and val - train > VARIANCE_POINTS
    else:
        bias = baseline is not None and train > LOSS_RATIO * baseline
        variance = val is not None and val > LOSS_RATIO * train
    if chance is not None and train >= 0.9 * chance:
        bias = True  # barely better than always answering the majority class
    if bias and variance:
        return "high bias and high variance"
    if bias:
        return "high bias"
    if variance:
        return "high variance"
    return "good" if val is not None else "good on training data (no validation)"


def _gap(history: dict[str, list[float]], metric: str | None, epoch: int) -> dict[str, Any]:
    """Validation minus training at ``epoch``, in loss and in error points."""
    gap: dict[str, Any] = {
        "loss": _num(history["val_loss"][epoch - 1] - history["loss"][epoch - 1])
    }
    if metric and f"val_{metric}" in history:
        gap["error"] = _num(history[metric][epoch - 1] - history[f"val_{metric}"][epoch - 1])
    return gap


def _row(history: dict[str, list[float]], epoch: int | None) -> dict[str, float | None]:
    if epoch is None:
        return {}
    return {
        name: _num(values[epoch - 1])
        for name, values in history.items()
        if name != "epoch_seconds" and epoch <= len(values)
    }


def _num(value: float | None) -> float | None:
    """JSON has no NaN: a non-finite value becomes None."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 6)


def _commentary(facts: dict[str, Any], has_validation: bool) -> list[str]:
    """Seed 000's questions, answered in sentences."""
    lines = []
    best, at_best, final = facts["best_epoch"], facts["at_best"], facts["final"]
    metric = facts["metric"]
    if facts["diverged"]:
        lines.append(
            f"Training diverged at epoch {facts['diverged']['epoch']}: "
            f"{facts['diverged']['reason']}."
        )
    if best is not None and metric and at_best.get(metric) is not None:
        split = "validation" if has_validation else "training"
        value = at_best.get(f"val_{metric}") if has_validation else at_best[metric]
        if value is not None:
            lines.append(
                f"The {split} accuracy reached {value:.1%} at the best epoch ({best}); "
                f"the training accuracy there was {at_best[metric]:.1%}."
            )
    if best is not None:
        if has_validation and at_best.get("val_loss") is not None:
            lines.append(
                f"The validation loss reached its lowest, {at_best['val_loss']:.4g}, at epoch "
                f"{best}; the training loss was {at_best['loss']:.4g} there and "
                f"{_fmt(final.get('loss'))} at the last epoch ({facts['epochs']})."
            )
        else:
            lines.append(f"The training loss reached {at_best['loss']:.4g} at epoch {best}.")
    if not has_validation:
        lines.append(
            "There is no validation curve, so overfitting cannot be judged "
            "(set data.split.val above 0)."
        )
    elif facts["overfitting"]:
        epoch = facts["overfit_epoch"]
        lines.append(
            f"The training and validation curves part from epoch {epoch}: after it the "
            f"validation loss rises (to {_fmt(final.get('val_loss'))} at the end) while the "
            f"training loss keeps falling, so the model overfits from epoch {epoch}."
        )
    elif not facts["diverged"]:
        gap = facts["final_gap"] or {}
        error = gap.get("error")
        points = f", {abs(error) * 100:.1f} points in accuracy" if error is not None else ""
        lines.append(
            f"The training and validation curves stay alike (final gap "
            f"{_fmt(gap.get('loss'))} in loss{points}): the model does not overfit in "
            f"these {facts['epochs']} epochs."
        )
    lines.extend(_regime_sentence(facts))
    plateau = facts["plateau_epoch"]
    if facts["still_improving"]:
        lines.append("The loss was still falling at the last epoch: more epochs would help.")
    elif not (facts["diverged"] or facts["overfitting"]):
        if plateau["validation"]:
            lines.append(
                f"The validation loss has levelled off since epoch {plateau['validation']}: "
                "more epochs of the same would not help."
            )
        elif plateau["train"]:
            lines.append(f"The training loss has plateaued since epoch {plateau['train']}.")
    return lines


def _regime_sentence(facts: dict[str, Any]) -> list[str]:
    errors, regime = facts["errors"], facts["regime"]
    if regime in (None, "diverged") or errors["train"] is None:
        return []
    meaning = {
        "high variance": "the model fits the training data much better than new data",
        "high bias": "the model does not fit even the training data well",
        "high bias and high variance": "it fits the training data poorly, new data worse",
        "good": "low error on both, close together",
    }.get(regime, "judged on training data only")
    noun, form = ("error", ".1%") if facts["metric"] else ("loss", ".4g")
    pair = f"training {noun} {errors['train']:{form}}"
    if errors["validation"] is not None:
        pair += f" against validation {noun} {errors['validation']:{form}}"
    sentence = f"At the best epoch, {pair}: {regime} ({meaning})."
    chance = errors.get("chance")
    if chance is not None and errors["train"] >= 0.9 * chance:
        sentence += (
            f" That is barely better than always guessing the majority class ({chance:.1%})."
        )
    return [sentence]


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"
