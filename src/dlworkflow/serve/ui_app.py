"""``dlw ui``: the runs folder in a browser — a sortable, filterable table of runs and
sweeps, their reports, comparisons of ticked runs, and live curves of a training run.

Read-only unless started with an API key: then a run or sweep that is not training can
be deleted or renamed with the key. Comparison pages are drawn in a temporary folder.
Names in URLs are looked up among the listed runs, never joined onto a path, so ``..``
finds nothing.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from dlworkflow import runfolder
from dlworkflow.errors import BadInput
from dlworkflow.serve.common import Refused, install_errors, page, require_key
from dlworkflow.serve.runs import find, list_runs, status

POLL_SECONDS = 2.0
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


def create_ui_app(runs_dir: str | Path, api_key: str | None = None) -> FastAPI:
    """The run browser; with ``api_key``, runs can also be deleted and renamed (with it)."""
    runs_dir = Path(runs_dir)
    list_runs(runs_dir)  # refuse a missing folder at start
    app = FastAPI(title=f"dlworkflow runs: {runs_dir}", description="Browse runs and sweeps.")
    install_errors(app)

    def folder(name: str, kinds: tuple[str, ...] = ("run",)) -> Path:
        try:
            return find(runs_dir, name, kinds)
        except BadInput as error:
            raise Refused(404, str(error)) from None

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> HTMLResponse:
        return page(
            "dlworkflow.serve",
            "runs.html.j2",
            runs_dir=runs_dir,
            rows=list_runs(runs_dir),
            changes=api_key is not None,
        )

    @app.get("/api/runs")
    def runs() -> list[dict[str, Any]]:
        """Every run and sweep with its status: finished, running or cut off."""
        return [row.to_dict() for row in list_runs(runs_dir)]

    @app.get("/runs/{name:path}/report", response_class=FileResponse)
    def report(name: str) -> FileResponse:
        """The run's own report page."""
        path = folder(name) / runfolder.REPORT
        if not path.is_file():
            raise Refused(404, f"'{name}' has no report yet (dlw report {name})")
        return FileResponse(path, media_type="text/html")

    @app.get("/runs/{name:path}/history")
    def history(name: str) -> dict[str, Any]:
        """The run's ``history.csv`` as columns and its status (poll it while it trains)."""
        target = folder(name)
        path = target / runfolder.HISTORY
        columns = runfolder.read_history(path) if path.is_file() else {}
        return {"name": name, "status": status(target, runfolder.FINISHED), "history": columns}

    @app.get("/runs/{name:path}/live", response_class=HTMLResponse, include_in_schema=False)
    def live(name: str) -> HTMLResponse:
        folder(name)
        return page("dlworkflow.serve", "live.html.j2", name=name, poll=POLL_SECONDS)

    @app.get("/compare", response_class=HTMLResponse)
    async def compare(run: Annotated[list[str], Query()]) -> HTMLResponse:
        """The comparison page of the ticked runs (or of one sweep)."""
        folders = [folder(name, ("run", "sweep")) for name in run]
        return HTMLResponse(await run_in_threadpool(_comparison_page, folders))

    @app.delete("/runs/{name:path}")
    def delete(request: Request, name: str) -> dict[str, Any]:
        """Delete a run folder that is not training (needs the API key)."""
        require_key(request, api_key)
        target = _idle(folder(name, ("run", "sweep")), name)
        shutil.rmtree(target)
        return {"deleted": name}

    @app.post("/runs/{name:path}/rename")
    def rename(request: Request, name: str, change: NewName) -> dict[str, Any]:
        """Rename a run folder that is not training, in the same parent (needs the API key)."""
        require_key(request, api_key)
        target = _idle(folder(name, ("run", "sweep")), name)
        if not NAME.fullmatch(change.new):
            raise Refused(400, f"new name {change.new!r}: letters, digits, '.', '_' and '-' only")
        moved = target.with_name(change.new)
        if moved.exists():
            raise Refused(409, f"'{change.new}' exists already beside '{name}'")
        target.rename(moved)
        return {"old": name, "new": moved.relative_to(runs_dir).as_posix()}

    return app


class NewName(BaseModel):
    new: str


def _idle(target: Path, name: str) -> Path:
    pid = runfolder.writer_pid(target)
    if pid is not None:
        raise Refused(409, f"'{name}' is being written by PID {pid}; wait for it or stop it")
    return target


def _comparison_page(folders: list[Path]) -> str:
    from dlworkflow.compare import compare_runs, write_compare_page

    comparison = compare_runs(folders)
    with tempfile.TemporaryDirectory(prefix="dlw-ui-") as scratch:
        return write_compare_page(comparison, scratch).read_text(encoding="utf-8")
