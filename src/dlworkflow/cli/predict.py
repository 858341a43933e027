"""``dlw predict RUN INPUT…``: a finished run's model on new inputs, by the run's task."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from dlworkflow.cli.common import app, backend, out


@app.command("predict")
def predict_command(
    run_folder: Annotated[Path, typer.Argument(help="A finished run folder.")],
    inputs: Annotated[
        list[str] | None,
        typer.Argument(help="Images (segmentation), texts (text runs)."),
    ] = None,
    history: Annotated[
        Path | None, typer.Option("--csv", help="Forecast run: the recent past as a CSV.")
    ] = None,
    time: Annotated[str | None, typer.Option(help="Its time column (default: the run's).")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Where masks / forecast files go.")
    ] = None,
    cam: Annotated[
        str | None, typer.Option("--cam", help="Segmentation: Grad-CAM of this class too.")
    ] = None,
) -> None:
    """Masks for images, labels for texts, or the steps after a series."""
    from dlworkflow.errors import BadInput
    from dlworkflow.runfolder import read_run

    task = read_run(run_folder).task
    with backend():
        if task == "segmentation":
            from dlworkflow.experiments.predict_masks import predict_masks

            for entry in predict_masks(run_folder, [Path(p) for p in inputs or []], out_dir, cam):
                shares = ", ".join(f"{k} {v:.1%}" for k, v in entry["class_shares"].items())
                out.print(f"{escape(str(entry['mask']))}  ({escape(shares)})", highlight=False)
            return
        if task not in ("text", "forecast"):
            raise BadInput(f"{run_folder}: dlw predict takes segmentation, text and forecast runs")
        from dlworkflow.atomic import write_json
        from dlworkflow.experiments.sequence_predict import predict_forecast, predict_text
        from dlworkflow.figures import save_figure

        if task == "text":
            if history is not None:
                raise BadInput("--csv: a text run labels texts; give them as arguments")
            result: object = predict_text(run_folder, list(inputs or []))
        else:
            result, figure = predict_forecast(run_folder, history, time)
            if out_dir is not None:
                write_json(out_dir / "forecast.json", result)
                save_figure(figure, out_dir / "forecast.svg")
    out.print(
        escape(json.dumps(result, ensure_ascii=False, indent=2)), highlight=False, soft_wrap=True
    )
