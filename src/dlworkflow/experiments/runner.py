"""One ordinary experiment: the workflow's steps composed into a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from dlworkflow import runfolder
from dlworkflow.atomic import write_json, write_npz, write_with
from dlworkflow.config import ExperimentConfig, load_config, read_config_mapping
from dlworkflow.data.augment_layers import AUGMENT_PREVIEW, augment_preview
from dlworkflow.data.stream import model_input
from dlworkflow.data.survey import survey_figures
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.evaluation import evaluate_predictions, save_training_curves
from dlworkflow.evaluate.scores import scores_from_predictions
from dlworkflow.experiments.advice import run_diagnostics
from dlworkflow.experiments.detection_config import is_detection, load_detection_config
from dlworkflow.experiments.folder import (
    Run,
    close_run_folder,
    open_run_folder,
    saved_learnability,
)
from dlworkflow.experiments.multilabel import label_thresholds
from dlworkflow.experiments.preparation import (
    Prepared,
    evaluation_split,
    predict_with,
    prepare,
    scores_in_data_units,
)
from dlworkflow.experiments.timing import StepClock
from dlworkflow.experiments.tracking import Tracker, TrackingOptions
from dlworkflow.interpret.section import interpret_run
from dlworkflow.models.picture import save_drawings
from dlworkflow.train import fit
from dlworkflow.train.distribute import distribution_scope, replica_devices
from dlworkflow.train.learnability import check_learnability


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
        mapping, name = read_config_mapping(config)
        if is_detection(mapping):
            from dlworkflow.experiments.detection import run_detection

            detection = load_detection_config(mapping, name)
            console = console or Console(stderr=True, emoji=False)
            return run_detection(detection, Path(runs_dir), console, origin)
    config = load_config(config)
    runfolder.check_runs_dir(Path(runs_dir))
    console = console or Console(stderr=True, emoji=False)
    tracking = tracking or TrackingOptions()
    tracking.check()
    if config.transfer is not None:  # a pretrained backbone: features or fine-tuning
        from dlworkflow.experiments.transfer_run import run_transfer

        return run_transfer(config, Path(runs_dir), console, origin)
    if config.task == "segmentation":  # per-pixel classes: images with masks
        from dlworkflow.experiments.segmentation import run_segmentation

        return run_segmentation(config, Path(runs_dir), console, origin, tracking)
    if config.task in ("forecast", "text"):  # their own data, models and evaluation
        from dlworkflow.experiments.sequence import run_sequence

        return run_sequence(config, Path(runs_dir), console, origin, tracking)
    clock = StepClock()
    with distribution_scope(config.train.distribute, config.train.batch_size, console):
        try:
            prepared = prepare(config)
        except BadInput as error:
            raise BadInput(f"{origin}{error}") from None  # name the config file, too
        clock.lap("prepare")
        with open_run_folder(
            config,
            prepared.dataset,
            Path(runs_dir),
            console,
            survey=_survey_with_augmentation(prepared),
            model=prepared.model,
        ) as (folder, resuming):
            clock.lap("folder and survey")
            return _train_and_evaluate(prepared, folder, resuming, console, tracking, clock)


def _survey_with_augmentation(prepared: Prepared):
    """The data survey, plus the augmentation preview when ``data.augment`` is on (None:
    the plain survey, which a sibling run of the same data may already have drawn)."""
    dataset, spec = prepared.dataset, prepared.config.data.augment
    if spec is None:
        return None

    def survey(figures: Path) -> None:
        survey_figures(dataset, figures)
        if spec is not None:
            augment_preview(dataset, spec, figures / AUGMENT_PREVIEW, prepared.config.seed)

    return survey


def _train_and_evaluate(
    prepared: Prepared,
    folder: Path,
    resuming: bool,
    console: Console,
    tracking: TrackingOptions,
    clock: StepClock,
) -> Run:
    """Steps 5–10 into the open run folder: learnability, fit, diagnosis, evaluation."""
    config, dataset = prepared.config, prepared.dataset
    arrays = prepared.arrays
    train = arrays(dataset.train)
    validation = arrays(dataset.val) if dataset.val is not None else None
    learnability = saved_learnability(folder) if resuming else None
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
    clock.lap("learnability")
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
        augment=prepared.augment,
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
    x_eval, y_eval = arrays(split)
    batch = config.train.batch_size
    y_prob = model.predict(model_input(x_eval, batch), batch_size=batch, verbose=0)
    # one pass: scores from y_prob; several replicas scale the compiled loss, so evaluate
    replicated = len(replica_devices(config.train.distribute)) > 1
    one_pass = None if replicated else scores_from_predictions(model, y_eval, y_prob)
    scores = one_pass or model.evaluate(
        x_eval, y_eval, batch_size=config.train.batch_size, verbose=0, return_dict=True
    )
    scores = scores_in_data_units(scores, dataset)
    if dataset.task == "regression":
        y_prob = dataset.preprocessing.decode_target(y_prob)
    write_npz(folder / runfolder.PREDICTIONS, y_true=split.y, y_prob=y_prob)
    clock.lap("test predictions and scores")
    thresholds = label_thresholds(config, dataset, model, arrays)  # multilabel only
    evaluation = evaluate_predictions(
        dataset, split, y_prob, figures, predict_with(model), thresholds
    )
    save_training_curves(result.history, result.best_epoch, figures)
    clock.lap("evaluation figures")
    interpretation = interpret_run(model, dataset, split, y_prob, figures)
    write_json(folder / runfolder.INTERPRETATION, interpretation)
    clock.lap("interpretation")
    metrics = {
        "split": split_name,
        **{name: float(value) for name, value in scores.items()},
        "evaluation": evaluation,
        **result.facts(),
        "kept": config.train.keep,  # the weights tested: best checkpoint or last epoch
        "compiled": {"loss": prepared.plan.loss, "metrics": prepared.plan.metrics},
        "step_seconds": clock.seconds,  # the table, metrics and report come after
    }
    close_run_folder(folder, model, metrics)
    tracker.finish(metrics)
    return Run(folder, config, dataset, model, result.history, metrics)
