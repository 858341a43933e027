"""``dlw explain``: Grad-CAM, saliency, occlusion, feature maps and filters of a run's model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from dlworkflow.cli.common import app, backend, out
from dlworkflow.runfolder import EXPLANATION_INDEX


@app.command("explain")
def explain_command(
    run_folder: Annotated[Path, typer.Argument(help="A finished run folder.")],
    images: Annotated[
        list[str], typer.Argument(help="Image files, or test:N for the run's test set.")
    ],
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method",
            "-m",
            help="gradcam, gradcam++, saliency, smoothgrad, occlusion, feature-maps, filters "
            "(repeatable; default: gradcam, saliency, occlusion, feature-maps).",
        ),
    ] = None,
    target: Annotated[
        str | None, typer.Option("--class", help="Class name or id (default: predicted).")
    ] = None,
    layer: Annotated[str | None, typer.Option(help="Conv layer (default: the last one).")] = None,
    patch: Annotated[int | None, typer.Option(help="Occlusion patch side in pixels.")] = None,
    stride: Annotated[int | None, typer.Option(help="Occlusion stride in pixels.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Default RUN/explanations.")] = None,
    max_pixels: Annotated[
        int, typer.Option("--max-pixels", help="Refuse image files with more pixels.")
    ] = 24_000_000,
) -> None:
    """Explain a run's predictions on images: figures and an HTML page per call."""
    with backend():
        from dlworkflow.interpret.explain import explain_run

        page = explain_run(
            run_folder, images, method, target, layer, patch, stride, out_dir, max_pixels
        )
    out.print(f"explanation: {escape(str(page))}")
    out.print(f"all explanations: {escape(str(page.parent / EXPLANATION_INDEX))}")
