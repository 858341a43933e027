"""A sequence run (``task: forecast`` or ``task: text``) into an ordinary run folder.

The shape is the image/table run's — prepare and check everything before the folder
exists, then learnability, fit, diagnosis, evaluation, report — with the task's own data,
models and evaluation. Besides what every run writes, ``sequence.json`` records what
prediction replays (the series' columns, windows and scaler; the text vocabulary) and
the task's evaluation (baselines; most-confused texts and word neighbours).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
from rich.console import Console

from dlworkflow.atomic import write_json, write_npz, write_text, write_with
from dlworkflow.config import ExperimentConfig
from dlworkflow.data import Dataset, Split, encode_labels
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.evaluation import save_training_curves
from dlworkflow.experiments.environment import describe_environment
from dlworkflow.experiments.folders import COMPLETE_MARKER, choose_folder
from dlworkflow.experiments.run import (
    Run,
    _diagnostics,
    _saved_learnability,
    check_monitors,
    evaluation_split,
)
from dlworkflow.experiments.tracking import Tracker, TrackingOptions
from dlworkflow.models import build_from_layers, output_activation, output_units
from dlworkflow.models.picture import save_drawings
from dlworkflow.report import build_report
from dlworkflow.train import CompilePlan, fit, plan_compile
from dlworkflow.train.learnability import check_learnability
from dlworkflow.train.schedules import check_schedule

RECORD = "sequence.json"

# (model, split name, model outputs on it, figures folder) → the evaluation for metrics.json
Evaluate = Callable[[keras.Model, str, np.ndarray, Path], dict]


@dataclass
class SequencePlan:
    """A checked sequence experiment: data as a Dataset (model-ready arrays), the
    compiled model, what survey figures to draw, and the task's evaluation."""

    config: ExperimentConfig
    dataset: Dataset
    model: keras.Model
    plan: CompilePlan
    record: dict  # sequence.json: what prediction replays; the evaluation is added
    survey: Callable[[Path], None]
    evaluate: Evaluate
    extra: dict = field(default_factory=dict)

    def arrays(self, split: Split) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and targets encoded as the compiled loss expects."""
        if self.dataset.task == "regression":
            return split.x, split.y
        return split.x, encode_labels(split.y, self.dataset.num_classes, self.plan.one_hot)


def prepare_sequence(config: ExperimentConfig) -> SequencePlan:
    """Load and check the data, build and compile the model. Writes nothing."""
    if config.task == "forecast":
        from dlworkflow.experiments.forecast import prepare_forecast

        return prepare_forecast(config)
    from dlworkflow.experiments.text import prepare_text

    return prepare_text(config)


def build_and_compile(
    config: ExperimentConfig,
    dataset: Dataset,
    zoo: Callable[[], keras.Model],
    units: int,
    num_classes: int,
) -> tuple[keras.Model, CompilePlan]:
    """The zoo model (or the config's layer list) with ``units`` outputs, compiled.

    A forecast has one linear unit per step and target: the loss check is the
    regression one, for each unit.
    """
    keras.utils.set_random_seed(config.seed)
    if config.model.zoo is not None:
        model = zoo()
    else:
        model = build_from_layers(config.model.layers or [], dataset.input_shape, config.name)
    found = output_units(model)
    if found != units:
        raise BadInput(f"model: the last layer has {found} units; this task needs {units}")
    regression = dataset.task == "regression"
    plan = plan_compile(
        config.compile,
        dataset.task,
        num_classes,
        1 if regression else units,
        output_activation(model),
    )
    check_monitors(config, plan, has_validation=dataset.val is not None)
    if config.train.lr != "auto":
        check_schedule(config.train.schedule, config.train.lr or config.compile.optimizer.lr)
    plan.compile(model, config.compile)
    return model, plan


def run_sequence(
    config: ExperimentConfig,
    runs_dir: Path,
    console: Console,
    origin: str = "",
    tracking: TrackingOptions | None = None,
) -> Run:
    """Run a ``task: forecast`` or ``task: text`` config into ``runs_dir/<name>/``
    (resuming it if it was cut off); ``tracking`` mirrors it as a plain run does."""
    try:
        plan = prepare_sequence(config)
    except BadInput as error:
        raise BadInput(f"{origin}{error}") from None
    dataset = plan.dataset
    config_yaml = config.to_yaml()
    folder, resuming = choose_folder(runs_dir, config.name, config_yaml)
    console.print(f"{'resuming' if resuming else 'run'} [bold]{folder}[/bold]")
    figures = folder / "figures"
    if not resuming:
        folder.mkdir(parents=True)
        write_text(folder / "config.yaml", config_yaml)
        write_json(folder / "environment.json", describe_environment(config.seed))
        write_json(folder / "data.json", dataset.describe())
        plan.survey(figures)
    train = plan.arrays(dataset.train)
    validation = plan.arrays(dataset.val) if dataset.val is not None else None
    learnability = _saved_learnability(folder) if resuming else None
    if config.train.learnability and not resuming:
        batch = min(64, len(train[0]))
        learnability = check_learnability(plan.model, *train, batch, seed=config.seed)
        write_json(folder / "diagnostics.json", {"learnability": learnability})
        console.print(f"can it learn? {learnability['verdict']}", soft_wrap=True, highlight=False)
    tracker = Tracker(tracking or TrackingOptions(), folder, config)
    result = fit(
        plan.model,
        train,
        validation,
        config.train,
        folder,
        config.seed,
        console,
        tracker.callbacks(),
    )
    write_json(
        folder / "diagnostics.json", _diagnostics(config, dataset, result, learnability, figures)
    )
    model = result.model
    write_with(folder / "model.keras", model.save)
    _, graph_warning = save_drawings(model, figures)
    if graph_warning:
        console.print(f"[yellow]warning:[/yellow] {graph_warning}", soft_wrap=True)
    split_name, split = evaluation_split(dataset)
    batch = config.train.batch_size
    scores = model.evaluate(*plan.arrays(split), batch_size=batch, verbose=0, return_dict=True)
    y_prob = model.predict(split.x, batch_size=batch, verbose=0)
    write_npz(folder / "predictions.npz", y_true=split.y, y_prob=y_prob)
    evaluation = plan.evaluate(model, split_name, y_prob, figures)
    save_training_curves(result.history, result.best_epoch, figures)
    write_json(folder / RECORD, plan.record)
    metrics = {
        "split": split_name,
        **{name: float(value) for name, value in scores.items()},
        "evaluation": evaluation,
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history.get("loss", [])),
        "stopped_early": result.stopped_early,
        "resumed_from_epoch": result.resumed_from_epoch,
        "train_seconds": round(result.seconds, 3),
        "params": int(model.count_params()),
        **plan.extra,
    }
    shutil.rmtree(folder / "checkpoints", ignore_errors=True)
    write_json(folder / COMPLETE_MARKER, metrics)
    build_report(folder)
    tracker.finish(metrics)
    return Run(folder, config, dataset, model, result.history, metrics)
