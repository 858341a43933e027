"""The plan of a sequence experiment (forecast or text): checked data, compiled model,
and the task's survey and evaluation, which :mod:`.sequence` runs into a run folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from dlworkflow.config import ExperimentConfig
from dlworkflow.data import Dataset, Split, encode_labels
from dlworkflow.errors import BadInput
from dlworkflow.models import build_from_layers, output_activation, output_units
from dlworkflow.train import CompilePlan, plan_compile
from dlworkflow.train.components import check_monitors
from dlworkflow.train.schedules import check_schedule

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
    check_monitors(config.train, plan, has_validation=dataset.val is not None)
    if config.train.lr != "auto":
        check_schedule(config.train.schedule, config.train.lr or config.compile.optimizer.lr)
    plan.compile(model, config.compile)
    return model, plan
