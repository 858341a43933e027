"""Preparing an experiment: data loaded, model built and compiled, every setting checked.

Everything that can be wrong with the input (config, data, model, components) is
checked here, before a run folder exists, so bad input never leaves a half-written
folder behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np

from dlworkflow.config import ExperimentConfig
from dlworkflow.data import Dataset, Split, encode_labels, load_dataset
from dlworkflow.data.augment_layers import training_augmenter
from dlworkflow.experiments.forecast import prepare_forecast
from dlworkflow.experiments.multilabel import check_multilabel_task
from dlworkflow.experiments.sequence_plan import SequencePlan
from dlworkflow.experiments.text import prepare_text
from dlworkflow.models import (
    build_from_layers,
    build_zoo,
    head_for,
    output_activation,
    output_units,
)
from dlworkflow.train import CompilePlan, plan_compile
from dlworkflow.train.components import check_monitors
from dlworkflow.train.precision import MIXED, dtype_policy, float32_output, resolve_precision
from dlworkflow.train.schedules import check_schedule


@dataclass
class Prepared:
    config: ExperimentConfig
    dataset: Dataset
    model: keras.Model
    plan: CompilePlan
    augment: Callable | None = None  # data.augment of image classification: per batch

    def arrays(self, split: Split) -> tuple[np.ndarray, np.ndarray]:
        """Model inputs and targets of a split, encoded as the compiled loss expects."""
        dataset = self.dataset
        x = dataset.preprocessing.apply(split.x)
        if dataset.task == "regression":
            return x, dataset.preprocessing.encode_target(split.y)
        if dataset.task == "multilabel":  # the 0/1 label matrix, as binary cross-entropy takes
            return x, split.y.astype(np.float32)
        return x, encode_labels(split.y, dataset.num_classes, self.plan.one_hot)


def prepare(config: ExperimentConfig) -> Prepared:
    """Load data, build and compile the model, and check they fit. Writes nothing."""
    if config.task == "segmentation":  # its own data, U-Net and per-pixel losses
        from dlworkflow.experiments.segmentation import prepare_segmentation

        return prepare_segmentation(config)  # type: ignore[return-value]  # same fields
    if config.task in ("forecast", "text"):  # a SequencePlan: the same fields and arrays()
        return prepare_sequence(config)  # type: ignore[return-value]
    dataset = load_dataset(config.data, seed=config.seed)
    check_multilabel_task(config, dataset)
    flatten = wants_flat_input(config, dataset)
    if flatten:
        dataset.preprocessing = dataset.preprocessing.with_flatten(True)
    input_shape = (int(np.prod(dataset.input_shape)),) if flatten else dataset.input_shape
    keras.utils.set_random_seed(config.seed)
    policy = resolve_precision(config.train.precision)
    with dtype_policy(policy):  # layers take the policy when built, the optimizer at compile
        if config.model.zoo is not None:
            head = head_for(dataset.task, dataset.num_classes)
            model = build_zoo(config.model.zoo, input_shape, head, config.model.options)
        else:
            layers = config.model.layers or []
            layers = float32_output(layers) if policy in MIXED else layers
            model = build_from_layers(layers, input_shape, config.name)
        plan = compile_for(config, dataset, model)
    augment = training_augmenter(config.data.augment, dataset, config.seed)
    return Prepared(config, dataset, model, plan, augment)


def compile_for(config: ExperimentConfig, dataset: Dataset, model: keras.Model) -> CompilePlan:
    """Check the model's output, loss, monitors and schedule against the data; compile."""
    plan = plan_compile(
        config.compile,
        dataset.task,
        dataset.num_classes,
        output_units(model),
        output_activation(model),
    )
    check_monitors(config.train, plan, has_validation=dataset.val is not None)
    if config.train.lr != "auto":
        check_schedule(config.train.schedule, config.train.lr or config.compile.optimizer.lr)
    plan.compile(model, config.compile)
    return plan


def wants_flat_input(config: ExperimentConfig, dataset: Dataset) -> bool:
    """``flatten: auto`` flattens images for a layer list that starts with Dense."""
    if isinstance(config.data.flatten, bool):
        return config.data.flatten
    if config.model.layers and len(dataset.input_shape) > 1:
        first = config.model.layers[0]
        name = first if isinstance(first, str) else next(iter(first), None)
        return name == "Dense"
    return False


# Keras' regression metrics that scale with the target (squared ones by its square)
_TARGET_UNITS = {"mae": 1, "mean_absolute_error": 1, "rmse": 1, "root_mean_squared_error": 1,
                 "mse": 2, "mean_squared_error": 2}  # fmt: skip


def scores_in_data_units(scores: dict[str, float], dataset: Dataset) -> dict[str, float]:
    """``model.evaluate``'s metrics on a scaled regression target, back in the target's
    units; the loss stays what was minimised (on the standardised target)."""
    if dataset.task != "regression":
        return scores
    factor = dataset.preprocessing.target_factor
    return {
        name: value * factor ** _TARGET_UNITS[name] if name in _TARGET_UNITS else value
        for name, value in scores.items()
    }


def predict_with(model: keras.Model):
    """A batch-friendly predict for figures that query many points (decision boundaries)."""
    return lambda x: model.predict(x, batch_size=8192, verbose=0)


def prepare_sequence(config: ExperimentConfig) -> SequencePlan:
    """Load and check the data, build and compile the model. Writes nothing."""
    if config.task == "forecast":
        return prepare_forecast(config)
    return prepare_text(config)
