"""The runs folder as rows for the run browser: every run and sweep, finished or not.

Read from the files alone (no Keras), tolerating folders that are half written: a run
still training has no ``metrics.json`` yet, a killed one never will.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dlworkflow import runfolder
from dlworkflow.errors import BadInput
from dlworkflow.runfolder import SWEEP_FILE, SWEEP_SUMMARY


@dataclass
class RunRow:
    name: str  # the folder relative to the runs folder: run, sweep, or sweep/run
    kind: str  # "run" or "sweep"
    status: str  # finished, running, cut off
    dataset: str = ""
    task: str = ""
    model: str = ""
    params: int | None = None
    test_accuracy: float | None = None
    test_loss: float | None = None
    best_val_loss: float | None = None
    epochs: int | None = None
    seconds: float | None = None
    modified: str = ""
    has_report: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_runs(runs_dir: Path) -> list[RunRow]:
    """Every run and sweep under ``runs_dir`` (sweeps' runs as ``sweep/run``), newest first."""
    if not runs_dir.is_dir():
        raise BadInput(f"{runs_dir}: no runs folder there (runs go to runs/ by default)")
    rows = []
    for folder in sorted(p for p in runs_dir.iterdir() if p.is_dir()):
        if (folder / SWEEP_FILE).is_file():
            rows.append(_sweep_row(folder, runs_dir))
            rows += [
                _run_row(child, runs_dir)
                for child in sorted(folder.iterdir())
                if (child / runfolder.CONFIG).is_file()
            ]
        elif (folder / runfolder.CONFIG).is_file():
            rows.append(_run_row(folder, runs_dir))
    return sorted(rows, key=lambda row: row.modified, reverse=True)


def find(runs_dir: Path, name: str, kinds: tuple[str, ...] = ("run", "sweep")) -> Path:
    """The folder of the listed run or sweep ``name``; anything else (``..``) is unknown."""
    for row in list_runs(runs_dir):
        if row.name == name and row.kind in kinds:
            return runs_dir / name
    raise BadInput(f"'{name}': no such {' or '.join(kinds)} in {runs_dir}")


def status(folder: Path, marker: str) -> str:
    if (folder / marker).is_file():
        return "finished"
    return "running" if runfolder.writer_pid(folder) is not None else "cut off"


def _run_row(folder: Path, runs_dir: Path) -> RunRow:
    row = RunRow(
        folder.relative_to(runs_dir).as_posix(),
        "run",
        status(folder, runfolder.FINISHED),
        modified=_modified(folder),
        has_report=(folder / runfolder.REPORT).is_file(),
    )
    try:
        config = runfolder.read_yaml(folder / runfolder.CONFIG)
        data = _optional(folder / runfolder.DATA)
        metrics = _optional(folder / runfolder.METRICS)
        history = (
            runfolder.read_history(folder / runfolder.HISTORY)
            if (folder / runfolder.HISTORY).is_file()
            else {}
        )
    except BadInput as error:
        row.note = str(error)
        return row
    data_spec = config.get("data") or {}
    row.dataset = str(data.get("name") or data_spec.get("source", ""))
    row.task = str(data.get("task", ""))
    row.model = _model(config)
    row.params = metrics.get("params")
    evaluation = metrics.get("evaluation") or {}
    row.test_accuracy = evaluation.get("accuracy")
    row.test_loss = metrics.get("loss")
    val_loss = history.get("val_loss") or []
    row.best_val_loss = min(val_loss) if val_loss else None
    row.epochs = len(history.get("loss", [])) or None
    seconds = metrics.get("train_seconds")
    row.seconds = seconds if seconds is not None else sum(history.get("epoch_seconds", [])) or None
    return row


def _sweep_row(folder: Path, runs_dir: Path) -> RunRow:
    return RunRow(
        folder.relative_to(runs_dir).as_posix(),
        "sweep",
        status(folder, SWEEP_SUMMARY),
        modified=_modified(folder),
        note=f"{sum(1 for c in folder.iterdir() if (c / runfolder.CONFIG).is_file())} runs",
    )


def _model(config: dict) -> str:
    model, transfer = config.get("model") or {}, config.get("transfer") or {}
    if transfer:
        backbone = transfer.get("backbone") or {}
        source = backbone.get("source", "") if isinstance(backbone, dict) else backbone
        return f"transfer: {source}"
    if model.get("zoo"):
        return str(model["zoo"])
    layers = model.get("layers") or []
    return f"{len(layers)} layers" if layers else ""


def _optional(path: Path) -> dict[str, Any]:
    return runfolder.read_json(path) if path.is_file() else {}


def _modified(folder: Path) -> str:
    stamp = max((p.stat().st_mtime for p in folder.iterdir()), default=folder.stat().st_mtime)
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
