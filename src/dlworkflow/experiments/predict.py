"""A finished run's model on new inputs: its recorded preprocessing replayed, answers
in the run's class names (``dlw predict``, ``dlworkflow.predict``, and ``dlw serve``).

The CLI and the server share this one path, so an answer over HTTP equals the one
``dlw predict`` prints for the same input.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dlworkflow.errors import BadInput
from dlworkflow.evaluate.multilabel import Thresholds, decide
from dlworkflow.experiments.inputs import (
    MAX_PIXELS,
    InputSpec,
    Samples,
    read_inputs,
    rows_from_json,
)
from dlworkflow.experiments.multilabel import recorded_thresholds
from dlworkflow.interpret.images import raw_top
from dlworkflow.runfolder import RunRecord, read_run

if TYPE_CHECKING:
    import keras

BATCH_SIZE = 256


@dataclass
class Predictor:
    """A run's model with what it needs to take raw inputs and answer in class names."""

    record: RunRecord
    model: keras.Model
    spec: InputSpec

    @classmethod
    def open(cls, run: str | Path | RunRecord) -> Predictor:
        record = run if isinstance(run, RunRecord) else read_run(run)
        if not record.head_in_model:
            raise BadInput(
                f"{record.folder}: its k-NN head is kept outside model.keras, so the model gives "
                "features, not answers; predict with a run whose head is linear, dense or "
                "fine-tuned"
            )
        data = record.data
        spec = InputSpec(
            shape=tuple(int(n) for n in data["input_shape"]),
            kind=str(data.get("kind", "table")),
            top=raw_top(record.preprocessing),
            feature_names=tuple(data.get("feature_names") or ()),
        )
        return cls(record, record.model(), spec)

    @property
    def task(self) -> str:
        return str(self.record.data.get("task", "multiclass"))

    @property
    def class_names(self) -> list[str]:
        return self.record.class_names

    def prepare(self, raw: np.ndarray) -> np.ndarray:
        """Raw samples as the model takes them: the run's scaling, then its input shape."""
        x = self.record.preprocessing.apply(np.asarray(raw, np.float32))
        return x.reshape(len(x), *self.model.input_shape[1:])

    def outputs(
        self, raw: np.ndarray, run: Callable[[np.ndarray], Any] | None = None
    ) -> np.ndarray:
        """Class probabilities (N, classes), or regression values (N, outputs).

        ``run`` calls the model on a prepared batch (default: ``predict_on_batch`` in
        batches of ``BATCH_SIZE``); the server passes its batcher's.
        """
        x = self.prepare(raw)
        run = run or self.model.predict_on_batch
        parts = [np.asarray(run(x[i : i + BATCH_SIZE])) for i in range(0, len(x), BATCH_SIZE)]
        return self.finish(np.concatenate(parts) if parts else np.zeros((0, 1)))

    def finish(self, y: np.ndarray) -> np.ndarray:
        """The model's raw output rows as probabilities per class (one sigmoid unit gives
        two columns) or values."""
        y = np.asarray(y, np.float64).reshape(len(y), -1)
        if self.task != "regression" and y.shape[1] == 1:
            y = np.column_stack([1.0 - y[:, 0], y[:, 0]])
        return y

    def answers(self, names: list[str], outputs: np.ndarray, top_k: int = 3) -> list[dict]:
        """One plain answer per sample: class, probability and the top k, the value, or
        (multilabel) the labels at or above their thresholds with every probability."""
        if self.task == "multilabel":
            thresholds = recorded_thresholds(self.record)
            return multilabel_answers(names, outputs, self.class_names, thresholds)
        if self.task == "regression":
            return [
                {"input": name, "value": row.tolist() if len(row) > 1 else float(row[0])}
                for name, row in zip(names, outputs, strict=True)
            ]
        classes = self.class_names or [str(i) for i in range(outputs.shape[1])]
        k = max(1, min(top_k, len(classes)))
        answers = []
        for name, row in zip(names, outputs, strict=True):
            order = np.argsort(-row, kind="stable")[:k]
            answers.append(
                {
                    "input": name,
                    "class": classes[int(order[0])],
                    "probability": float(row[order[0]]),
                    "top": [
                        {"class": classes[int(i)], "probability": float(row[i])} for i in order
                    ],
                }
            )
        return answers

    def predict(
        self,
        inputs: list[str | Path] | np.ndarray,
        top_k: int = 3,
        max_pixels: int = MAX_PIXELS,
        progress: Callable[[int], None] | None = None,
    ) -> list[dict]:
        """Answers for files/folders (images, CSV, ``.npy``) or an array of raw samples."""
        if isinstance(inputs, np.ndarray):
            x = rows_from_json(inputs, "array", self.spec)
            samples = Samples([str(i) for i in range(len(x))], x)
        else:
            samples = read_inputs(list(inputs), self.spec, max_pixels)
        outputs = []
        for start in range(0, len(samples), BATCH_SIZE):
            outputs.append(self.outputs(samples.x[start : start + BATCH_SIZE]))
            if progress is not None:
                progress(min(BATCH_SIZE, len(samples) - start))
        return self.answers(samples.names, np.concatenate(outputs), top_k)


def multilabel_answers(
    names: list[str], outputs: np.ndarray, labels: list[str], thresholds: Thresholds
) -> list[dict]:
    """Per sample, the set of labels whose probability reaches its threshold."""
    on = decide(outputs, thresholds)
    return [
        {
            "input": name,
            "labels": [label for label, yes in zip(labels, flags, strict=True) if yes],
            "probabilities": {label: float(p) for label, p in zip(labels, row, strict=True)},
        }
        for name, row, flags in zip(names, outputs, on, strict=True)
    ]


def predict(
    run: str | Path | RunRecord,
    inputs: list[str | Path] | str | Path | np.ndarray,
    top_k: int = 3,
) -> list[dict]:
    """Answers of ``run``'s model for ``inputs`` (files, folders, CSV, ``.npy``, an array).

    Each answer names its input and gives the class with its probability and the top
    ``top_k`` classes, or the regression value.
    """
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    return Predictor.open(run).predict(inputs, top_k)


def answers_csv(answers: list[dict]) -> str:
    """Answers as CSV: input, class and probability, then the top k (or the value)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if answers and "value" in answers[0]:
        writer.writerow(["input", "value"])
        writer.writerows([a["input"], json.dumps(a["value"])] for a in answers)
        return buffer.getvalue()
    if answers and "labels" in answers[0]:  # multilabel: the set, then each probability
        names = list(answers[0]["probabilities"])
        writer.writerow(["input", "labels", *names])
        writer.writerows(
            [a["input"], ";".join(a["labels"]), *(f"{a['probabilities'][n]:.6f}" for n in names)]
            for a in answers
        )
        return buffer.getvalue()
    k = max((len(a["top"]) for a in answers), default=1)
    header = ["input", "class", "probability"]
    for rank in range(1, k + 1):
        header += [f"top{rank}_class", f"top{rank}_probability"]
    writer.writerow(header)
    for answer in answers:
        row = [answer["input"], answer["class"], f"{answer['probability']:.6f}"]
        for top in answer["top"]:
            row += [top["class"], f"{top['probability']:.6f}"]
        writer.writerow(row)
    return buffer.getvalue()
