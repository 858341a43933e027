"""``report.html`` of a detection run: data, model, training, mAP and the mistakes."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import yaml

from dlworkflow.atomic import write_text
from dlworkflow.report.build import _figure_reader, page_templates

SHOWN_MISTAKES = 20  # rows of the mistakes table; mistakes.json has every image


def build_detection_report(folder: str | Path) -> Path:
    """Write ``report.html`` into a finished detection run folder."""
    from dlworkflow.models.resolve import MISSING_FROM_RUN, load_model_file
    from dlworkflow.models.summary import layer_table, param_totals

    folder = Path(folder)

    def read(name: str):
        return json.loads((folder / name).read_text(encoding="utf-8"))

    model = load_model_file(folder / "model.keras", MISSING_FROM_RUN)
    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    html = (
        page_templates()
        .get_template("detection.html.j2")
        .render(
            name=config.get("name", folder.name),
            created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            data=read("data.json"),
            metrics=read("metrics.json"),
            diag=read("diagnostics.json"),
            mistakes=read("mistakes.json")[:SHOWN_MISTAKES],
            model_rows=layer_table(model),
            totals=param_totals(model),
            figure=_figure_reader(folder),
            config_yaml=yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        )
    )
    return write_text(folder / "report.html", html)
