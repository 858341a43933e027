"""``report.html`` of a from-scratch lesson: its summary, tables, figures and Keras check.

Built from the run folder alone, like every report; a lesson has no ``model.keras``,
so the layer table of ordinary runs gives way to the lesson's own tables.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import yaml

from dlworkflow.atomic import write_text
from dlworkflow.errors import BadInput
from dlworkflow.report.build import _figure_reader, page_templates
from dlworkflow.report.reader import read_run

SCRATCH_FILE = "scratch.json"


def is_scratch_run(folder: str | Path) -> bool:
    return (Path(folder) / SCRATCH_FILE).is_file()


def build_scratch_report(folder: str | Path) -> Path:
    record = read_run(folder)
    path = record.folder / SCRATCH_FILE
    try:
        lesson = json.loads(path.read_text(encoding="utf-8"))
        tables, summary, figures = lesson["tables"], lesson["summary"], lesson["figures"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as error:
        raise BadInput(f"{path}: corrupt lesson file ({error})") from None
    templates = page_templates()
    templates.filters["value"] = short_number
    html = templates.get_template("scratch.html.j2").render(
        run=record,
        name=record.config.get("name", record.folder.name),
        command=lesson.get("command", ""),
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        summary=summary,
        tables=tables,
        figures=figures,
        figure=_figure_reader(record.folder),
        config_yaml=yaml.safe_dump(record.config, sort_keys=False, allow_unicode=True),
    )
    return write_text(record.folder / "report.html", html)


def short_number(value: object) -> str:
    """Seven significant digits, as a calculator shows them (the notes' numbers stay short)."""
    if isinstance(value, float):
        return f"{value:.3g}" if value and abs(value) < 1e-3 else f"{value:.7g}"
    return str(value)
