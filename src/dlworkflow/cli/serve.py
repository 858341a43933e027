"""``dlw predict``, ``dlw serve``, ``dlw gallery serve``, ``dlw ui``: a finished run, a
gallery and the runs folder put to use by people other than their author."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dlworkflow.cli.common import app, backend
from dlworkflow.cli.gallery import gallery_app

Host = Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")]
Port = Annotated[int, typer.Option(help="Port to listen on.")]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key", envvar="DLW_API_KEY", help="Key that changes need (env DLW_API_KEY)."
    ),
]


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
