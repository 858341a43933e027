"""Saving matplotlib figures: headless, atomic, closed after use."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display here or in CI; every figure goes to a file

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dlworkflow.atomic import write_with  # noqa: E402


def _show_inline_in_jupyter() -> None:
    """A Figure a notebook cell returns shows as a PNG: Agg (above) replaced the inline
    backend that would have registered this. IPython is used only when already running."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        from IPython.core.pylabtools import print_figure

        png = shell.display_formatter.formatters["image/png"]
        png.for_type(Figure, lambda figure: print_figure(figure, "png", bbox_inches="tight"))


_show_inline_in_jupyter()


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` (format from the suffix: .svg or .png) and free it."""
    path = Path(path)
    try:
        write_with(path, lambda tmp: figure.savefig(tmp, bbox_inches="tight", dpi=110))
    finally:
        plt.close(figure)
    return path
