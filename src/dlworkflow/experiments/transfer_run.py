"""A transfer experiment, run into an ordinary run folder.

:func:`prepare_transfer` checks everything (data, backbone, cut, sizes, grid, compile
plan) before the folder exists; :func:`run_transfer` then extracts features and fits a
scikit-learn head, or fine-tunes in two stages, and writes what every run has —
``model.keras`` (raw pixels in, class scores out), ``history.csv``, ``metrics.json``
with ``"evaluation"``, ``predictions.npz``, figures, the report — plus
``transfer.json`` (backbone, cache, grid search, stages, advice).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from rich.console import Console
from rich.markup import escape
from sklearn.metrics import log_loss

from dlworkflow import runfolder
from dlworkflow.atomic import write_json, write_npz, write_text, write_with
from dlworkflow.config import ExperimentConfig
from dlworkflow.data import Preprocessing, load_dataset
from dlworkflow.data.stream import model_input
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.evaluation import evaluate_predictions
from dlworkflow.evaluate.plots import training_curves_figure
from dlworkflow.experiments.folder import Run, close_run_folder, open_run_folder
from dlworkflow.experiments.preparation import Prepared, compile_for, predict_with
from dlworkflow.experiments.workflow_steps import evaluation_split, model_scores
from dlworkflow.figures import save_figure
from dlworkflow.models import head_for
from dlworkflow.models.picture import save_drawings
from dlworkflow.runfolder import history_csv
from dlworkflow.train import plan_compile
from dlworkflow.transfer.advice import four_way_advice
from dlworkflow.transfer.backbone import Backbone, feature_model, load_backbone
from dlworkflow.transfer.features import cache_key, cached_features
from dlworkflow.transfer.finetune import fine_tune_model, two_stages, unfreeze_targets
from dlworkflow.transfer.head_store import save_knn_head
from dlworkflow.transfer.heads import (
    check_grid,
    grid_search,
    head_scores,
    keras_head,
    pca_figure,
)

# model, history, metrics without the evaluation, and the scores on the evaluation split
Outcome = tuple[keras.Model, dict[str, list[float]], dict, np.ndarray]


@dataclass
class TransferPlan:
    prepared: Prepared  # dataset (raw pixels: the model preprocesses) and model to train
    backbone: Backbone
    features: keras.Model  # raw pixels → feature vector


def prepare_transfer(config: ExperimentConfig) -> TransferPlan:
    """Load data and backbone, build the models and check every setting. Writes nothing."""
    spec = config.transfer
    assert spec is not None
    dataset = load_dataset(config.data, seed=config.seed)
    if dataset.task == "regression":
        raise BadInput("transfer: needs a classification dataset; the data is regression")
    channels = dataset.input_shape[-1]
    # Pixels go in as loaded; resizing and the backbone's own scaling are model layers.
    dataset.preprocessing = Preprocessing("none", (0.0,) * channels, (1.0,) * channels)
    backbone = load_backbone(spec.backbone, dataset.input_shape, config.seed)
    features = feature_model(backbone, dataset.input_shape, spec.backbone.pooling)
    head = head_for(dataset.task, dataset.num_classes)
    if spec.method == "features":
        check_grid(spec.features, config.seed)
        model = features
        plan = plan_compile(
            config.compile, dataset.task, dataset.num_classes, head.units, head.activation
        )
    else:
        unfreeze_targets(backbone.base, spec.fine_tune.stage2.unfreeze)
        keras.utils.set_random_seed(config.seed)
        model = fine_tune_model(features, spec.fine_tune, head)
        plan = compile_for(config, dataset, model)
    return TransferPlan(Prepared(config, dataset, model, plan), backbone, features)


def run_transfer(
    config: ExperimentConfig, runs_dir: Path, console: Console, origin: str = ""
) -> Run:
    """Run a config with a ``transfer:`` section into ``runs_dir/<name>/``."""
    try:
        plan = prepare_transfer(config)
    except BadInput as error:
        raise BadInput(f"{origin}{error}") from None
    dataset = plan.prepared.dataset
    data_record = {**dataset.describe(), "model_preprocessing": _inputs(plan)}
    with open_run_folder(config, dataset, runs_dir, console, data_record) as (folder, _):
        return _transfer_into(config, plan, folder, runs_dir, console)


def _transfer_into(
    config: ExperimentConfig, plan: TransferPlan, folder: Path, runs_dir: Path, console: Console
) -> Run:
    dataset = plan.prepared.dataset
    record = _record(config, plan)
    if config.transfer.method == "features":
        model, history, metrics, y_prob = _features(config, plan, folder, runs_dir, console, record)
    else:
        model, history, metrics, y_prob = _fine_tune(config, plan, folder, console, record)
    split_name, split = evaluation_split(dataset)
    figures = folder / runfolder.FIGURES
    _, graph_warning = save_drawings(model, figures)
    if graph_warning:
        console.print(f"[yellow]warning:[/yellow] {escape(graph_warning)}", soft_wrap=True)
    write_npz(folder / runfolder.PREDICTIONS, y_true=split.y, y_prob=y_prob)
    evaluation = evaluate_predictions(dataset, split, y_prob, figures, predict_with(model))
    metrics = {
        "split": split_name,
        **metrics,
        "accuracy": evaluation["accuracy"],
        "evaluation": evaluation,
        "params": int(model.count_params()),
        "method": config.transfer.method,
    }
    write_json(folder / runfolder.TRANSFER, record)
    shutil.rmtree(folder / "stages", ignore_errors=True)
    close_run_folder(folder, model, metrics)
    return Run(folder, config, dataset, model, history, metrics)


def _features(
    config: ExperimentConfig,
    plan: TransferPlan,
    folder: Path,
    runs_dir: Path,
    console: Console,
    record: dict,
) -> Outcome:
    """Features once (or from the cache), then the grid-searched head on train + val."""
    spec = config.transfer.features
    dataset = plan.prepared.dataset
    key = cache_key(plan.backbone.identity, config.transfer.backbone.pooling, dataset)
    found = cached_features(plan.features, dataset, key, folder, runs_dir, spec.batch_size, console)
    console.print(
        f"features: cache {escape(found.cache)}, {found.splits['train'].shape[1]:,} per image"
    )
    fit_names = [name for name in ("train", "val") if name in found.splits]
    x_fit = np.concatenate([found.splits[name] for name in fit_names])
    y_fit = np.concatenate([getattr(dataset, name).y for name in fit_names])
    started = time.perf_counter()
    search, rows = grid_search(spec, x_fit, y_fit, config.seed)
    fit_seconds = time.perf_counter() - started
    pipeline = search.best_estimator_
    split_name, split = evaluation_split(dataset)
    y_prob = head_scores(pipeline, found.splits[split_name])
    outputs = keras_head(pipeline, plan.features.output)
    # k-NN has no layer form: model.keras is then the feature extractor, head.npz the rest
    if outputs is None:
        save_knn_head(pipeline, folder / runfolder.HEAD)
    model = (
        plan.features
        if outputs is None
        else keras.Model(plan.features.input, outputs, name="transfer")
    )
    write_with(folder / runfolder.MODEL, model.save)
    figures = folder / runfolder.FIGURES
    pca = pipeline.named_steps.get("pca")
    if pca is not None:
        save_figure(pca_figure(pca), figures / "pca_variance.svg")
    write_text(folder / runfolder.HISTORY, history_csv({}))  # no Keras training
    record.update(
        features={
            "cache": found.cache,
            "key": found.key,
            "dimension": int(found.splits["train"].shape[1]),
            "extract_seconds": round(found.seconds, 3),
            "fitted_on": fit_names,
        },
        head={
            "kind": spec.head,
            "standardize": spec.standardize,
            "cv_folds": search.n_splits_,
            "best_params": rows[search.best_index_]["params"],
            "best_cv_accuracy": float(search.best_score_),
            "grid": rows,
            "in_model": outputs is not None,
            "fit_seconds": round(fit_seconds, 3),
        },
        pca=None
        if pca is None
        else {
            "asked": spec.pca,
            "components": int(pca.n_components_),
            "explained_variance": float(np.sum(pca.explained_variance_ratio_)),
        },
    )
    labels = list(range(dataset.num_classes))
    probabilities = y_prob if y_prob.shape[1] > 1 else np.hstack([1 - y_prob, y_prob])
    metrics = {
        "loss": float(log_loss(split.y, probabilities, labels=labels)),
        "best_epoch": None,
        "epochs_run": 0,
        "stopped_early": False,
        "resumed_from_epoch": 0,
        "train_seconds": round(found.seconds + fit_seconds, 3),
    }
    return model, {}, metrics, y_prob


def _fine_tune(
    config: ExperimentConfig, plan: TransferPlan, folder: Path, console: Console, record: dict
) -> Outcome:
    """Two stages; the better stage's best model, evaluated like any trained model."""
    prepared = plan.prepared
    dataset = prepared.dataset
    train = prepared.arrays(dataset.train)
    validation = prepared.arrays(dataset.val) if dataset.val is not None else None
    tuned = two_stages(
        prepared.model,
        train,
        validation,
        config.transfer.fine_tune,
        config.train,
        prepared.plan,
        folder,
        config.seed,
        console,
    )
    model = tuned.model
    write_with(folder / runfolder.MODEL, model.save)
    write_text(folder / runfolder.HISTORY, history_csv(tuned.history))
    figure = training_curves_figure(tuned.history, tuned.best_epoch, tuned.stage_starts)
    save_figure(figure, folder / runfolder.FIGURES / "training_curves.svg")
    split_name, split = evaluation_split(dataset)
    x_eval, y_eval = prepared.arrays(split)
    batch = config.train.batch_size
    y_prob = model.predict(model_input(x_eval, batch), batch_size=batch, verbose=0)
    scores = model_scores(model, x_eval, y_eval, y_prob, config)
    record.update(
        stages={
            "seconds": [round(s, 3) for s in tuned.seconds],
            "starts": [1, *tuned.stage_starts],
            "unfreeze": config.transfer.fine_tune.stage2.unfreeze,
            "stage2_optimizer": config.transfer.fine_tune.stage2.optimizer.model_dump(),
            "trainable": tuned.trainable,
        }
    )
    metrics = {
        **{name: float(value) for name, value in scores.items()},
        "best_epoch": tuned.best_epoch,
        "epochs_run": len(tuned.history.get("loss", [])),
        "stopped_early": tuned.result.stopped_early,
        "resumed_from_epoch": tuned.result.resumed_from_epoch,
        "train_seconds": round(sum(tuned.seconds), 3),
    }
    return model, tuned.history, metrics, y_prob


def _inputs(plan: TransferPlan) -> dict:
    """What the model does to raw pixels before the backbone (recorded in data.json)."""
    height, width = plan.backbone.input_shape[:2]
    image = plan.prepared.dataset.input_shape
    resize = None if (height, width) == tuple(image[:2]) else [height, width]
    return {"resize_to": resize, **plan.backbone.preprocess.describe()}


def _record(config: ExperimentConfig, plan: TransferPlan) -> dict:
    spec = config.transfer
    backbone = plan.backbone
    dataset = plan.prepared.dataset
    return {
        "method": spec.method,
        "backbone": {
            "source": backbone.source,
            "cut": backbone.cut,
            "input_shape": list(backbone.input_shape),
            "pooling": spec.backbone.pooling,
            "pretrained_on": backbone.pretrained_on,
            "params": int(backbone.base.count_params()),
            "identity": backbone.identity,
        },
        "advice": four_way_advice(
            len(dataset.train) + (len(dataset.val) if dataset.val is not None else 0),
            dataset.num_classes,
            dataset.name,
            backbone.pretrained_on,
            spec.similar,
        ),
    }
