"""``report.html``: one self-contained page from a run folder, in workflow order.

Figures are inlined (SVG markup, PNG as data URIs), so the page opens from disk,
offline, and can be mailed as one file. Tables are HTML, not pictures.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from pathlib import Path

import yaml
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from dlworkflow.atomic import write_text
from dlworkflow.report.reader import RunRecord, read_run

_XML_PROLOGUE = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*", re.DOTALL)


def inline_figure(path: Path | None, alt: str = "") -> Markup:
    """The figure as markup to paste into the page (empty when there is none)."""
    if path is None:
        return Markup("")
    if path.suffix == ".svg":
        return Markup(_XML_PROLOGUE.sub("", path.read_text(encoding="utf-8")))
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return Markup(f'<img alt="{Markup.escape(alt)}" src="data:image/png;base64,{encoded}">')


def page_templates() -> Environment:
    """The templates of every dlworkflow page (one look: shared CSS, the ``num`` filter)."""
    environment = Environment(
        loader=PackageLoader("dlworkflow.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["num"] = _number
    return environment


def build_report(folder: str | Path) -> Path:
    """Write ``report.html`` into the run folder and return its path."""
    if _task(Path(folder)) == "detection":  # its own page: boxes, mAP, mistakes per image
        from dlworkflow.report.detection import build_detection_report

        return build_detection_report(folder)
    record = read_run(folder)
    model_rows, totals = _model_table(record.model_path)
    template = page_templates().get_template("report.html.j2")
    html = template.render(
        run=record,
        name=record.config.get("name", record.folder.name),
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        figure=_figure_reader(record.folder),
        figure_for={
            key: _figure_reader(record.folder / "evaluations" / key) for key in record.evaluations
        },
        model_rows=model_rows,
        totals=totals,
        history_rows=_history_rows(record),
        config_yaml=yaml.safe_dump(record.config, sort_keys=False, allow_unicode=True),
    )
    return write_text(record.folder / "report.html", html)


def _task(folder: Path) -> str | None:
    import json

    path = folder / "data.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("task") if path.is_file() else None
    except (ValueError, AttributeError):
        return None  # read_run names what is wrong with it


def _figure_reader(folder: Path):
    """Inline figures by name from ``folder/figures`` (the run's, or an evaluation's)."""

    def figure(name: str, alt: str = "") -> Markup:
        path = folder / "figures" / name
        return inline_figure(path if path.is_file() else None, alt)

    return figure


def _model_table(path: Path) -> tuple[list[dict], dict[str, int]]:
    from dlworkflow.models.resolve import MISSING_FROM_RUN, load_model_file
    from dlworkflow.models.summary import layer_table, param_totals

    model = load_model_file(path, MISSING_FROM_RUN)
    return layer_table(model), param_totals(model)


def _history_rows(record: RunRecord) -> list[dict]:
    names = list(record.history)
    count = len(record.history.get("loss", []))
    return [{"epoch": i + 1, **{n: record.history[n][i] for n in names}} for i in range(count)]


def _number(value: object, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e-3 and value else f"{value:.{digits}f}"
    return str(value)
