"""``report.html`` of a detection run: data, model, training, mAP and the mistakes."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import yaml

from dlworkflow import runfolder
from dlworkflow.atomic import write_text
from dlworkflow.pages import inline_figure, render
from dlworkflow.report.tables import run_model_table
from dlworkflow.runfolder import RunRecord

SHOWN_MISTAKES = 20  # rows of the mistakes table; mistakes.json has every image
MISTAKES = "mistakes.json"


def build_detection_report(record: RunRecord) -> Path:
    """Write ``report.html`` into a finished detection run folder."""
    table = run_model_table(record)
    mistakes = runfolder.read_json_list(record.folder / MISTAKES)
    html = render(
        "dlworkflow.report",
        "detection.html.j2",
        name=record.name,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        data=record.data,
        metrics=record.metrics,
        diag=record.diagnostics,
        mistakes=mistakes[:SHOWN_MISTAKES],
        model_rows=table["layers"],
        totals=table["totals"],
        figure=lambda name, alt="": inline_figure(record.figure_path(name), alt),
        config_yaml=yaml.safe_dump(record.config, sort_keys=False, allow_unicode=True),
    )
    return write_text(record.folder / runfolder.REPORT, html)
