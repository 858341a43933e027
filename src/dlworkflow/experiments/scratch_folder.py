"""A from-scratch lesson as an ordinary run folder, so ``dlw report``/``dlw compare``
read it like any other run.

Besides the usual files (config.yaml, environment.json, data.json, history.csv,
metrics.json last, figures/, report.html) it holds ``scratch.json``: the lesson's
tables (values, gradients, weights, the Keras comparison) that its report shows.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from matplotlib.figure import Figure

from dlworkflow.atomic import write_json, write_text
from dlworkflow.experiments.environment import describe_environment
from dlworkflow.experiments.folders import COMPLETE_MARKER, choose_folder
from dlworkflow.figures import save_figure
from dlworkflow.report import build_report
from dlworkflow.report.scratch import SCRATCH_FILE  # marks a lesson; its report reads it


@dataclass
class Table:
    """A titled table of plain values, for the terminal and the report alike."""

    id: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class Lesson:
    """Everything one ``dlw scratch`` command computed, before anything is written."""

    command: str
    config: dict[str, Any]  # the options that produced it (config.yaml)
    data: dict[str, Any]  # data.json: name, task, kind, shapes, class names, splits
    summary: list[tuple[str, str]]  # (label, value) lines, printed and shown as cards
    tables: list[Table] = field(default_factory=list)
    figures: dict[str, Figure] = field(default_factory=dict)  # file name → figure
    history: dict[str, list[float]] = field(default_factory=dict)  # one row per iteration
    metrics: dict[str, Any] = field(default_factory=dict)


def describe_data(
    name: str, task: str, x: np.ndarray, y: np.ndarray, class_names: list[str] | None = None
) -> dict[str, Any]:
    """data.json of an in-memory table: its one split is everything (train)."""
    digest = hashlib.sha256(np.ascontiguousarray(x, np.float64).tobytes())
    digest.update(np.ascontiguousarray(y, np.float64).tobytes())
    return {
        "name": name,
        "task": task,
        "kind": "tabular" if x.ndim <= 2 else "image",
        "input_shape": list(x.shape[1:]),
        "class_names": class_names or [],
        "splits": {
            "train": {"size": int(len(x)), "x_shape": list(x.shape), "sha256": digest.hexdigest()}
        },
    }


def write_lesson(lesson: Lesson, runs_dir: Path, seed: int = 0) -> Path:
    """Write the run folder (``runs_dir/<config name>``, -2, -3… when taken) and its report."""
    config_yaml = yaml.safe_dump(lesson.config, sort_keys=False, allow_unicode=True)
    folder, _ = choose_folder(Path(runs_dir), lesson.config["name"], config_yaml)
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / "config.yaml", config_yaml)
    write_json(folder / "environment.json", describe_environment(seed))
    write_json(folder / "data.json", lesson.data)
    for name, figure in lesson.figures.items():
        save_figure(figure, folder / "figures" / name)
    write_text(folder / "history.csv", _history_csv(lesson.history))
    write_json(
        folder / SCRATCH_FILE,
        {
            "command": lesson.command,
            "summary": [list(pair) for pair in lesson.summary],
            "tables": [asdict(table) for table in lesson.tables],
            "figures": list(lesson.figures),
        },
    )
    write_json(folder / COMPLETE_MARKER, lesson.metrics)
    build_report(folder)
    return folder


def _history_csv(history: dict[str, list[float]]) -> str:
    """``epoch`` (= iteration: every step sees the whole batch) and one column per series."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = list(history)
    writer.writerow(["epoch", *names])
    for index in range(max((len(v) for v in history.values()), default=0)):
        writer.writerow([index + 1, *(repr(float(history[n][index])) for n in names)])
    return buffer.getvalue()
