"""A from-scratch lesson (:mod:`dlworkflow.scratch.lessons`) as an ordinary run folder,
so ``dlw report``/``dlw compare`` read it like any other run.

Besides the usual files (config.yaml, environment.json, data.json, history.csv,
metrics.json last, figures/, report.html) it holds ``scratch.json``: the lesson's
tables (values, gradients, weights, the Keras comparison) that its report shows.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import yaml

from dlworkflow import runfolder
from dlworkflow.atomic import write_json, write_text
from dlworkflow.experiments.environment import describe_environment
from dlworkflow.figures import save_figure
from dlworkflow.report import build_report
from dlworkflow.scratch.lessons import Lesson


def write_lesson(lesson: Lesson, runs_dir: Path, seed: int = 0) -> Path:
    """Write the run folder (``runs_dir/<config name>``, -2, -3… when taken) and its report."""
    config_yaml = yaml.safe_dump(lesson.config, sort_keys=False, allow_unicode=True)
    folder, _ = runfolder.choose_folder(Path(runs_dir), lesson.config["name"], config_yaml)
    with runfolder.folder_lock(folder):
        _fill(folder, lesson, config_yaml, seed)
    return folder


def _fill(folder: Path, lesson: Lesson, config_yaml: str, seed: int) -> None:
    write_text(folder / runfolder.CONFIG, config_yaml)
    write_json(folder / runfolder.ENVIRONMENT, describe_environment(seed))
    write_json(folder / runfolder.DATA, lesson.data)
    for name, figure in lesson.figures.items():
        save_figure(figure, folder / runfolder.FIGURES / name)
    write_text(folder / runfolder.HISTORY, runfolder.history_csv(lesson.history))
    write_json(
        folder / runfolder.SCRATCH,
        {
            "command": lesson.command,
            "summary": [list(pair) for pair in lesson.summary],
            "tables": [asdict(table) for table in lesson.tables],
            "figures": list(lesson.figures),
        },
    )
    write_json(folder / runfolder.FINISHED, lesson.metrics)
    build_report(folder)
