"""Steps 5–10 of a run once its folder is open, the same for every task that has them.

Learnability (or the saved one on resume) → ``fit`` with the tracker's callbacks →
diagnosis → the model and its drawings → one prediction pass on the evaluation split
scored with the model's own loss and metrics → ``predictions.npz`` → the task's
evaluation and the training curves → (interpretation) → ``metrics.json``, the report
and the tracker's close. What differs between the ordinary, sequence (forecast, text)
and segmentation runs comes in as :class:`TaskHooks`: plain data and small callables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import keras
import numpy as np
from rich.console import Console
from rich.markup import escape

from dlworkflow import runfolder
from dlworkflow.atomic import write_json, write_npz, write_with
from dlworkflow.config import ExperimentConfig
from dlworkflow.data import Split
from dlworkflow.data.stream import model_input
from dlworkflow.evaluate.evaluation import save_training_curves
from dlworkflow.evaluate.scores import scores_from_predictions
from dlworkflow.experiments.advice import run_diagnostics
from dlworkflow.experiments.folder import Run, close_run_folder, saved_learnability
from dlworkflow.experiments.timing import StepClock
from dlworkflow.experiments.tracking import Tracker, TrackingOptions
from dlworkflow.interpret.section import interpret_run
from dlworkflow.models.picture import save_drawings
from dlworkflow.train import fit
from dlworkflow.train.distribute import replica_devices
from dlworkflow.train.learnability import check_learnability

Arrays = tuple[np.ndarray, np.ndarray]
# (model, training inputs, training targets, seed) → the learnability record
Learnability = Callable[[keras.Model, np.ndarray, np.ndarray, int], dict]
# (model, split name, split, the decoded predictions, figures folder) → "evaluation"
Evaluate = Callable[[keras.Model, str, Split, np.ndarray, Path], dict]


class Planned(Protocol):
    """A prepared experiment: ``Prepared``, ``SequencePlan`` and ``PreparedSegmentation``."""

    config: ExperimentConfig
    dataset: Any  # a Dataset, or a MaskDataset (the same splits and class names)
    model: keras.Model

    def arrays(self, split: Split) -> Arrays: ...


def one_batch_learnability(model: keras.Model, x: np.ndarray, y: np.ndarray, seed: int) -> dict:
    """The ordinary check: one batch of 64 rows (tiny tables, the course's CSVs, have fewer)."""
    return check_learnability(model, x, y, min(64, len(x)), seed=seed)


def _same(value: Any) -> Any:
    return value


@dataclass
class TaskHooks:
    """What a task does its own way inside :func:`run_steps`."""

    evaluate: Evaluate
    learnability: Learnability = one_batch_learnability
    train: Arrays | None = None  # training arrays made ahead (augmented pairs), else arrays()
    augment: Callable | None = None  # per-batch augmentation inside fit
    scores: Callable[[dict], dict] = _same  # e.g. a scaled target's metrics in its own units
    decode: Callable[[np.ndarray], np.ndarray] = _same  # model outputs → saved predictions
    saved_as: str = "y_prob"  # their key in predictions.npz
    headline: Callable[[dict, dict], dict] | None = None  # (scores, evaluation) → top keys
    records: dict[str, dict] = field(default_factory=dict)  # JSON files after evaluation
    extra: dict = field(default_factory=dict)  # metrics.json's last keys
    interpret: bool = False  # Grad-CAM, saliency, occlusion (image/table classification)


def learnability_step(
    folder: Path, resuming: bool, check: Callable[[], dict] | None, console: Console
) -> dict | None:
    """Step 5: ``check()`` on one batch, saved and its verdict printed (None: switched
    off); a resumed run keeps the record its first start made."""
    if resuming:
        return saved_learnability(folder)
    if check is None:
        return None
    learnability = check()
    write_json(folder / runfolder.DIAGNOSTICS, {"learnability": learnability})
    colour = "green" if learnability["passed"] else "yellow"
    console.print(
        f"[{colour}]can it learn?[/{colour}] {escape(learnability['verdict'])}",
        soft_wrap=True,
        highlight=False,
    )
    return learnability


def model_scores(
    model: keras.Model, x: np.ndarray, y: np.ndarray, outputs: np.ndarray, config: ExperimentConfig
) -> dict[str, float]:
    """The compiled loss and metrics from the predictions already made (one pass); with
    several replicas, or what predictions cannot give, a ``model.evaluate`` pass."""
    replicated = len(replica_devices(config.train.distribute)) > 1  # they scale the loss
    one_pass = None if replicated else scores_from_predictions(model, y, outputs)
    return one_pass or model.evaluate(
        x, y, batch_size=config.train.batch_size, verbose=0, return_dict=True
    )


def run_steps(
    planned: Planned,
    hooks: TaskHooks,
    folder: Path,
    resuming: bool,
    console: Console,
    tracking: TrackingOptions | None,
    clock: StepClock,
) -> Run:
    """Steps 5–10 into the open run folder; ``clock`` laps each (``step_seconds``)."""
    config, dataset = planned.config, planned.dataset
    train = planned.arrays(dataset.train) if hooks.train is None else hooks.train
    validation = planned.arrays(dataset.val) if dataset.val is not None else None
    check = partial(hooks.learnability, planned.model, *train, config.seed)
    learnability = learnability_step(
        folder, resuming, check if config.train.learnability else None, console
    )
    clock.lap("learnability")
    tracker = Tracker(tracking or TrackingOptions(), folder, config)
    result = fit(
        planned.model,
        train,
        validation,
        config.train,
        folder,
        config.seed,
        console,
        tracker.callbacks(),
        augment=hooks.augment,
    )
    clock.lap("fit")
    figures = folder / runfolder.FIGURES
    diagnostics = run_diagnostics(config, dataset, result, learnability, figures)
    write_json(folder / runfolder.DIAGNOSTICS, diagnostics)
    clock.lap("diagnosis")
    model = result.model
    write_with(folder / runfolder.MODEL, model.save)
    _, graph_warning = save_drawings(model, figures)
    if graph_warning:
        console.print(f"[yellow]warning:[/yellow] {escape(graph_warning)}", soft_wrap=True)
    clock.lap("save model and drawings")

    split_name, split = evaluation_split(dataset)
    x_eval, y_eval = planned.arrays(split)
    batch = config.train.batch_size
    outputs = model.predict(model_input(x_eval, batch), batch_size=batch, verbose=0)
    scores = hooks.scores(model_scores(model, x_eval, y_eval, outputs, config))
    predicted = hooks.decode(outputs)
    write_npz(folder / runfolder.PREDICTIONS, y_true=split.y, **{hooks.saved_as: predicted})
    clock.lap("test predictions and scores")
    evaluation = hooks.evaluate(model, split_name, split, predicted, figures)
    save_training_curves(result.history, result.best_epoch, figures)
    for name, record in hooks.records.items():
        write_json(folder / name, record)
    clock.lap("evaluation figures")
    if hooks.interpret:
        interpretation = interpret_run(model, dataset, split, predicted, figures)
        write_json(folder / runfolder.INTERPRETATION, interpretation)
        clock.lap("interpretation")
    metrics = {
        "split": split_name,
        **{name: float(value) for name, value in scores.items()},
        **(hooks.headline(scores, evaluation) if hooks.headline else {}),
        "evaluation": evaluation,
        **result.facts(),
        **hooks.extra,
        "step_seconds": clock.seconds,  # the table, metrics and report come after
    }
    close_run_folder(folder, model, metrics)
    tracker.finish(metrics)
    return Run(folder, config, dataset, model, result.history, metrics)


def evaluation_split(dataset: Any) -> tuple[str, Split]:
    """The split a run is scored on: test, else validation, else training."""
    for name in ("test", "val", "train"):
        split = getattr(dataset, name)
        if split is not None:
            return name, split
    raise AssertionError("a dataset always has a training split")
