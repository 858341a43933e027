"""``report.html``: one self-contained page from a run folder, in workflow order.

Figures are inlined as data-URI images, so the page opens from disk, offline, and can
be mailed as one file. Tables are HTML, not pictures. The layer table comes from
``model_table.json``, written at run time, so building a page needs no Keras.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import yaml
from markupsafe import Markup

from dlworkflow import runfolder
from dlworkflow.atomic import write_text
from dlworkflow.pages import inline_figure, render
from dlworkflow.report.tables import run_model_table
from dlworkflow.runfolder import RunRecord, read_run


def build_report(folder: str | Path) -> Path:
    """Write ``report.html`` into the run folder and return its path."""
    from dlworkflow.report.scratch import build_scratch_report, is_scratch_run

    if is_scratch_run(folder):  # a from-scratch lesson: no Keras model, its own tables
        return build_scratch_report(folder)
    record = read_run(folder)
    if record.data.get("task") == "detection":  # its own page: boxes, mAP, mistakes
        from dlworkflow.report.detection import build_detection_report

        return build_detection_report(record)
    table = run_model_table(record)
    html = render(
        "dlworkflow.report",
        "report.html.j2",
        run=record,
        name=record.name,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        figure=_figure_reader(record),
        figure_for={key: _figure_reader(record, key) for key in record.evaluations},
        model_rows=table["layers"],
        totals=table["totals"],
        history_rows=_history_rows(record),
        explanations=_explanations_link(record),
        config_yaml=yaml.safe_dump(record.config, sort_keys=False, allow_unicode=True),
    )
    return write_text(record.folder / runfolder.REPORT, html)


def _explanations_link(record: RunRecord) -> str | None:
    """The relative link to ``dlw explain``'s index of this run, once there is one."""
    index = Path(runfolder.EXPLANATIONS) / runfolder.EXPLANATION_INDEX
    return index.as_posix() if (record.folder / index).is_file() else None


def _figure_reader(record: RunRecord, evaluation: str | None = None):
    """Inline figures by name from the run's ``figures/`` (or an evaluation's)."""

    def figure(name: str, alt: str = "") -> Markup:
        return inline_figure(record.figure_path(name, evaluation), alt)

    return figure


def _history_rows(record: RunRecord) -> list[dict]:
    names = list(record.history)
    count = len(record.history.get("loss", []))
    return [{"epoch": i + 1, **{n: record.history[n][i] for n in names}} for i in range(count)]
