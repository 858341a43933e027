"""Saving matplotlib figures: headless, atomic, closed after use."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display here or in CI; every figure goes to a file

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dlworkflow.atomic import write_with  # noqa: E402


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` (format from the suffix: .svg or .png) and free it."""
    path = Path(path)
    try:
        write_with(path, lambda tmp: figure.savefig(tmp, bbox_inches="tight", dpi=110))
    finally:
        plt.close(figure)
    return path
