"""``dlw predict``, ``dlw serve``, ``dlw gallery serve``, ``dlw ui``: a finished run, a
gallery and the runs folder put to use by people other than their author."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from dlworkflow.cli.common import app, backend, console, out
from dlworkflow.cli.gallery import gallery_app

Host = Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")]
Port = Annotated[int, typer.Option(help="Port to listen on.")]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key", envvar="DLW_API_KEY", help="Key that changes need (env DLW_API_KEY)."
    ),
]


@app.command("predict")
def predict_command(
    run_folder: Annotated[Path, typer.Argument(metavar="RUN", help="A finished run folder.")],
    inputs: Annotated[
        list[Path],
        typer.Argument(metavar="INPUT", help="Image files, folders of images, CSV or .npy files."),
    ],
    top_k: Annotated[int, typer.Option("--top-k", "-k", help="Classes shown per input.")] = 3,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Also write answers here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Answer new inputs with a run's model, its recorded preprocessing replayed."""
    with backend():
        from dlworkflow.experiments.inputs import read_inputs
        from dlworkflow.experiments.predict import BATCH_SIZE, Predictor

        predictor = Predictor.open(run_folder)
    samples = read_inputs(list(inputs), predictor.spec)
    outputs = []
    with Progress(console=console, transient=True, disable=len(samples) <= BATCH_SIZE) as bar:
        task = bar.add_task("predicting", total=len(samples))
        for start in range(0, len(samples), BATCH_SIZE):
            outputs.append(predictor.outputs(samples.x[start : start + BATCH_SIZE]))
            bar.advance(task, len(outputs[-1]))
    import numpy as np

    answers = predictor.answers(samples.names, np.concatenate(outputs), top_k)
    if csv_out is not None:
        from dlworkflow.atomic import write_text
        from dlworkflow.experiments.predict import answers_csv

        write_text(csv_out, answers_csv(answers))
    if as_json:
        print(json.dumps(answers, indent=1))
        return
    out.print(_answer_table(answers, predictor.task))


def _answer_table(answers: list[dict], task: str) -> Table:
    table = Table()
    table.add_column("input")
    if task == "regression":
        table.add_column("value", justify="right")
        for answer in answers:
            table.add_row(answer["input"], json.dumps(answer["value"]))
        return table
    table.add_column("class")
    table.add_column("p", justify="right")
    table.add_column("top")
    for answer in answers:
        top = ", ".join(f"{t['class']} {t['probability']:.3f}" for t in answer["top"][1:])
        table.add_row(answer["input"], answer["class"], f"{answer['probability']:.4f}", top)
    return table


@app.command("serve")
def serve_command(
    run_folder: Annotated[Path, typer.Argument(metavar="RUN", help="A finished run folder.")],
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[int, typer.Option(help="Server processes, each with the model.")] = 1,
    max_batch: Annotated[int, typer.Option(help="Most samples in one model call.")] = 64,
    max_wait_ms: Annotated[
        float, typer.Option(help="Longest a request waits for others to join its batch.")
    ] = 2.0,
) -> None:
    """Serve a run's model: POST /predict, POST /explain, GET /model, a page at /."""
    from dlworkflow.serve.server import serve_run

    with backend():
        serve_run(run_folder, host, port, workers, max_batch, max_wait_ms / 1000.0)


@gallery_app.command("serve")
def gallery_serve_command(
    db: Annotated[Path, typer.Argument(metavar="DB", help="The gallery's SQLite file.")],
    host: Host = "127.0.0.1",
    port: Port = 8001,
    api_key: ApiKey = None,
) -> None:
    """Serve a gallery: identify, verify, enroll, attendance, and a page at /."""
    from dlworkflow.serve.server import serve_gallery

    with backend():
        serve_gallery(db, host, port, api_key)


@app.command("ui")
def ui_command(
    runs_dir: Annotated[Path, typer.Argument(metavar="RUNS_DIR", help="The runs folder.")] = Path(
        "runs"
    ),
    host: Host = "127.0.0.1",
    port: Port = 8002,
    api_key: ApiKey = None,
) -> None:
    """Browse runs and sweeps: a sortable table, reports, comparisons, live curves.

    Read-only unless an API key is given: then runs can be deleted and renamed with it.
    """
    from dlworkflow.serve.server import serve_ui

    serve_ui(runs_dir, host, port, api_key)
