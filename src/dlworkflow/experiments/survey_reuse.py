"""Survey figures are drawn once per dataset: they depend on the data alone, so a run
whose ``data.json`` equals a sibling run's (same source, classes, split sizes and
sha256 checksums) copies that run's figures instead of drawing them again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dlworkflow import runfolder
from dlworkflow.atomic import write_bytes
from dlworkflow.data import Dataset
from dlworkflow.data.survey import survey_figures

SURVEY_FILES = ("class_distribution.svg", "samples.png", "scatter.svg")  # survey_figures'


def survey_once(dataset: Dataset, record: dict[str, Any], folder: Path) -> list[Path]:
    """Copy the survey from a sibling run of the same data, else draw it."""
    figures = folder / runfolder.FIGURES
    source = _sibling_with(record, folder)
    if source is not None:
        found = [source / name for name in SURVEY_FILES if (source / name).is_file()]
        if found:
            for path in found:
                write_bytes(figures / path.name, path.read_bytes())
            return [figures / path.name for path in found]
    return survey_figures(dataset, figures)


def _sibling_with(record: dict[str, Any], folder: Path) -> Path | None:
    """The figures folder of a run next to ``folder`` whose data record equals ``record``."""
    for data in sorted(folder.parent.glob(f"*/{runfolder.DATA}")):
        if data.parent == folder:
            continue
        try:
            if json.loads(data.read_text(encoding="utf-8")) == record:
                return data.parent / runfolder.FIGURES
        except (OSError, ValueError):
            continue  # unreadable or half-written: draw rather than trust it
    return None
