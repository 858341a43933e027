"""Read a run folder back into plain data, naming any file that is missing or corrupt."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dlworkflow.errors import BadInput

FINISHED = "metrics.json"  # written last, so its presence means the run finished
REQUIRED = ("config.yaml", "data.json", "environment.json", "history.csv", FINISHED)


@dataclass
class RunRecord:
    folder: Path
    config: dict[str, Any]
    data: dict[str, Any]
    environment: dict[str, Any]
    history: dict[str, list[float]]
    metrics: dict[str, Any]
    diagnostics: dict[str, Any] = field(default_factory=dict)
    evaluations: dict[str, dict[str, Any]] = field(default_factory=dict)
    interpretation: dict[str, Any] = field(default_factory=dict)
    transfer: dict[str, Any] = field(default_factory=dict)  # transfer.json of transfer runs
    sequence: dict[str, Any] = field(default_factory=dict)  # sequence.json: forecast, text

    @property
    def model_path(self) -> Path:
        return self.folder / "model.keras"

    @property
    def head_in_model(self) -> bool:
        """False for a transfer run whose head (k-NN) lives in ``head.joblib``, outside
        ``model.keras``: the model then ends in features, not class scores."""
        return self.transfer.get("head", {}).get("in_model", True)


def read_run(folder: str | Path) -> RunRecord:
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"{folder}: run folder does not exist")
    for name in REQUIRED:
        if not (folder / name).is_file():
            hint = " (the run did not finish; rerun it to resume)" if name == "metrics.json" else ""
            raise BadInput(f"{folder / name}: missing from the run folder{hint}")
    return RunRecord(
        folder=folder,
        config=_yaml(folder / "config.yaml"),
        data=_json(folder / "data.json"),
        environment=_json(folder / "environment.json"),
        history=_history(folder / "history.csv"),
        metrics=_json(folder / "metrics.json"),
        diagnostics=_json(folder / "diagnostics.json")
        if (folder / "diagnostics.json").is_file()
        else {},
        evaluations={
            path.parent.name: _json(path)
            for path in sorted((folder / "evaluations").glob("*/metrics.json"))
        },
        interpretation=_json(folder / "interpretation.json")
        if (folder / "interpretation.json").is_file()
        else {},
        transfer=_json(folder / "transfer.json") if (folder / "transfer.json").is_file() else {},
        sequence=_json(folder / "sequence.json") if (folder / "sequence.json").is_file() else {},
    )


def _json(path: Path) -> dict[str, Any]:
    return _mapping(path, json.loads, json.JSONDecodeError, "JSON")


def _yaml(path: Path) -> dict[str, Any]:
    return _mapping(path, yaml.safe_load, yaml.YAMLError, "YAML")


def _mapping(path: Path, parse, errors: type[Exception], kind: str) -> dict[str, Any]:
    """Parse ``path`` into a mapping; a damaged file is named with the parser's reason."""
    try:
        value = parse(path.read_text(encoding="utf-8"))
    except (errors, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: corrupt {kind} ({str(error).splitlines()[0]})") from None
    if not isinstance(value, dict):
        raise BadInput(f"{path}: expected a {kind} mapping")
    return value


def _history(path: Path) -> dict[str, list[float]]:
    try:
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        return {
            name: [float(row[name]) for row in rows]
            for name in (rows[0] if rows else {})
            if name != "epoch"
        }
    except (ValueError, TypeError, KeyError) as error:
        raise BadInput(f"{path}: corrupt history ({error})") from None
