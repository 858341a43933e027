"""Two-stage fine-tuning: train a new head on the frozen base, then unfreeze its end.

Each stage is an ordinary resumable :func:`dlworkflow.train.loop` into its own folder
under ``stages/``; a run killed in stage 2 resumes there, stage 1 being already done.
BatchNormalization layers stay frozen in both stages: a frozen BN layer runs in
inference mode in Keras, so its moving statistics from pretraining are kept (unfreezing
them on a small dataset would overwrite them with noisy batch statistics).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from rich.console import Console

from dlworkflow.errors import BadInput
from dlworkflow.models import Head
from dlworkflow.models.summary import layer_table
from dlworkflow.train import CompilePlan, TrainResult, fit
from dlworkflow.train.checkpoints import monitor_mode
from dlworkflow.train.spec import CompileSpec, TrainSpec
from dlworkflow.transfer.spec import FineTuneSpec

Arrays = tuple[np.ndarray, np.ndarray]


@dataclass
class FineTuneResult:
    model: keras.Model
    history: dict[str, list[float]]  # both stages, with a ``stage`` column
    best_epoch: int | None
    stage_starts: tuple[int, ...]
    seconds: list[float]
    trainable: list[dict]  # per layer: name, type, params, stage1, stage2
    result: TrainResult  # of the stage the final model comes from


def fine_tune_model(features: keras.Model, spec: FineTuneSpec, head: Head) -> keras.Model:
    """The notes' head on the feature model: Dense relu → Dropout → output, base frozen."""
    base_of(features).trainable = False
    x = keras.layers.Dense(spec.dense, activation="relu", name="head_dense")(features.output)
    x = keras.layers.Dropout(spec.dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(head.units, activation=head.activation, name="output")(x)
    return keras.Model(features.input, outputs, name="fine_tune")


def base_of(model: keras.Model) -> keras.Model:
    """The nested pretrained base inside a feature or fine-tuning model."""
    return next(layer for layer in model.layers if isinstance(layer, keras.Model))


def unfreeze_targets(base: keras.Model, unfreeze: int | str) -> list[keras.layers.Layer]:
    """The last ``unfreeze`` layers of the base, or from the named layer (or the first of a
    named block: ``block5`` is ``block5_conv1``…) to the end."""
    layers = [layer for layer in base.layers if not isinstance(layer, keras.layers.InputLayer)]
    if isinstance(unfreeze, int):
        return layers[-unfreeze:]
    names = [layer.name for layer in layers]
    first = next((i for i, name in enumerate(names) if name == unfreeze), None)
    if first is None:
        first = next((i for i, name in enumerate(names) if name.startswith(f"{unfreeze}_")), None)
    if first is None:
        raise BadInput(
            f"transfer.fine_tune.stage2.unfreeze: the base has no layer or block '{unfreeze}'; "
            f"candidates: {', '.join(names[-40:])}"
        )
    return layers[first:]


def set_stage_two(model: keras.Model, unfreeze: int | str) -> None:
    base = base_of(model)
    targets = {id(layer) for layer in unfreeze_targets(base, unfreeze)}
    base.trainable = True
    for layer in base.layers:
        frozen = id(layer) not in targets or isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = not frozen


def two_stages(
    model: keras.Model,
    train: Arrays,
    validation: Arrays | None,
    spec: FineTuneSpec,
    train_spec: TrainSpec,
    plan: CompilePlan,
    folder: Path,
    seed: int,
    console: Console | None = None,
) -> FineTuneResult:
    """Stage 1 with the experiment's ``train`` settings and compile ``plan``; stage 2 per
    ``spec.stage2`` (unfreeze, optimizer, epochs)."""
    stage_one = _trainable(model)
    first = fit(model, train, validation, train_spec, folder / "stages" / "1", seed, console)
    results = [first]
    stage_two = stage_one
    if spec.stage2.epochs > 0:
        second_model = first.model
        set_stage_two(second_model, spec.stage2.unfreeze)
        stage_two = _trainable(second_model)
        plan.compile(
            second_model,
            CompileSpec(loss=plan.loss, optimizer=spec.stage2.optimizer, metrics=plan.metrics),
        )
        second_spec = train_spec.model_copy(update={"epochs": spec.stage2.epochs, "lr": None})
        results.append(
            fit(
                second_model,
                train,
                validation,
                second_spec,
                folder / "stages" / "2",
                seed + 1,
                console,
            )
        )
    history: dict[str, list[float]] = {}
    for number, result in enumerate(results, start=1):
        epochs = len(result.history.get("loss", []))
        for key, values in [*result.history.items(), ("stage", [float(number)] * epochs)]:
            history.setdefault(key, []).extend(values)
    best = _best_stage(results, train_spec.checkpoint.monitor)
    offset = sum(len(r.history.get("loss", [])) for r in results[: results.index(best)])
    trainable = [
        {**row, "stage1": stage_one[row["name"]], "stage2": stage_two[row["name"]]}
        for row in _rows(model)
    ]
    return FineTuneResult(
        model=best.model,
        history=history,
        best_epoch=None if best.best_epoch is None else offset + best.best_epoch,
        stage_starts=(len(first.history.get("loss", [])) + 1,) if len(results) > 1 else (),
        seconds=[r.seconds for r in results],
        trainable=trainable,
        result=best,
    )


def _best_stage(results: list[TrainResult], monitor: str) -> TrainResult:
    """The stage whose best epoch scored best on the checkpoint monitor."""

    def score(result: TrainResult) -> float:
        values = result.history.get(monitor, [])
        if result.best_epoch is None or not values:
            return -np.inf
        value = values[result.best_epoch - 1]
        return value if monitor_mode(monitor) == "max" else -value

    return max(reversed(results), key=score)  # a tie goes to the later, fine-tuned stage


def _rows(model: keras.Model) -> list[dict]:
    return [
        {"name": row["name"], "type": row["type"], "params": row["params"]}
        for row in layer_table(model, expand_nested=True)
        if row["type"] != "InputLayer"
    ]


def _trainable(model: keras.Model) -> dict[str, bool]:
    """Whether each layer (nested ones opened) is trained; Keras passes a nested model's
    flag down to its layers."""
    return {row["name"]: row["trainable"] for row in layer_table(model, expand_nested=True)}
