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

from dlworkflow.config import ExperimentConfig
from dlworkflow.data.augment import augment_pairs
from dlworkflow.data.dataset import Split
from dlworkflow.data.mask_survey import mask_survey_figures, pixel_frequencies
from dlworkflow.data.masks import MaskDataset, load_mask_dataset
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.segmentation import evaluate_masks, masks_from_scores
from dlworkflow.evaluate.segmentation_figures import save_segmentation_figures
from dlworkflow.experiments.folder import Run, open_run_folder
from dlworkflow.experiments.timing import StepClock
from dlworkflow.experiments.tracking import TrackingOptions
from dlworkflow.experiments.workflow_steps import TaskHooks, run_steps
from dlworkflow.models import build_zoo
from dlworkflow.models.unet import SEGMENTATION_ZOO, segmentation_head
from dlworkflow.train import CompilePlan
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

    def evaluate(
        self,
        model: keras.Model,
        split_name: str,
        split: Split,
        predicted: np.ndarray,
        figures: Path,
    ) -> dict:
        """Per-class IoU and Dice, pixel accuracy, the confusion matrix and the worst images
        (named by their files where the source has them), drawn into ``figures``."""
        class_names = self.dataset.class_names
        evaluation = evaluate_masks(split.y, predicted, class_names)
        files = self.dataset.files.get(split_name, [])
        for entry in evaluation["worst"] if files else []:
            entry["file"] = files[entry["index"]]
        save_segmentation_figures(split.x, split.y, predicted, evaluation, class_names, figures)
        return evaluation


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
    clock = StepClock()
    try:
        prepared = prepare_segmentation(config)
    except BadInput as error:
        raise BadInput(f"{origin}{error}") from None
    clock.lap("prepare")
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
        clock.lap("folder and survey")
        return run_steps(prepared, _hooks(prepared), folder, resuming, console, tracking, clock)


def _hooks(prepared: PreparedSegmentation) -> TaskHooks:
    """Masks: pairs augmented ahead, the one-batch mask check, class ids saved as
    ``y_pred``, per-class IoU and Dice with the worst images."""
    config, dataset = prepared.config, prepared.dataset
    train = None
    if config.data.augment is not None:
        images, masks = augment_pairs(
            dataset.train.x, dataset.train.y, config.data.augment, config.seed
        )
        train = prepared.arrays(Split(images, masks))
    return TaskHooks(
        prepared.evaluate,
        learnability=lambda model, x, y, seed: check_mask_learnability(
            model, x, y, dataset.num_classes, seed=seed
        ),
        train=train,
        decode=lambda scores: masks_from_scores(scores).astype(np.uint8),  # ids < 256
        saved_as="y_pred",
        headline=_headline,
    )


def _headline(scores: dict, evaluation: dict) -> dict:
    """Our IoU, Dice and pixel accuracy on top; Keras' own mean IoU kept beside them."""
    return {
        "task": "segmentation",
        "mean_iou": evaluation["mean_iou"],
        "mean_dice": evaluation["mean_dice"],
        "pixel_accuracy": evaluation["pixel_accuracy"],
        "keras_mean_iou": float(scores["mean_iou"]),
    }
