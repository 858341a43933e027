"""Starting the servers with uvicorn; several worker processes each load the model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import uvicorn

from dlworkflow.errors import BadInput

SETTINGS = "DLW_SERVE_SETTINGS"  # how worker processes learn what to serve


def serve_run(
    run: Path, host: str, port: int, workers: int = 1, max_batch: int = 64, max_wait: float = 0.002
) -> None:
    """``dlw serve``: the run's prediction server until interrupted."""
    if workers < 1 or max_batch < 1 or max_wait < 0:
        raise BadInput("--workers and --max-batch must be 1 or more, --max-wait-ms 0 or more")
    if workers == 1:
        from dlworkflow.serve.predict_app import create_predict_app

        uvicorn.run(create_predict_app(run, None, max_batch, max_wait), host=host, port=port)
        return
    from dlworkflow.runfolder import read_run

    read_run(run)  # refuse a bad folder here, not in every worker
    os.environ[SETTINGS] = json.dumps(
        {"run": str(Path(run).resolve()), "max_batch": max_batch, "max_wait": max_wait}
    )
    uvicorn.run(
        "dlworkflow.serve.server:predict_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
    )


def predict_app_from_env():
    """The app a worker process builds from the settings its parent left in the environment."""
    from dlworkflow.serve.predict_app import create_predict_app

    settings = json.loads(os.environ[SETTINGS])
    return create_predict_app(settings["run"], None, settings["max_batch"], settings["max_wait"])


def serve_gallery(db: Path, host: str, port: int, api_key: str | None) -> None:
    """``dlw gallery serve``: identify, verify, enroll and attendance until interrupted."""
    from dlworkflow.serve.gallery_app import create_gallery_app

    uvicorn.run(create_gallery_app(db, api_key), host=host, port=port)


def serve_ui(runs_dir: Path, host: str, port: int, api_key: str | None = None) -> None:
    """``dlw ui``: the run browser until interrupted."""
    from dlworkflow.serve.ui_app import create_ui_app

    uvicorn.run(create_ui_app(runs_dir, api_key), host=host, port=port)
