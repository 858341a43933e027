"""One ordinary experiment: the workflow's steps composed into a run folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.markup import escape

from dlworkflow import runfolder
from dlworkflow.atomic import write_json, write_npz, write_with
from dlworkflow.config import ExperimentConfig, load_config
from dlworkflow.data import Dataset
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.evaluation import evaluate_predictions, save_training_curves
from dlworkflow.experiments.advice import diagnose_run
from dlworkflow.experiments.folder import Run, close_run_folder, open_run_folder
from dlworkflow.experiments.preparation import Prepared, evaluation_split, predict_with, prepare
from dlworkflow.experiments.tracking import Tracker, TrackingOptions
from dlworkflow.figures import save_figure
from dlworkflow.interpret.section import interpret_run
from dlworkflow.models.picture import save_drawings
from dlworkflow.train import TrainResult, fit
from dlworkflow.train.distribute import distribution_scope
from dlworkflow.train.learnability import check_learnability
from dlworkflow.train.lr_finder import lr_finder_figure
from dlworkflow.train.schedules import schedule_figure


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
    config = load_config(config)
    console = console or Console(stderr=True)
    tracking = tracking or TrackingOptions()
    tracking.check()
    if config.transfer is not None:  # a pretrained backbone: features or fine-tuning
        from dlworkflow.experiments.transfer_run import run_transfer

        return run_transfer(config, Path(runs_dir), console, origin)
    with distribution_scope(config.train.distribute, config.train.batch_size, console):
        try:
            prepared = prepare(config)
        except BadInput as error:
            raise BadInput(f"{origin}{error}") from None  # name the config file, too
        runs = Path(runs_dir)
        with open_run_folder(config, prepared.dataset, runs, console) as (folder, resuming):
            return _train_and_evaluate(prepared, folder, resuming, console, tracking)


def _train_and_evaluate(
    prepared: Prepared, folder: Path, resuming: bool, console: Console, tracking: TrackingOptions
) -> Run:
    """Steps 5–10 into the open run folder: learnability, fit, diagnosis, evaluation."""
    config, dataset = prepared.config, prepared.dataset
    arrays = prepared.arrays
    train = arrays(dataset.train)
    validation = arrays(dataset.val) if dataset.val is not None else None
    learnability = _saved_learnability(folder) if resuming else None
    if config.train.learnability and not resuming:
        batch = min(64, len(train[0]))  # tiny tables (the course's CSVs) have fewer rows
        learnability = check_learnability(prepared.model, *train, batch, seed=config.seed)
        write_json(folder / runfolder.DIAGNOSTICS, {"learnability": learnability})
        colour = "green" if learnability["passed"] else "yellow"
        console.print(
            f"[{colour}]can it learn?[/{colour}] {escape(learnability['verdict'])}",
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
    figures = folder / runfolder.FIGURES
    diagnostics = _diagnostics(config, dataset, result, learnability, figures)
    write_json(folder / runfolder.DIAGNOSTICS, diagnostics)
    model = result.model
    write_with(folder / runfolder.MODEL, model.save)
    _, graph_warning = save_drawings(model, figures)
    if graph_warning:
        console.print(f"[yellow]warning:[/yellow] {escape(graph_warning)}", soft_wrap=True)

    split_name, split = evaluation_split(dataset)
    x_eval, y_eval = arrays(split)
    scores = model.evaluate(
        x_eval, y_eval, batch_size=config.train.batch_size, verbose=0, return_dict=True
    )
    y_prob = model.predict(x_eval, batch_size=config.train.batch_size, verbose=0)
    write_npz(folder / runfolder.PREDICTIONS, y_true=split.y, y_prob=y_prob)
    evaluation = evaluate_predictions(dataset, split, y_prob, figures, predict_with(model))
    save_training_curves(result.history, result.best_epoch, figures)
    interpretation = interpret_run(model, dataset, split, y_prob, figures)
    write_json(folder / runfolder.INTERPRETATION, interpretation)
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
    shutil.rmtree(folder / runfolder.CHECKPOINTS, ignore_errors=True)
    close_run_folder(folder, model, metrics)
    tracker.finish(metrics)
    return Run(folder, config, dataset, model, result.history, metrics)


def _saved_learnability(folder: Path) -> dict | None:
    """A resumed run keeps the learnability check its first start made."""
    path = folder / runfolder.DIAGNOSTICS
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
        "diagnosis": diagnose_run(result.history, chance_error=chance_error, config=config),
    }


