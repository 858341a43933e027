"""Opening, filling and closing a run folder: shared by ordinary and transfer runs."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
from markupsafe import Markup
from rich.console import Console
from rich.markup import escape

from dlworkflow import runfolder
from dlworkflow.atomic import json_text, write_json, write_text
from dlworkflow.config import ExperimentConfig
from dlworkflow.data import Dataset
from dlworkflow.evaluate.display import Evaluation
from dlworkflow.evaluate.plots import training_curves_figure
from dlworkflow.experiments.environment import describe_environment
from dlworkflow.experiments.survey_reuse import survey_once
from dlworkflow.models.summary import model_table
from dlworkflow.pages.notebook import figure_html, html_block, html_table
from dlworkflow.report import build_report
from dlworkflow.train.checkpoints import check_resume_state


@dataclass
class Run:
    """A finished run: its folder and everything in it, already loaded."""

    folder: Path
    config: ExperimentConfig
    dataset: Dataset
    model: keras.Model
    history: dict[str, list[float]]
    metrics: dict[str, Any]

    def _repr_html_(self) -> str:
        """In a notebook: the run's numbers, its training curves and its evaluation."""
        numbers = [(k, v) for k, v in self.metrics.items() if isinstance(v, int | float | str)]
        curves = training_curves_figure(self.history, self.metrics.get("best_epoch"))
        evaluation = Evaluation(self.metrics.get("evaluation") or {})
        return html_block(
            f"Run {self.folder.name}",
            html_table([("folder", str(self.folder)), *numbers], ("", "value")),
            figure_html(curves, "training curves"),
            *([Markup(evaluation._repr_html_())] if evaluation else []),
        )


@contextlib.contextmanager
def open_run_folder(
    config: ExperimentConfig,
    dataset: Dataset,
    runs_dir: Path,
    console: Console,
    data_record: dict[str, Any] | None = None,
    survey: Callable[[Path], object] | None = None,
    model: keras.Model | None = None,
) -> Iterator[tuple[Path, bool]]:
    """Choose (or resume) ``runs_dir/<name>``, hold its lock, and write what a run knows
    before training: the config, the environment, the data record and its survey
    (``survey(figures_dir)``; by default the classification/regression survey). A resumed
    folder's training state is checked first (against ``model`` when given).

    Yields ``(folder, resuming)``; the lock is released when the block ends, however.
    """
    config_yaml = config.to_yaml()
    folder, resuming = runfolder.choose_folder(runs_dir, config.name, config_yaml)
    if resuming:  # a damaged or crafted resume state is refused before anything is written
        check_resume_state(folder / runfolder.CHECKPOINTS, model)
    with runfolder.folder_lock(folder):
        console.print(f"{'resuming' if resuming else 'run'} [bold]{escape(str(folder))}[/bold]")
        if not resuming:
            write_text(folder / runfolder.CONFIG, config_yaml)
            write_json(
                folder / runfolder.ENVIRONMENT,
                describe_environment(config.seed, config.train.precision),
            )
        if not (folder / runfolder.DATA).is_file():  # new, or cut off during its survey
            record = json_text(data_record or dataset.describe())
            if survey is None:  # compared as it will be written, so through JSON
                survey_once(dataset, json.loads(record), folder)
            else:
                survey(folder / runfolder.FIGURES)
            # after the survey: a sibling run (a sweep's, running at the same time) that
            # finds this record copies a complete set of figures, never a half-drawn one
            write_text(folder / runfolder.DATA, record)
        yield folder, resuming


def close_run_folder(folder: Path, model: keras.Model, metrics: dict[str, Any]) -> None:
    """Training's checkpoints go; the model's table, then ``metrics.json`` (the finished
    marker), then the report are written."""
    shutil.rmtree(folder / runfolder.CHECKPOINTS, ignore_errors=True)
    write_json(folder / runfolder.MODEL_TABLE, model_table(model))
    write_json(folder / runfolder.FINISHED, metrics)
    build_report(folder)


def saved_learnability(folder: Path) -> dict | None:
    """A resumed run keeps the learnability check its first start made."""
    path = folder / runfolder.DIAGNOSTICS
    return runfolder.read_json(path).get("learnability") if path.is_file() else None
