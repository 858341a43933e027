"""``dlw predict RUN INPUT…``: a finished run's model on new inputs, by the run's task."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from dlworkflow.cli.common import app, backend, console, out


@app.command("predict")
def predict_command(
    run_folder: Annotated[Path, typer.Argument(metavar="RUN", help="A finished run folder.")],
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INPUT",
            help="Images, folders of images, CSV or .npy files; texts for a text run.",
        ),
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k", "-k", help="Classes shown per input.")] = 3,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Also write answers here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    history: Annotated[
        Path | None, typer.Option("--history", help="Forecast run: the recent past as a CSV.")
    ] = None,
    time: Annotated[str | None, typer.Option(help="Its time column (default: the run's).")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Where masks / forecast files go.")
    ] = None,
    cam: Annotated[
        str | None, typer.Option("--cam", help="Segmentation: Grad-CAM of this class too.")
    ] = None,
) -> None:
    """Classes or values for inputs, masks for images, labels for texts, or the steps
    after a series; the run's recorded preprocessing is replayed."""
    from dlworkflow.runfolder import read_run

    task = read_run(run_folder).task
    if task == "segmentation":
        _masks(run_folder, inputs or [], out_dir, cam)
    elif task in ("text", "forecast"):
        _sequence(run_folder, task, inputs or [], history, time, out_dir)
    else:
        _answers(run_folder, inputs or [], top_k, csv_out, as_json)


def _answers(
    run_folder: Path, inputs: list[str], top_k: int, csv_out: Path | None, as_json: bool
) -> None:
    with backend():
        import numpy as np

        from dlworkflow.experiments.inputs import read_inputs
        from dlworkflow.experiments.predict import BATCH_SIZE, Predictor, answers_csv

        predictor = Predictor.open(run_folder)
    samples = read_inputs([Path(p) for p in inputs], predictor.spec)
    outputs = []
    with Progress(console=console, transient=True, disable=len(samples) <= BATCH_SIZE) as bar:
        task = bar.add_task("predicting", total=len(samples))
        for start in range(0, len(samples), BATCH_SIZE):
            outputs.append(predictor.outputs(samples.x[start : start + BATCH_SIZE]))
            bar.advance(task, len(outputs[-1]))
    answers = predictor.answers(samples.names, np.concatenate(outputs), top_k)
    if csv_out is not None:
        from dlworkflow.atomic import write_text

        write_text(csv_out, answers_csv(answers))
    if as_json:
        print(json.dumps(answers, indent=1, ensure_ascii=False))
        return
    out.print(_answer_table(answers, predictor.task))


def _answer_table(answers: list[dict], task: str) -> Table:
    table = Table()
    table.add_column("input")
    if task == "regression":
        table.add_column("value", justify="right")
        for answer in answers:
            table.add_row(escape(answer["input"]), json.dumps(answer["value"]))
        return table
    if task == "multilabel":  # the label set, then each label's probability
        table.add_column("labels")
        table.add_column("probabilities")
        for answer in answers:
            shown = ", ".join(f"{k} {p:.3f}" for k, p in answer["probabilities"].items())
            table.add_row(escape(answer["input"]), escape(", ".join(answer["labels"]) or "—"),
                          escape(shown))  # fmt: skip
        return table
    table.add_column("class")
    table.add_column("p", justify="right")
    table.add_column("top")
    for answer in answers:
        top = ", ".join(f"{t['class']} {t['probability']:.3f}" for t in answer["top"][1:])
        table.add_row(
            escape(answer["input"]),
            escape(answer["class"]),
            f"{answer['probability']:.4f}",
            escape(top),
        )
    return table


def _masks(run_folder: Path, inputs: list[str], out_dir: Path | None, cam: str | None) -> None:
    with backend():
        from dlworkflow.experiments.predict_masks import predict_masks

        results = predict_masks(run_folder, [Path(p) for p in inputs], out_dir, cam)
    for entry in results:
        shares = ", ".join(f"{k} {v:.1%}" for k, v in entry["class_shares"].items())
        out.print(f"{escape(str(entry['mask']))}  ({escape(shares)})", highlight=False)


def _sequence(
    run_folder: Path,
    task: str,
    inputs: list[str],
    history: Path | None,
    time: str | None,
    out_dir: Path | None,
) -> None:
    from dlworkflow.errors import BadInput

    with backend():
        from dlworkflow.atomic import write_json
        from dlworkflow.experiments.sequence_predict import predict_forecast, predict_text
        from dlworkflow.figures import save_figure

        if task == "text":
            if history is not None:
                raise BadInput("--history: a text run labels texts; give them as arguments")
            result: object = predict_text(run_folder, inputs)
        else:
            result, figure = predict_forecast(run_folder, history, time)
            if out_dir is not None:
                write_json(out_dir / "forecast.json", result)
                save_figure(figure, out_dir / "forecast.svg")
    out.print(
        escape(json.dumps(result, ensure_ascii=False, indent=2)), highlight=False, soft_wrap=True
    )
