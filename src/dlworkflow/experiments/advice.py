"""Advice in config terms: what to change in the experiment for what its curves show.

:func:`dlworkflow.train.diagnose` reads a history alone; the advice needs the config
(current epochs, widths, whether early stopping is on), so it is composed here, above
the steps.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow.config import ExperimentConfig
from dlworkflow.data import Dataset
from dlworkflow.data.masks import MaskDataset
from dlworkflow.figures import save_figure
from dlworkflow.models import zoo
from dlworkflow.train import TrainResult
from dlworkflow.train.diagnosis import diagnose
from dlworkflow.train.lr_finder import lr_finder_figure
from dlworkflow.train.schedules import schedule_figure


def diagnose_run(
    history: dict[str, list[float]],
    baseline_error: float | None = None,
    chance_error: float | None = None,
    config: ExperimentConfig | None = None,
) -> dict[str, Any]:
    """:func:`~dlworkflow.train.diagnose`, plus ``advice``: concrete config changes."""
    facts = diagnose(history, baseline_error, chance_error)
    facts["advice"] = _advice(facts, history, config)
    return facts


def run_diagnostics(
    config: ExperimentConfig,
    dataset: Dataset | MaskDataset,
    result: TrainResult,
    learnability: dict | None,
    figures: Path,
) -> dict:
    """Steps 5–8 for the report: learnability, the LR chosen, curve diagnosis and advice."""
    chance_error = None
    if dataset.task == "multilabel":  # accuracy per cell: each label's minority share
        share = dataset.train.y.mean(axis=0)
        chance_error = float(np.minimum(share, 1 - share).mean())
    elif dataset.task != "regression":  # classes, or pixels' classes for masks
        counts = np.bincount(dataset.train.y.reshape(-1), minlength=dataset.num_classes)
        chance_error = 1 - counts.max() / counts.sum()
    if result.lr_finder is not None:
        save_figure(lr_finder_figure(result.lr_finder), figures / "lr_finder.svg")
    if config.train.schedule.kind != "constant":
        figure = schedule_figure(config.train.schedule, config.train.epochs, result.base_lr)
        save_figure(figure, figures / "schedule.svg")
    return {
        "learnability": learnability,
        "base_lr": result.base_lr,
        "lr_finder": result.lr_finder.to_dict() if result.lr_finder else None,
        "diagnosis": diagnose_run(result.history, chance_error=chance_error, config=config),
    }


def _advice(
    facts: dict[str, Any], history: dict[str, list[float]], config: ExperimentConfig | None
) -> list[dict[str, str]]:
    """Concrete config changes for what the curves show, most effective first."""
    lr = history.get("lr", [None])[-1] or (config.compile.optimizer.lr if config else None)
    if facts["diverged"]:
        return _divergence_advice(facts["diverged"], lr)
    regime = facts["regime"] or ""
    stopping = not (config and config.train.early_stopping)
    advice: list[dict[str, str]] = []
    if facts["overfitting"] and stopping:
        advice.append(
            _early_stopping(
                f"the validation loss is lowest near epoch {facts['overfit_epoch']} and rises "
                "after it; stopping there saves the epochs that only memorise"
            )
        )
    if "variance" in regime:
        advice.extend(_variance_advice(config))
    if facts["still_improving"]:
        epochs = config.train.epochs if config else facts["epochs"]
        advice.append(
            {
                "change": f"train.epochs: {2 * epochs}",
                "why": "the loss was still falling at the last epoch",
            }
        )
    if "bias" in regime:
        advice.extend(_bias_advice(config, lr))
    levelled = facts["plateau_epoch"]["validation"]
    if levelled and not facts["overfitting"] and stopping:
        advice.append(
            _early_stopping(
                f"the validation loss stopped improving at epoch {levelled}; stopping there "
                "saves the remaining epochs"
            )
        )
    return advice


def _early_stopping(why: str) -> dict[str, str]:
    return {"change": "train.early_stopping: {monitor: val_loss, patience: 5}", "why": why}


def _divergence_advice(diverged: dict[str, Any], lr: float | None) -> list[dict[str, str]]:
    """A smaller step, scaled inputs, clipped gradients."""
    advice = []
    if lr:
        advice.append(
            {
                "change": f"compile.optimizer.lr: {lr / 10:g}",
                "why": f"{diverged['reason']} at epoch {diverged['epoch']}; a tenth of the "
                "rate usually keeps it stable (or train.lr: auto)",
            }
        )
    advice.append(
        {
            "change": "data.scale: unit",
            "why": "unscaled inputs (raw 0–255 pixels) make gradients explode",
        }
    )
    advice.append(
        {
            "change": "compile.optimizer.clipnorm: 1.0",
            "why": "clipping the gradient norm caps the size of any single step",
        }
    )
    return advice


def _variance_advice(config: ExperimentConfig | None) -> list[dict[str, str]]:
    """The course's step 7: more data, augmentation, dropout, L1/L2, batch norm."""
    advice = []
    if config and config.data.limit:
        advice.append(
            {
                "change": "data.limit: null",
                "why": f"only {config.data.limit} samples were used; more data is the surest cure",
            }
        )
    else:
        advice.append({"change": "more training data", "why": "the surest cure for variance"})
    if config is None or config.data.augment is None:
        advice.append(
            {
                "change": "data.augment: {horizontal_flip: true, rotation_range: 10, "
                "width_shift_range: 0.1, height_shift_range: 0.1, zoom_range: 0.1} "
                "(image augmentation)",
                "why": "new variants of the same images each epoch, as the course's step 7 "
                "suggests",
            }
        )
    zoo_mlp = config is None or config.model.zoo == "mlp"
    dropout = config.model.options.get("dropout", 0) if config else 0
    advice.append(
        {
            "change": f"model.options.dropout: {max(0.3, dropout + 0.2):.1f}"
            if zoo_mlp
            else "a Dropout layer (model.layers: - Dropout: {rate: 0.3}) before the output",
            "why": "dropout stops units from relying on each other to memorise the data",
        }
    )
    advice.append(
        {
            "change": "kernel_regularizer: l2 on Dense/Conv2D layers (model.layers)",
            "why": "an L2 penalty keeps weights small, so the fit is smoother",
        }
    )
    advice.append(
        {
            "change": "BatchNormalization layers after the convolutions (model.layers)",
            "why": "batch norm regularises a little and steadies training",
        }
    )
    return advice


def _bias_advice(config: ExperimentConfig | None, lr: float | None) -> list[dict[str, str]]:
    """Fit the training data better: bigger, faster, less regularised."""
    advice = []
    if config and config.model.zoo == "mlp":
        default = inspect.signature(zoo.mlp).parameters["hidden"].default
        bigger = [2 * int(units) for units in config.model.options.get("hidden", default)]
        change = f"model.options.hidden: {bigger + bigger[-1:]}"
    else:
        change = "a bigger model: more layers or filters (model.layers, or a larger model.zoo)"
    advice.append({"change": change, "why": "the model cannot fit even the training data"})
    if lr:
        advice.append(
            {
                "change": f"compile.optimizer.lr: {3 * lr:g}",
                "why": "a higher rate gets further in the same epochs (or find one: "
                "train.lr: auto)",
            }
        )
    if config and config.model.options.get("dropout"):
        advice.append(
            {
                "change": "model.options.dropout: 0",
                "why": "regularisation fights variance, and this model has bias",
            }
        )
    return advice
