"""A detection experiment (``task: detection``) into an ordinary run folder.

:func:`prepare_detection` loads and checks the data and builds the detector before the
folder exists; :func:`run_detection` then surveys the boxes, checks the detector can
overfit one batch, trains with the workflow's resumable ``fit``, and evaluates on the
test split: COCO mAP (equal to pycocotools), per-class AP, precision–recall curves,
the confusion matrix with background, and every image's mistakes ranked by their mAP
cost (``mistakes.json`` and drawn images).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from PIL import Image
from rich.console import Console

from dlworkflow import runfolder
from dlworkflow.atomic import write_json, write_with
from dlworkflow.data.box_sources import load_box_source, split_boxes
from dlworkflow.data.boxes import BoxDataset, concatenate_boxes
from dlworkflow.detection.coco import Boxes, coco_map
from dlworkflow.detection.draw import draw_mistakes
from dlworkflow.detection.mistakes import confusion_matrix, rank_images
from dlworkflow.detection.plots import (
    box_grid_figure,
    box_survey_figure,
    detection_confusion_figure,
    mistakes_figure,
    pr_curves_figure,
)
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.evaluation import save_training_curves
from dlworkflow.experiments.detection_config import DetectionConfig
from dlworkflow.experiments.folder import Run, close_run_folder, open_run_folder
from dlworkflow.experiments.workflow_steps import learnability_step
from dlworkflow.figures import save_figure
from dlworkflow.models.detector import (
    build_centre_detector,
    centre_loss,
    decode_grid,
    encode_targets,
    grid_stride,
    predict_boxes,
)
from dlworkflow.report.detection import MISTAKES
from dlworkflow.train import fit
from dlworkflow.train.components import make_optimizer
from dlworkflow.train.diagnosis import diagnose
from dlworkflow.transfer.backbone import load_backbone, preprocess_layer

MISTAKE_IMAGES = 24  # drawn one by one into mistakes/; the JSON lists every image
LEARNABILITY_STEPS = 100


@dataclass
class DetectionPrepared:
    config: DetectionConfig
    data: BoxDataset
    splits: dict[str, np.ndarray]
    model: keras.Model
    own_test_set: bool = False  # the source fixed its test split (raccoon)

    def split(self, name: str) -> BoxDataset:
        return self.data.subset(self.splits[name])

    def arrays(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Images (float32 pixel values) and the encoded grid targets of a split."""
        part = self.split(name)
        if name == "train" and self.config.data.flip:
            part = concatenate_boxes(part, part.mirrored())
        rows, cols = self.model.output_shape[1:3]
        targets = encode_targets(
            part.boxes, part.labels, (rows, cols), grid_stride(self.model), part.num_classes
        )
        return part.images.astype(np.float32), targets


def prepare_detection(config: DetectionConfig) -> DetectionPrepared:
    """Load the boxes, split them and build and compile the detector. Writes nothing."""
    data, own_test = load_box_source(
        config.data.source, config.data.options, config.data.size, config.seed
    )
    split = config.data.split
    splits = split_boxes(len(data), split.val, split.test, config.seed, own_test)
    if len(splits["test"]) == 0:
        raise BadInput("data.split.test: 0 leaves no test images to score the detector on")
    for key, spec in (
        ("checkpoint", config.train.checkpoint),
        ("early_stopping", config.train.early_stopping),
        ("reduce_lr", config.train.reduce_lr),
    ):
        allowed = ["loss", "val_loss"] if len(splits["val"]) else ["loss"]
        if spec is not None and spec.monitor not in allowed:
            raise BadInput(
                f"train.{key}.monitor: '{spec.monitor}' is not logged; use {' or '.join(allowed)}"
            )
    keras.utils.set_random_seed(config.seed)
    backbone = None
    if config.model.backbone is not None:
        backbone = pretrained_backbone(config, data.images.shape[1:])
    model = build_centre_detector(
        data.images.shape[1:], data.num_classes, config.model.width, backbone
    )
    model.compile(optimizer=make_optimizer(config.compile), loss=centre_loss)
    return DetectionPrepared(config, data, splits, model, own_test is not None)


def pretrained_backbone(config: DetectionConfig, image_shape: tuple[int, ...]) -> keras.Model:
    """Raw pixels → the backbone's own preprocessing → its conv base, at the image size."""
    spec = config.model.backbone
    if spec.input_size is None:
        spec = spec.model_copy(update={"input_size": tuple(image_shape[:2])})
    try:
        backbone = load_backbone(spec, image_shape, config.seed)
    except BadInput as error:
        raise BadInput(str(error).replace("transfer.backbone", "model.backbone")) from None
    backbone.base.trainable = not config.model.freeze
    inputs = keras.Input(image_shape, name="pixels")
    x = inputs
    if backbone.input_shape[:2] != tuple(image_shape[:2]):
        x = keras.layers.Resizing(*backbone.input_shape[:2], name="resize")(x)
    if backbone.preprocess.mode != "none":
        x = preprocess_layer(backbone.preprocess, image_shape[2])(x)
    features = backbone.base(x)
    if len(features.shape) != 4:
        raise BadInput(
            f"model.backbone.cut: a detector needs a spatial feature map; '{backbone.cut}' "
            f"gives {tuple(features.shape[1:])}"
        )
    return keras.Model(inputs, features, name="backbone")


def run_detection(
    config: DetectionConfig, runs_dir: Path, console: Console, origin: str = ""
) -> Run:
    """Train and evaluate a detector into ``runs_dir/<name>/`` (resuming a cut-off run)."""
    try:
        prepared = prepare_detection(config)
    except BadInput as error:
        raise BadInput(f"{origin}{error}") from None
    with open_run_folder(
        config,  # type: ignore[arg-type]  # name, seed, train and to_yaml, as a config has
        prepared.data,
        runs_dir,
        console,
        describe_data(prepared),
        survey=lambda figures: survey_box_figures(prepared.split("train"), figures),
        model=prepared.model,
    ) as (folder, resuming):
        return _train_and_score(config, prepared, folder, resuming, console)


def _train_and_score(
    config: DetectionConfig,
    prepared: DetectionPrepared,
    folder: Path,
    resuming: bool,
    console: Console,
) -> Run:
    figures = folder / runfolder.FIGURES
    train = prepared.arrays("train")
    validation = prepared.arrays("val") if len(prepared.splits["val"]) else None
    learnability = learnability_step(
        folder,
        resuming,
        lambda: overfit_one_batch(prepared.model, prepared.split("train"), config),
        console,
    )

    result = fit(prepared.model, train, validation, config.train, folder, config.seed, console)
    model = result.model
    write_with(folder / runfolder.MODEL, model.save)
    save_training_curves(result.history, result.best_epoch, figures)
    diagnostics = {
        "learnability": learnability,
        "base_lr": result.base_lr,
        "diagnosis": diagnose(result.history),
    }
    write_json(folder / runfolder.DIAGNOSTICS, diagnostics)

    test = prepared.split("test")
    x_test, y_test = prepared.arrays("test")
    test_loss = float(model.evaluate(x_test, y_test, batch_size=config.train.batch_size, verbose=0))
    evaluation = evaluate_detector(model, test, config, folder)
    metrics = {
        "split": "test",
        "loss": test_loss,
        "map50": evaluation["map50"],
        "map": evaluation["map"],
        "map75": evaluation["map75"],
        "evaluation": evaluation,
        **result.facts(),
    }
    close_run_folder(folder, model, metrics)
    return Run(folder, config, prepared.data, model, result.history, metrics)


def describe_data(prepared: DetectionPrepared) -> dict:
    """``data.json``: the source's counts and each split's images and boxes."""
    splits = {}
    for name, indices in prepared.splits.items():
        part = prepared.split(name)
        splits[name] = {
            "images": int(len(indices)),
            "boxes": int(sum(len(b) for b in part.boxes)),
        }
    return {
        "task": "detection",
        **prepared.data.describe(),
        "class_names": prepared.data.class_names,
        "splits": splits,
        "own_test_set": prepared.own_test_set,
    }


def survey_box_figures(data: BoxDataset, figures: Path) -> list[Path]:
    """Boxes per image, sizes, aspects, class counts, and a grid with the boxes drawn."""
    return [
        save_figure(
            box_survey_figure(data.boxes, data.labels, data.class_names), figures / "box_survey.svg"
        ),
        save_figure(
            box_grid_figure(data.images, data.boxes, data.labels, data.class_names),
            figures / "box_grid.png",
        ),
    ]


def overfit_one_batch(model: keras.Model, data: BoxDataset, config: DetectionConfig) -> dict:
    """Workflow step 5 for boxes: a copy of the detector trains on one batch alone; it
    should drive the loss down and find that batch's boxes (mAP@0.5 on it)."""
    batch = data.subset(np.arange(min(16, len(data))))
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    copy.compile(optimizer=make_optimizer(config.compile), loss=centre_loss)
    images = batch.images.astype(np.float32)
    rows, cols = model.output_shape[1:3]
    targets = encode_targets(
        batch.boxes, batch.labels, (rows, cols), grid_stride(model), batch.num_classes
    )
    losses = copy.fit(
        images, targets, batch_size=len(images), epochs=LEARNABILITY_STEPS, verbose=0
    ).history["loss"]
    start, end = float(losses[0]), float(losses[-1])
    # batch statistics, as in training: 100 steps are too few for BatchNorm's moving averages
    grid = keras.ops.convert_to_numpy(copy(images, training=True))
    truths = [Boxes(b, lab) for b, lab in zip(batch.boxes, batch.labels, strict=True)]
    found = coco_map(truths, decode_grid(grid, grid_stride(model)), batch.class_names).map50
    passed = end < 0.5 * start
    return {
        "passed": passed,
        "batch": len(images),
        "steps": LEARNABILITY_STEPS,
        "loss_start": start,
        "loss_end": end,
        "batch_map50": found,
        "verdict": (
            f"{'yes' if passed else 'not yet'}: on one batch of {len(images)} images the loss "
            f"went {start:.3g} → {end:.3g} in {LEARNABILITY_STEPS} steps, mAP@0.5 {found:.2f}"
        ),
    }


def evaluate_detector(
    model: keras.Model, test: BoxDataset, config: DetectionConfig, folder: Path
) -> dict:
    """COCO mAP, per-class AP, PR curves, confusion matrix and ranked per-image mistakes."""
    predict = config.predict
    figures = folder / runfolder.FIGURES
    predictions = predict_boxes(
        model, test.images, predict.map_score_threshold, predict.iou_threshold
    )
    truths = [Boxes(b, lab) for b, lab in zip(test.boxes, test.labels, strict=True)]
    result = coco_map(truths, predictions, test.class_names, max_dets=predict.max_boxes)
    counts = confusion_matrix(
        truths, predictions, test.num_classes, score_threshold=predict.score_threshold
    )
    ranked = rank_images(truths, predictions, test.class_names, test.names, predict.score_threshold)
    save_figure(pr_curves_figure(result), figures / "pr_curves.svg")
    save_figure(
        detection_confusion_figure(counts, test.class_names), figures / "detection_confusion.svg"
    )
    save_figure(mistakes_figure(test.images, ranked), figures / "mistakes.png")
    for rank, entry in enumerate(ranked[:MISTAKE_IMAGES], 1):
        image = test.images[entry["index"]]
        drawn = draw_mistakes(image, entry, max(1, 256 // max(image.shape[:2])))
        write_with(
            folder / "mistakes" / f"{rank:02d}-{entry['image']}.png",
            lambda tmp, drawn=drawn: Image.fromarray(drawn).save(tmp, format="PNG"),
        )
    write_json(folder / MISTAKES, ranked)
    write_json(
        folder / "predictions.json",
        [
            {
                "image": name,
                "boxes": np.round(p.boxes, 2).tolist(),
                "classes": [test.class_names[k] for k in p.labels],
                "scores": np.round(p.scores, 4).tolist(),
            }
            for name, p in zip(test.names, predictions, strict=True)
        ],
    )
    false_pos = sum(len(e["false_positives"]) for e in ranked)
    false_neg = sum(len(e["false_negatives"]) for e in ranked)
    return {
        **result.to_dict(),
        "confusion": {"labels": [*test.class_names, "background"], "counts": counts.tolist()},
        "score_threshold": predict.score_threshold,
        "images": len(test),
        "images_with_mistakes": len(ranked),
        "false_positives": false_pos,
        "false_negatives": false_neg,
        "most_costly": [{"image": e["image"], "map50_cost": e["map50_cost"]} for e in ranked[:10]],
        "report_text": (
            f"mAP@0.5 {result.map50:.4f}, mAP@[.5:.95] {result.map:.4f} on {len(test)} test "
            f"images; at score ≥ {predict.score_threshold:g}: {false_pos} false positives, "
            f"{false_neg} missed boxes in {len(ranked)} images (mistakes.json, mistakes/)"
        ),
    }
