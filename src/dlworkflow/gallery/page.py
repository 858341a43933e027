"""The evaluation as one self-contained HTML page (figures inline, tables as HTML)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlworkflow import runfolder
from dlworkflow.atomic import write_text
from dlworkflow.figures import save_figure
from dlworkflow.gallery.figures import distance_figure, roc_det_figure
from dlworkflow.pages import inline_figure, render

ROC_DET, DISTANCES = "roc_det.svg", "distances.svg"  # in figures/


def write_page(
    out_dir: Path,
    metrics: dict,
    genuine: np.ndarray,
    impostor: np.ndarray,
    known_correct: np.ndarray,
    known_distance: np.ndarray,
    unknown_distance: np.ndarray,
) -> Path:
    thresholds = metrics["thresholds"]
    figures = out_dir / runfolder.FIGURES
    roc = save_figure(roc_det_figure(genuine, impostor, thresholds), figures / ROC_DET)
    histogram = save_figure(
        distance_figure(genuine, impostor, known_distance, unknown_distance, thresholds),
        figures / DISTANCES,
    )
    html = render(
        "dlworkflow.gallery",
        "gallery_evaluation.html.j2",
        m=metrics,
        roc=inline_figure(roc, "ROC and DET"),
        histogram=inline_figure(histogram, "distance histograms"),
    )
    return write_text(out_dir / runfolder.REPORT, html)
