"""A from-scratch lesson (:mod:`dlworkflow.scratch.lessons`) as an ordinary run folder,
so ``dlw report``/``dlw compare`` read it like any other run.

Besides the usual files (config.yaml, environment.json, data.json, history.csv,
metrics.json last, figures/, report.html) it holds ``scratch.json``: the lesson's
tables (values, gradients, weights, the Keras comparison) that its report shows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from pathlib import Path

import yaml

from dlworkflow.atomic import write_json, write_text
from dlworkflow.experiments.environment import describe_environment
from dlworkflow.experiments.folders import COMPLETE_MARKER, choose_folder
from dlworkflow.figures import save_figure
from dlworkflow.report import build_report
from dlworkflow.report.scratch import SCRATCH_FILE  # marks a lesson; its report reads it
from dlworkflow.scratch.lessons import Lesson


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
