"""``dlw predict``: a forecast or text labels from a finished forecast/text run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dlworkflow.cli.common import app, backend, out


@app.command("predict")
def predict_command(
    run_folder: Annotated[Path, typer.Argument(help="A finished forecast or text run.")],
    texts: Annotated[list[str] | None, typer.Argument(help="Text run: texts to label.")] = None,
    history: Annotated[
        Path | None, typer.Option("--csv", help="Forecast run: the recent past as a CSV.")
    ] = None,
    time: Annotated[str | None, typer.Option(help="Its time column (default: the run's).")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Forecast: write forecast.json and forecast.svg.")
    ] = None,
) -> None:
    """Forecast the steps after a series (JSON, and a plot with --out) or label texts."""
    with backend():
        from dlworkflow.atomic import write_json
        from dlworkflow.errors import BadInput
        from dlworkflow.experiments.sequence_predict import predict_forecast, predict_text
        from dlworkflow.figures import save_figure
        from dlworkflow.report.reader import read_run

        task = read_run(run_folder).sequence.get("task")
        if task == "text" or texts:
            if history is not None:
                raise BadInput("--csv: a text run labels texts; give them as arguments")
            result: object = predict_text(run_folder, list(texts or []))
        else:
            result, figure = predict_forecast(run_folder, history, time)
            if out_dir is not None:
                write_json(out_dir / "forecast.json", result)
                save_figure(figure, out_dir / "forecast.svg")
    out.print(json.dumps(result, ensure_ascii=False, indent=2), highlight=False, soft_wrap=True)
