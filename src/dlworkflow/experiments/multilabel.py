"""What an ordinary run adds for multilabel data: the task checked against the config
before anything is written, and each label's threshold (0.5, or tuned on validation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from dlworkflow.config import ExperimentConfig
from dlworkflow.data import Dataset
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.multilabel import Thresholds, tune_thresholds
from dlworkflow.evaluate.multilabel_spec import MultilabelSpec
from dlworkflow.runfolder import RunRecord

if TYPE_CHECKING:
    import keras


def check_multilabel_task(config: ExperimentConfig, dataset: Dataset) -> None:
    """``task: multilabel`` (or a ``multilabel:`` section) needs multilabel data, and
    ``threshold: tune`` a validation split to tune on."""
    asked = config.task == "multilabel" or config.multilabel is not None
    if asked and dataset.task != "multilabel":
        key = "task" if config.task == "multilabel" else "multilabel"
        raise BadInput(
            f"{key}: multilabel, but data.source '{config.data.source}' gives a "
            f"{dataset.task} target; give data.options.target a list of 0/1 columns"
        )
    spec = config.multilabel or MultilabelSpec()
    if dataset.task == "multilabel" and spec.threshold == "tune" and dataset.val is None:
        raise BadInput(
            "multilabel.threshold: tune needs a validation split, and data.split.val is 0; "
            "set it above 0 or give a number such as 0.5"
        )


def recorded_thresholds(record: RunRecord) -> Thresholds | None:
    """A finished multilabel run's cuts from ``metrics.json`` (None for other tasks), so
    that predictions and evaluations on other data answer as its test metrics did."""
    if record.data.get("task") != "multilabel":  # the data's task (config may say auto)
        return None
    evaluation = record.metrics.get("evaluation", {})
    recorded = evaluation.get("thresholds", {})
    values = [float(recorded.get(name, 0.5)) for name in record.class_names]
    return Thresholds(np.asarray(values), str(evaluation.get("thresholds_chosen", "fixed")))


def label_thresholds(
    config: ExperimentConfig,
    dataset: Dataset,
    model: keras.Model,
    arrays: Callable,
) -> Thresholds | None:
    """Each label's cut for a multilabel run (None for other tasks): the configured
    number, or the F1-best cut on the validation split's predictions."""
    if dataset.task != "multilabel":
        return None
    spec = config.multilabel or MultilabelSpec()
    if spec.threshold != "tune":
        return Thresholds.fixed(spec.threshold, dataset.num_classes)
    x_val, _ = arrays(dataset.val)
    y_prob = model.predict(x_val, batch_size=config.train.batch_size, verbose=0)
    return tune_thresholds(np.asarray(dataset.val.y), y_prob)
