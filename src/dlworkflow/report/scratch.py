"""``report.html`` of a from-scratch lesson: its summary, tables, figures and Keras check.

Built from the run folder alone, like every report; a lesson has no ``model.keras``,
so the layer table of ordinary runs gives way to the lesson's own tables.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import yaml

from dlworkflow import runfolder
from dlworkflow.atomic import write_text
from dlworkflow.errors import BadInput
from dlworkflow.pages import inline_figure, render
from dlworkflow.runfolder import read_run


def is_scratch_run(folder: str | Path) -> bool:
    return (Path(folder) / runfolder.SCRATCH).is_file()


def build_scratch_report(folder: str | Path) -> Path:
    record = read_run(folder)
    path = record.folder / runfolder.SCRATCH
    try:
        lesson = json.loads(path.read_text(encoding="utf-8"))
        tables, summary, figures = lesson["tables"], lesson["summary"], lesson["figures"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as error:
        raise BadInput(f"{path}: corrupt lesson file ({error})") from None
    html = render(
        "dlworkflow.report",
        "scratch.html.j2",
        run=record,
        name=record.name,
        short=short_number,
        command=lesson.get("command", ""),
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        summary=summary,
        tables=tables,
        figures=figures,
        figure=lambda name, alt="": inline_figure(record.figure_path(name), alt),
        config_yaml=yaml.safe_dump(record.config, sort_keys=False, allow_unicode=True),
    )
    return write_text(record.folder / runfolder.REPORT, html)


def short_number(value: object) -> str:
    """Seven significant digits, as a calculator shows them (the notes' numbers stay short)."""
    if isinstance(value, float):
        return f"{value:.3g}" if value and abs(value) < 1e-3 else f"{value:.7g}"
    return str(value)
