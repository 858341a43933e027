"""``dlw evaluate``: a finished run's model on another dataset, as a new report section."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow import runfolder
from dlworkflow.atomic import write_json
from dlworkflow.data import DataSpec, load_dataset
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.evaluation import evaluate_predictions
from dlworkflow.experiments.multilabel import recorded_thresholds
from dlworkflow.experiments.preparation import predict_with
from dlworkflow.report import build_report
from dlworkflow.runfolder import read_run


def evaluate_run(folder: str | Path, data: DataSpec | dict[str, Any] | str) -> dict:
    """Evaluate ``folder``'s model on ``data`` (its own test set, else every sample).

    The run's recorded preprocessing is replayed on the new inputs, so the model sees
    what it saw in training. Results go to ``evaluations/<source>/`` and the report.
    """
    record = read_run(folder)
    if record.sequence:
        raise BadInput(
            f"{record.folder}: a {record.sequence['task']} run; its evaluation is in its report "
            "(dlw predict gives new forecasts or labels)"
        )
    if isinstance(data, DataSpec):
        data = data.model_dump()
    elif isinstance(data, str):
        data = {"source": data}
    dataset = load_dataset({**data, "split": {"val": 0.0, "test": 0.0}})
    source = str(data.get("source", "data"))
    split = dataset.test if dataset.own_test_set else dataset.train
    expected = tuple(record.data["input_shape"])
    if dataset.input_shape != expected:
        raise BadInput(
            f"--data: inputs of shape {dataset.input_shape} do not fit the run's model, trained "
            f"on {expected}; resize the images (e.g. -o image_size=[{expected[0]},{expected[1]}])"
            if len(expected) == 3
            else f"--data: inputs of shape {dataset.input_shape} do not fit the run's {expected}"
        )
    if dataset.task != record.data["task"] and {dataset.task, record.data["task"]} != {
        "binary",
        "multiclass",
    }:
        raise BadInput(
            f"--data: a {dataset.task} dataset cannot evaluate a {record.data['task']} model"
        )
    theirs, ours = list(dataset.class_names or []), record.class_names
    if theirs and ours and theirs != ours:  # matched by index, they would mean other things
        shown = ", ".join(theirs[:5]) + ("…" if len(theirs) > 5 else "")
        raise BadInput(
            f"--data: its classes ({shown}) are not the run's ({', '.join(ours[:5])}"
            f"{'…' if len(ours) > 5 else ''}); a model scores only the classes it was trained on"
        )
    dataset.class_names = dataset.class_names or record.data["class_names"]
    if len(dataset.class_names) != len(record.data["class_names"]):
        raise BadInput(
            f"--data: {len(dataset.class_names)} classes, but the model was trained on "
            f"{len(record.data['class_names'])}"
        )
    dataset.preprocessing = record.preprocessing  # the run's, replayed
    model = record.model()
    predict = predict_with(model)
    if not record.head_in_model:
        from dlworkflow.transfer.heads import head_predictor

        predict = head_predictor(model, record.folder / runfolder.HEAD)  # k-NN heads
    y_prob = predict(dataset.preprocessing.apply(split.x))
    if dataset.task == "regression":
        y_prob = dataset.preprocessing.decode_target(y_prob)
    key = re.sub(r"[^A-Za-z0-9._-]+", "_", source).strip("_") or "data"
    target = record.folder / runfolder.EVALUATIONS / key
    thresholds = recorded_thresholds(record)  # multilabel: the run's own cuts
    evaluation = evaluate_predictions(
        dataset, split, np.asarray(y_prob), target / runfolder.FIGURES, predict, thresholds
    )
    result = {"source": source, "samples": len(split), "evaluation": evaluation}
    write_json(target / runfolder.METRICS, result)
    build_report(record.folder)
    return result
