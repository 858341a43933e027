"""A segmentation experiment (``task: segmentation``), run into an ordinary run folder.

:func:`prepare_segmentation` loads and checks every image/mask pair, builds and
compiles the U-Net and checks the monitors and schedule, all before the folder
exists. :func:`run_segmentation` then surveys the masks, checks learnability on one
batch, trains (resumable, as every run), and scores the held-out masks: per-class
IoU and Dice, pixel accuracy, the pixel confusion matrix, the worst images.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from rich.console import Console
from rich.markup import escape

from dlworkflow import runfolder
from dlworkflow.atomic import write_json, write_npz, write_with
from dlworkflow.config import ExperimentConfig
from dlworkflow.data.augment import augment_pairs
from dlworkflow.data.dataset import Split
from dlworkflow.data.mask_survey import mask_survey_figures, pixel_frequencies
from dlworkflow.data.masks import MaskDataset, load_mask_dataset
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.evaluation import save_training_curves
from dlworkflow.evaluate.segmentation import evaluate_masks, masks_from_scores
from dlworkflow.evaluate.segmentation_figures import save_segmentation_figures
from dlworkflow.experiments.advice import diagnose_run
from dlworkflow.experiments.folder import (
    Run,
    close_run_folder,
    open_run_folder,
    saved_learnability,
)
from dlworkflow.experiments.tracking import Tracker, TrackingOptions
from dlworkflow.models import build_zoo
from dlworkflow.models.picture import save_drawings
from dlworkflow.models.unet import SEGMENTATION_ZOO, segmentation_head
from dlworkflow.train import CompilePlan, fit
from dlworkflow.train.components import check_monitors, make_optimizer
from dlworkflow.train.mask_learnability import check_mask_learnability
from dlworkflow.train.schedules import check_schedule
from dlworkflow.train.segmentation_losses import LOSSES, SegmentationLoss, segmentation_metrics

METRICS = ["pixel_accuracy", "mean_iou"]


@dataclass
class PreparedSegmentation:
    config: ExperimentConfig
    dataset: MaskDataset
    model: keras.Model

    @property
    def sigmoid(self) -> bool:
        return int(self.model.outputs[0].shape[-1]) == 1

    def arrays(self, split: Split) -> tuple[np.ndarray, np.ndarray]:
        """Pixels in [0, 1]; masks as class ids (with a channel axis for one sigmoid)."""
        masks = split.y[..., np.newaxis] if self.sigmoid else split.y
        return MaskDataset.inputs(split), masks


def prepare_segmentation(config: ExperimentConfig) -> PreparedSegmentation:
    """Data, model, loss, monitors and schedule, all checked. Writes nothing."""
    if config.model.zoo not in SEGMENTATION_ZOO:
        raise BadInput(
            f"model.zoo: task segmentation needs a per-pixel model: "
            f"{' or '.join(SEGMENTATION_ZOO)} (got {config.model.zoo or 'a layer list'})"
        )
    if config.compile.metrics is not None:
        raise BadInput(
            f"compile.metrics: segmentation always logs {', '.join(METRICS)}; remove the key"
        )
    if config.data.scale not in ("auto", "unit") or config.data.flatten is True:
        raise BadInput(
            "data.scale: segmentation scales pixels to [0, 1] (unit) and never flattens; "
            "leave data.scale and data.flatten at auto"
        )
    loss = "pixel_ce" if config.compile.loss == "auto" else config.compile.loss
    if loss not in LOSSES:
        raise BadInput(
            f"compile.loss: '{loss}' is not a segmentation loss; use {', '.join(LOSSES)} or auto"
        )
    dataset = load_mask_dataset(config.data, seed=config.seed)
    keras.utils.set_random_seed(config.seed)
    head = segmentation_head(dataset.num_classes)
    model = build_zoo(config.model.zoo, dataset.input_shape, head, config.model.options)
    check_monitors(config.train, CompilePlan(loss, False, METRICS), dataset.val is not None)
    if config.train.lr != "auto":
        check_schedule(config.train.schedule, config.train.lr or config.compile.optimizer.lr)
    model.compile(
        optimizer=make_optimizer(config.compile),
        loss=SegmentationLoss(loss),
        metrics=segmentation_metrics(dataset.num_classes, head.units == 1),
    )
    return PreparedSegmentation(config, dataset, model)


def run_segmentation(
    config: ExperimentConfig,
    runs_dir: Path,
    console: Console,
    origin: str = "",
    tracking: TrackingOptions | None = None,
) -> Run:
    """Run a ``task: segmentation`` config into ``runs_dir/<name>/`` (``tracking``
    mirrors it into MLflow and/or TensorBoard, as for any run)."""
    try:
        prepared = prepare_segmentation(config)
    except BadInput as error:
        raise BadInput(f"{origin}{error}") from None
    dataset = prepared.dataset
    described = {**dataset.describe(), "pixel_frequencies": pixel_frequencies(dataset)}
    with open_run_folder(
        config,
        dataset,
        runs_dir,
        console,
        described,
        survey=lambda figures: mask_survey_figures(dataset, figures),
    ) as (folder, resuming):
        return _train_and_score(prepared, folder, resuming, console, tracking)


def _train_and_score(
    prepared: PreparedSegmentation,
    folder: Path,
    resuming: bool,
    console: Console,
    tracking: TrackingOptions | None,
) -> Run:
    config, dataset = prepared.config, prepared.dataset
    figures = folder / runfolder.FIGURES
    x_train, y_train = prepared.arrays(dataset.train)
    augment = config.data.augment
    if augment is not None:
        images, masks = augment_pairs(dataset.train.x, dataset.train.y, augment, config.seed)
        x_train, y_train = prepared.arrays(Split(images, masks))
    validation = prepared.arrays(dataset.val) if dataset.val is not None else None
    learnability = saved_learnability(folder) if resuming else None
    if config.train.learnability and not resuming:
        learnability = check_mask_learnability(
            prepared.model, x_train, y_train, dataset.num_classes, seed=config.seed
        )
        write_json(folder / runfolder.DIAGNOSTICS, {"learnability": learnability})
        colour = "green" if learnability["passed"] else "yellow"
        console.print(f"[{colour}]can it learn?[/{colour}] {escape(learnability['verdict'])}")
    tracker = Tracker(tracking or TrackingOptions(), folder, config)
    result = fit(
        prepared.model,
        (x_train, y_train),
        validation,
        config.train,
        folder,
        config.seed,
        console,
        tracker.callbacks(),
    )
    counts = np.bincount(dataset.train.y.reshape(-1), minlength=dataset.num_classes)
    diagnostics = {
        "learnability": learnability,
        "base_lr": result.base_lr,
        "lr_finder": result.lr_finder.to_dict() if result.lr_finder else None,
        "diagnosis": diagnose_run(
            result.history, chance_error=1 - counts.max() / counts.sum(), config=config
        ),
    }
    write_json(folder / runfolder.DIAGNOSTICS, diagnostics)
    model = result.model
    write_with(folder / runfolder.MODEL, model.save)
    _, graph_warning = save_drawings(model, figures)
    if graph_warning:
        console.print(f"[yellow]warning:[/yellow] {escape(graph_warning)}", soft_wrap=True)
    save_training_curves(result.history, result.best_epoch, figures)

    split_name, split = next((n, s) for n, s in reversed(dataset.splits().items()))
    x_eval, y_eval = prepared.arrays(split)
    batch = config.train.batch_size
    scores = model.evaluate(x_eval, y_eval, batch_size=batch, verbose=0, return_dict=True)
    predicted = masks_from_scores(model.predict(x_eval, batch_size=batch, verbose=0))
    write_npz(folder / runfolder.PREDICTIONS, y_true=split.y, y_pred=predicted.astype(np.uint8))
    evaluation = evaluate_masks(split.y, predicted, dataset.class_names)
    files = dataset.files.get(split_name, [])
    for entry in evaluation["worst"] if files else []:
        entry["file"] = files[entry["index"]]
    save_segmentation_figures(split.x, split.y, predicted, evaluation, dataset.class_names, figures)
    metrics = {
        "split": split_name,
        "task": "segmentation",
        **{name: float(value) for name, value in scores.items()},
        "mean_iou": evaluation["mean_iou"],
        "mean_dice": evaluation["mean_dice"],
        "pixel_accuracy": evaluation["pixel_accuracy"],
        "keras_mean_iou": float(scores["mean_iou"]),
        "evaluation": evaluation,
        **result.facts(),
    }
    close_run_folder(folder, model, metrics)
    tracker.finish(metrics)
    return Run(folder, config, dataset, model, result.history, metrics)
