"""One ordinary experiment: the workflow's steps composed into a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
from rich.console import Console

from dlworkflow import runfolder
from dlworkflow.config import ExperimentConfig, load_config, read_config_mapping
from dlworkflow.data import Split
from dlworkflow.data.augment_layers import AUGMENT_PREVIEW, augment_preview
from dlworkflow.data.survey import survey_figures
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.evaluation import evaluate_predictions
from dlworkflow.experiments.detection_config import is_detection, load_detection_config
from dlworkflow.experiments.folder import Run, open_run_folder
from dlworkflow.experiments.multilabel import label_thresholds
from dlworkflow.experiments.preparation import (
    Prepared,
    predict_with,
    prepare,
    scores_in_data_units,
)
from dlworkflow.experiments.timing import StepClock
from dlworkflow.experiments.tracking import TrackingOptions
from dlworkflow.experiments.workflow_steps import TaskHooks, run_steps
from dlworkflow.train.distribute import distribution_scope


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

    def evaluate(
        model: keras.Model, split_name: str, split: Split, y_prob: np.ndarray, figures: Path
    ) -> dict:
        thresholds = label_thresholds(config, dataset, model, prepared.arrays)  # multilabel only
        return evaluate_predictions(
            dataset, split, y_prob, figures, predict_with(model), thresholds
        )

    def decode(y_prob: np.ndarray) -> np.ndarray:  # a scaled regression target, in its units
        regression = dataset.task == "regression"
        return dataset.preprocessing.decode_target(y_prob) if regression else y_prob

    hooks = TaskHooks(
        evaluate,
        augment=prepared.augment,
        scores=lambda scores: scores_in_data_units(scores, dataset),
        decode=decode,
        extra={
            "kept": config.train.keep,  # the weights tested: best checkpoint or last epoch
            "compiled": {"loss": prepared.plan.loss, "metrics": prepared.plan.metrics},
        },
        interpret=True,
    )
    return run_steps(prepared, hooks, folder, resuming, console, tracking, clock)
