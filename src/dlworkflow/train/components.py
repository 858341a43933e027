"""Step 4: last activation, loss, metrics and optimizer that fit the task, or a clear no.

The course's classic mistakes (softmax with binary cross-entropy on 10 classes, a
sigmoid output with categorical cross-entropy, the wrong number of output units) are
refused here, before any training, with the key to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras

from dlworkflow.errors import BadInput
from dlworkflow.train.spec import CompileSpec, TrainSpec

REGRESSION_LOSSES = {
    "mse",
    "mean_squared_error",
    "mae",
    "mean_absolute_error",
    "huber",
    "log_cosh",
    "mean_squared_logarithmic_error",
    "msle",
    "mean_absolute_percentage_error",
    "mape",
}
CLASSIFICATION_LOSSES = {
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "kl_divergence",
}
PROBABILITY_LOSSES = CLASSIFICATION_LOSSES - {"hinge", "squared_hinge", "categorical_hinge"}
ONE_HOT_LOSSES = {
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "kl_divergence",
}


@dataclass(frozen=True)
class CompilePlan:
    """What ``model.compile`` gets, and how labels must be encoded for it."""

    loss: str
    one_hot: bool
    metrics: list[str]

    def compile(self, model: keras.Model, spec: CompileSpec) -> None:
        model.compile(
            optimizer=make_optimizer(spec),
            loss=self.loss,
            metrics=[_metric(name, self) for name in self.metrics],
        )


def plan_compile(
    spec: CompileSpec, task: str, num_classes: int, units: int, activation: str
) -> CompilePlan:
    """Check the model's output against the task and pick the loss when ``auto``."""
    loss = _auto_loss(task, units) if spec.loss == "auto" else spec.loss
    _check_known_loss(loss)
    if task == "regression":
        _check_regression(loss, units, activation)
        one_hot = False
    elif task == "multilabel":
        check_multilabel(loss, num_classes, units, activation)
        one_hot = False  # the 0/1 label matrix is the target as it is
    else:
        one_hot = _check_classification(loss, num_classes, units, activation)
    metrics = (
        spec.metrics
        if spec.metrics is not None
        else (["mae"] if task == "regression" else ["accuracy"])
    )
    for name in metrics:
        if task == "regression" and name in ("accuracy", "acc"):
            raise BadInput(
                "compile.metrics: 'accuracy' means nothing for regression; use mae or mse"
            )
        try:
            keras.metrics.get(name)
        except ValueError:
            raise BadInput(
                f"compile.metrics: '{name}' is not a Keras metric (e.g. accuracy, mae, mse, auc)"
            ) from None
    return CompilePlan(loss, one_hot, list(metrics))


def make_optimizer(spec: CompileSpec) -> keras.optimizers.Optimizer:
    optimizer = spec.optimizer
    extra: dict[str, Any] = dict(optimizer.model_extra or {})
    try:
        return keras.optimizers.get(
            {"class_name": optimizer.name, "config": {"learning_rate": optimizer.lr, **extra}}
        )
    except (ValueError, TypeError) as error:
        first = str(error).strip().splitlines()[0]
        raise BadInput(
            f"compile.optimizer: cannot make '{optimizer.name}' with {extra or 'defaults'}: "
            f"{first} (optimizers: adam, sgd, rmsprop, adamw, adagrad, nadam)"
        ) from None


def _auto_loss(task: str, units: int) -> str:
    if task == "regression":
        return "mse"
    if task == "multilabel":
        return "binary_crossentropy"
    return "binary_crossentropy" if units == 1 else "sparse_categorical_crossentropy"


def _check_known_loss(loss: str) -> None:
    if loss in REGRESSION_LOSSES | CLASSIFICATION_LOSSES:
        return
    raise BadInput(
        f"compile.loss: '{loss}' is not a supported loss; use auto, "
        f"{', '.join(sorted(CLASSIFICATION_LOSSES | REGRESSION_LOSSES))}"
    )


def _check_regression(loss: str, units: int, activation: str) -> None:
    if loss not in REGRESSION_LOSSES:
        raise BadInput(
            f"compile.loss: '{loss}' is a classification loss but the target is numeric "
            "(regression); use mse, mae or huber"
        )
    if units != 1:
        raise BadInput(f"model: the last layer has {units} units; a regression target needs 1")
    if activation in ("softmax", "sigmoid"):
        raise BadInput(
            f"model: the last activation is {activation}, which squashes a regression output; "
            "use linear (no activation)"
        )


def _check_classification(loss: str, num_classes: int, units: int, activation: str) -> bool:
    """Return whether labels must be one-hot."""
    if loss in REGRESSION_LOSSES:
        raise BadInput(
            f"compile.loss: '{loss}' is a regression loss but the data has {num_classes} "
            "classes; use auto or a cross-entropy"
        )
    needs_probabilities = loss in PROBABILITY_LOSSES
    if loss in ("binary_crossentropy", "binary_focal_crossentropy"):
        if units == 1:
            if num_classes != 2:
                raise BadInput(
                    f"model: 1 output unit with {loss} fits 2 classes, the data has "
                    f"{num_classes}; use {num_classes} softmax units and "
                    "sparse_categorical_crossentropy"
                )
            _need_activation(activation, "sigmoid", loss, needs_probabilities)
            return False
        if activation == "softmax":
            raise BadInput(
                f"compile.loss: {loss} with a softmax over {units} classes scores each class "
                "independently against a distribution; use categorical_crossentropy, or "
                "sigmoid units for independent (multilabel) outputs"
            )
        _need_units(units, num_classes)
        _need_activation(activation, "sigmoid", loss, needs_probabilities)
        return True  # one sigmoid per class on one-hot labels, as in the course's Lab 1
    _need_units(units, num_classes)
    if loss in ONE_HOT_LOSSES or loss == "sparse_categorical_crossentropy":
        _need_activation(activation, "softmax", loss, needs_probabilities)
    return loss in ONE_HOT_LOSSES or loss in ("hinge", "squared_hinge")


MULTILABEL_LOSSES = ("binary_crossentropy", "binary_focal_crossentropy")


def check_multilabel(loss: str, num_labels: int, units: int, activation: str) -> None:
    """One sigmoid unit per label with binary cross-entropy: each label is its own yes/no.

    A softmax makes the labels compete for one unit of probability, so a row with two
    labels can never have both near 1; categorical cross-entropy assumes one true class.
    """
    if loss not in MULTILABEL_LOSSES:
        raise BadInput(
            f"compile.loss: '{loss}' does not fit multilabel targets (several labels per row); "
            "use binary_crossentropy (or auto)"
        )
    if activation == "softmax":
        raise BadInput(
            "model: the last activation is softmax, which makes the labels compete; multilabel "
            f"needs activation: sigmoid on {num_labels} units"
        )
    _need_units(units, num_labels)
    _need_activation(activation, "sigmoid", loss, True)


def _need_units(units: int, num_classes: int) -> None:
    if units != num_classes:
        raise BadInput(
            f"model: the last layer has {units} units but the data has {num_classes} classes; "
            f"use {num_classes} units"
        )


def _need_activation(activation: str, wanted: str, loss: str, needs_probabilities: bool) -> None:
    if needs_probabilities and activation != wanted:
        raise BadInput(
            f"model: the last activation is {activation} but {loss} expects {wanted} "
            f"probabilities; end the model with activation: {wanted}"
        )


def _metric(name: str, plan: CompilePlan) -> Any:
    """Resolve ``accuracy`` to the variant that matches the label encoding.

    Keras would pick binary accuracy for binary cross-entropy even over 10 one-hot
    classes, which reports ~0.98 for a model that is right half the time.
    """
    if name not in ("accuracy", "acc"):
        return name
    if plan.loss in ("binary_crossentropy", "binary_focal_crossentropy") and not plan.one_hot:
        return keras.metrics.BinaryAccuracy(name="accuracy")
    if plan.one_hot:
        return keras.metrics.CategoricalAccuracy(name="accuracy")
    return keras.metrics.SparseCategoricalAccuracy(name="accuracy")


def check_monitors(train: TrainSpec, plan: CompilePlan, has_validation: bool) -> None:
    """Every monitored name (checkpoint, early stopping, reduce-LR) is one the run logs."""
    available = ["loss", *plan.metrics]
    for key, spec in (
        ("checkpoint", train.checkpoint),
        ("early_stopping", train.early_stopping),
        ("reduce_lr", train.reduce_lr),
    ):
        if spec is None:
            continue
        monitor = spec.monitor
        if monitor.removeprefix("val_") not in available:
            choices = (
                available + [f"val_{name}" for name in available] if has_validation else available
            )
            raise BadInput(
                f"train.{key}.monitor: '{monitor}' is not logged; use one of {', '.join(choices)}"
            )
        if monitor.startswith("val_") and not has_validation:
            raise BadInput(
                f"train.{key}.monitor: '{monitor}' needs a validation split, and data.split.val "
                f"is 0; set it above 0 or monitor '{monitor.removeprefix('val_')}'"
            )
