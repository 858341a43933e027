"""One experiment: the workflow steps composed into a run folder.

Everything that can be wrong with the input (config, data, model, components) is
checked in :func:`prepare`, before the run folder exists, so bad input never leaves
a half-written folder behind.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from rich.console import Console

from dlworkflow.atomic import write_json, write_npz, write_text, write_with
from dlworkflow.config import ExperimentConfig, load_config, read_config_mapping
from dlworkflow.data import Dataset, Split, encode_labels, load_dataset
from dlworkflow.data.survey import survey_figures
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.evaluation import evaluate_predictions, save_training_curves
from dlworkflow.experiments.environment import describe_environment
from dlworkflow.experiments.folders import COMPLETE_MARKER, choose_folder
from dlworkflow.experiments.tracking import Tracker, TrackingOptions
from dlworkflow.figures import save_figure
from dlworkflow.interpret.section import interpret_run
from dlworkflow.models import (
    build_from_layers,
    build_zoo,
    head_for,
    output_activation,
    output_units,
)
from dlworkflow.models.picture import save_drawings
from dlworkflow.report import build_report
from dlworkflow.train import CompilePlan, TrainResult, fit, plan_compile
from dlworkflow.train.diagnosis import diagnose
from dlworkflow.train.learnability import check_learnability
from dlworkflow.train.lr_finder import lr_finder_figure
from dlworkflow.train.schedules import check_schedule, schedule_figure


@dataclass
class Prepared:
    config: ExperimentConfig
    dataset: Dataset
    model: keras.Model
    plan: CompilePlan

    def arrays(self, split: Split) -> tuple[np.ndarray, np.ndarray]:
        """Model inputs and targets of a split, encoded as the compiled loss expects."""
        dataset = self.dataset
        x = dataset.preprocessing.apply(split.x)
        if dataset.task == "regression":
            return x, split.y
        return x, encode_labels(split.y, dataset.num_classes, self.plan.one_hot)


@dataclass
class Run:
    """A finished run: its folder and everything in it, already loaded."""

    folder: Path
    config: ExperimentConfig
    dataset: Dataset
    model: keras.Model
    history: dict[str, list[float]]
    metrics: dict[str, Any]


def prepare(config: ExperimentConfig) -> Prepared:
    """Load data, build and compile the model, and check they fit. Writes nothing."""
    dataset = load_dataset(config.data, seed=config.seed)
    flatten = _wants_flat_input(config, dataset)
    if flatten:
        dataset.preprocessing = dataset.preprocessing.with_flatten(True)
    input_shape = (int(np.prod(dataset.input_shape)),) if flatten else dataset.input_shape
    keras.utils.set_random_seed(config.seed)
    if config.model.zoo is not None:
        head = head_for(dataset.task, dataset.num_classes)
        model = build_zoo(config.model.zoo, input_shape, head, config.model.options)
    else:
        model = build_from_layers(config.model.layers or [], input_shape, config.name)
    return Prepared(config, dataset, model, compile_for(config, dataset, model))


def compile_for(config: ExperimentConfig, dataset: Dataset, model: keras.Model) -> CompilePlan:
    """Check the model's output, loss, monitors and schedule against the data; compile."""
    plan = plan_compile(
        config.compile,
        dataset.task,
        dataset.num_classes,
        output_units(model),
        output_activation(model),
    )
    check_monitors(config, plan, has_validation=dataset.val is not None)
    if config.train.lr != "auto":
        check_schedule(config.train.schedule, config.train.lr or config.compile.optimizer.lr)
    plan.compile(model, config.compile)
    return plan


def run(
    config: str | Path | dict[str, Any] | ExperimentConfig | None = None,
    runs_dir: str | Path = "runs",
    console: Console | None = None,
    tracking: TrackingOptions | None = None,
) -> Run:
    """Run the experiment into ``runs_dir/<name>/`` (resuming it if it was cut off).

    ``tracking`` mirrors the run into MLflow and/or TensorBoard as it trains.
    """
    origin = f"{config}: " if isinstance(config, (str, Path)) else ""
    if not isinstance(config, ExperimentConfig):  # task: detection has its own config
        from dlworkflow.experiments.detection_config import is_detection, load_detection_config

        mapping, name = read_config_mapping(config)
        if is_detection(mapping):
            from dlworkflow.experiments.detection import run_detection

            detection = load_detection_config(mapping, name)
            return run_detection(detection, Path(runs_dir), console or Console(stderr=True), origin)
    config = load_config(config)
    console = console or Console(stderr=True)
    tracking = tracking or TrackingOptions()
    tracking.check()
    if config.transfer is not None:  # a pretrained backbone: features or fine-tuning
        from dlworkflow.transfer.experiment import run_transfer

        return run_transfer(config, Path(runs_dir), console, origin)
    try:
        prepared = prepare(config)
    except BadInput as error:
        raise BadInput(f"{origin}{error}") from None  # name the config file, too
    dataset = prepared.dataset
    config_yaml = config.to_yaml()
    folder, resuming = choose_folder(Path(runs_dir), config.name, config_yaml)
    console.print(f"{'resuming' if resuming else 'run'} [bold]{folder}[/bold]")
    if not resuming:
        folder.mkdir(parents=True)
        write_text(folder / "config.yaml", config_yaml)
        write_json(folder / "environment.json", describe_environment(config.seed))
        write_json(folder / "data.json", dataset.describe())
        survey_figures(dataset, folder / "figures")

    arrays = prepared.arrays
    train = arrays(dataset.train)
    validation = arrays(dataset.val) if dataset.val is not None else None
    learnability = _saved_learnability(folder) if resuming else None
    if config.train.learnability and not resuming:
        batch = min(64, len(train[0]))  # tiny tables (the course's CSVs) have fewer rows
        learnability = check_learnability(prepared.model, *train, batch, seed=config.seed)
        write_json(folder / "diagnostics.json", {"learnability": learnability})
        colour = "green" if learnability["passed"] else "yellow"
        console.print(
            f"[{colour}]can it learn?[/{colour}] {learnability['verdict']}",
            soft_wrap=True,
            highlight=False,
        )
    tracker = Tracker(tracking, folder, config)
    result = fit(
        prepared.model,
        train,
        validation,
        config.train,
        folder,
        config.seed,
        console,
        tracker.callbacks(),
    )
    figures = folder / "figures"
    diagnostics = _diagnostics(config, dataset, result, learnability, figures)
    write_json(folder / "diagnostics.json", diagnostics)
    model = result.model
    write_with(folder / "model.keras", model.save)
    _, graph_warning = save_drawings(model, folder / "figures")
    if graph_warning:
        console.print(f"[yellow]warning:[/yellow] {graph_warning}", soft_wrap=True)

    split_name, split = evaluation_split(dataset)
    x_eval, y_eval = arrays(split)
    scores = model.evaluate(
        x_eval, y_eval, batch_size=config.train.batch_size, verbose=0, return_dict=True
    )
    y_prob = model.predict(x_eval, batch_size=config.train.batch_size, verbose=0)
    write_npz(folder / "predictions.npz", y_true=split.y, y_prob=y_prob)
    evaluation = evaluate_predictions(dataset, split, y_prob, figures, predict_with(model))
    save_training_curves(result.history, result.best_epoch, figures)
    interpretation = interpret_run(model, dataset, split, y_prob, figures)
    write_json(folder / "interpretation.json", interpretation)
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
    }
    shutil.rmtree(folder / "checkpoints", ignore_errors=True)
    write_json(folder / COMPLETE_MARKER, metrics)
    build_report(folder)
    tracker.finish(metrics)
    return Run(folder, config, dataset, model, result.history, metrics)


def _saved_learnability(folder: Path) -> dict | None:
    """A resumed run keeps the learnability check its first start made."""
    path = folder / "diagnostics.json"
    return json.loads(path.read_text()).get("learnability") if path.is_file() else None


def _diagnostics(
    config: ExperimentConfig,
    dataset: Dataset,
    result: TrainResult,
    learnability: dict | None,
    figures: Path,
) -> dict:
    """Steps 5–8 for the report: learnability, the LR chosen, curve diagnosis and advice."""
    chance_error = None
    if dataset.task != "regression":
        counts = np.bincount(dataset.train.y, minlength=dataset.num_classes)
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
        "diagnosis": diagnose(result.history, chance_error=chance_error, config=config),
    }


def predict_with(model: keras.Model):
    """A batch-friendly predict for figures that query many points (decision boundaries)."""
    return lambda x: model.predict(x, batch_size=8192, verbose=0)


def _wants_flat_input(config: ExperimentConfig, dataset: Dataset) -> bool:
    """``flatten: auto`` flattens images for a layer list that starts with Dense."""
    if isinstance(config.data.flatten, bool):
        return config.data.flatten
    if config.model.layers and len(dataset.input_shape) > 1:
        first = config.model.layers[0]
        name = first if isinstance(first, str) else next(iter(first), None)
        return name == "Dense"
    return False


def check_monitors(config: ExperimentConfig, plan: CompilePlan, has_validation: bool) -> None:
    available = ["loss", *plan.metrics]
    train = config.train
    for key, spec in (
        ("checkpoint", train.checkpoint),
        ("early_stopping", train.early_stopping),
        ("reduce_lr", train.reduce_lr),
    ):
        if spec is None:
            continue
        monitor = spec.monitor
        if monitor.removeprefix("val_") not in available:
            choices = (
                available + [f"val_{name}" for name in available] if has_validation else available
            )
            raise BadInput(
                f"train.{key}.monitor: '{monitor}' is not logged; use one of {', '.join(choices)}"
            )
        if monitor.startswith("val_") and not has_validation:
            raise BadInput(
                f"train.{key}.monitor: '{monitor}' needs a validation split, and data.split.val "
                f"is 0; set it above 0 or monitor '{monitor.removeprefix('val_')}'"
            )


def evaluation_split(dataset: Dataset):
    for name in ("test", "val", "train"):
        split = getattr(dataset, name)
        if split is not None:
            return name, split
    raise AssertionError("a dataset always has a training split")
