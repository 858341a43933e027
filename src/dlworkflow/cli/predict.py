"""``dlw predict``: a segmentation run's masks for new images (PNG masks and overlays)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dlworkflow.cli.common import app, backend, out


@app.command("predict")
def predict_command(
    run_folder: Annotated[Path, typer.Argument(help="A finished segmentation run folder.")],
    images: Annotated[list[Path], typer.Argument(help="Image files.")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Default RUN/predictions.")] = None,
    cam: Annotated[
        str | None, typer.Option("--cam", help="Also Grad-CAM of this class (name or id).")
    ] = None,
) -> None:
    """Predict masks: <stem>_mask.png (class ids) and <stem>_overlay.png per image."""
    with backend():
        from dlworkflow.experiments.predict_masks import predict_masks

        results = predict_masks(run_folder, list(images), out_dir, cam)
    for entry in results:
        shares = ", ".join(f"{k} {v:.1%}" for k, v in entry["class_shares"].items())
        out.print(f"{entry['mask']}  ({shares})", highlight=False)
