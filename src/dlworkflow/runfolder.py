"""The run folder, the contract between the workflow's steps: every file name once,
the finished marker, choosing (or resuming) a folder, the lock that keeps one process
per folder, and reading a folder back into plain data.

Steps write into a run folder and the report, the comparison, serving and the run
browser read it back; they all name its files through this module, so the layout
changes in one place.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from dlworkflow.errors import BadInput
from dlworkflow.yamlfile import load_yaml

if TYPE_CHECKING:
    import keras

    from dlworkflow.data import Preprocessing

CONFIG = "config.yaml"  # the resolved config, defaults filled in
ENVIRONMENT = "environment.json"  # versions, backend, seed, machine
DATA = "data.json"  # dataset name, shapes, splits, class names, preprocessing
MODEL = "model.keras"  # the model kept for evaluation
MODEL_TABLE = "model_table.json"  # the layer table and totals, so pages need no Keras
HISTORY = "history.csv"  # one row per epoch
DIAGNOSTICS = "diagnostics.json"  # learnability, LR finder, curve diagnosis, advice
METRICS = "metrics.json"  # test metrics; written last, so it marks a finished run
PREDICTIONS = "predictions.npz"  # y_true, y_prob of the evaluation split
INTERPRETATION = "interpretation.json"
TRANSFER = "transfer.json"  # backbone, cache, head, stages of transfer runs
SEQUENCE = "sequence.json"  # forecast and text runs: windows, vocabulary, baselines
SCRATCH = "scratch.json"  # a from-scratch lesson's tables (its report reads them)
HEAD = "head.npz"  # a transfer run's k-NN head as plain arrays (not a Keras layer)
REPORT = "report.html"
FIGURES = "figures"
EVALUATIONS = "evaluations"  # evaluations/<data>/{metrics.json, figures/}
EXPLANATIONS = "explanations"  # dlw explain: a page per call, and an index of them all
EXPLANATION_INDEX = "index.html"  # in EXPLANATIONS: every call's page, linked
CHECKPOINTS = "checkpoints"  # while training: last/best model and the resume state
SWEEP_FILE = "sweep.yaml"  # a sweep folder's config (sweeps hold run folders)
SWEEP_SUMMARY = "sweep.json"  # written last: the sweep finished; each run's variant
LOCK = ".lock"  # holds the PID of the process writing the folder

BOOKKEEPING = ("lr", "epoch_seconds")  # history columns that are not model metrics

FINISHED = METRICS
REQUIRED = (CONFIG, DATA, ENVIRONMENT, HISTORY, FINISHED)


def is_finished(folder: Path) -> bool:
    return (folder / FINISHED).is_file()


def choose_folder(
    runs_dir: Path,
    name: str,
    config_yaml: str,
    config_file: str = CONFIG,
    marker: str = FINISHED,
) -> tuple[Path, bool]:
    """Return ``(folder, resuming)`` for a run (or, with other file names, a sweep).

    ``runs/<name>`` when free; the first unfinished folder (no ``marker``) whose
    ``config_file`` is this config (rerunning a killed command continues it); else
    ``<name>-2``, ``-3``….
    """
    check_runs_dir(runs_dir)
    index = 1
    while True:
        folder = runs_dir / (name if index == 1 else f"{name}-{index}")
        if not folder.exists():
            return folder, False
        saved = folder / config_file
        unfinished = not (folder / marker).exists()
        if unfinished and saved.is_file() and saved.read_text(encoding="utf-8") == config_yaml:
            return folder, True
        index += 1


def check_runs_dir(runs_dir: Path) -> None:
    """Refuse a runs directory that is a file, or lies under one, before any work."""
    for path in (runs_dir, *runs_dir.parents):
        if path.exists():
            if not path.is_dir():
                raise BadInput(f"--runs-dir: {path} is not a directory")
            return


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold ``folder/.lock`` while writing the folder; a second writer is refused.

    The lock names its holder's PID. A lock whose process no longer exists (the run
    was killed) is stale and taken over, so ``kill -9`` never blocks a resume.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    while True:
        try:
            handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _lock_holder(path)
            if holder is not None and holder != os.getpid() and _alive(holder):
                raise BadInput(
                    f"{folder}: another dlw process (PID {holder}) is writing this run folder; "
                    "wait for it or stop it"
                ) from None
            path.unlink(missing_ok=True)  # stale: its holder is gone
            continue
        with os.fdopen(handle, "w") as stream:
            stream.write(str(os.getpid()))
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def writer_pid(folder: Path) -> int | None:
    """The PID of the live process writing ``folder`` now (None when nobody is)."""
    holder = _lock_holder(folder / LOCK)
    return holder if holder is not None and _alive(holder) else None


def _lock_holder(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


@dataclass
class RunRecord:
    """A finished run folder read back: plain dicts, the history as columns."""

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
    def name(self) -> str:
        return str(self.config.get("name", self.folder.name))

    @property
    def task(self) -> str:
        """``auto`` (binary, multiclass, regression), segmentation, forecast or text."""
        return str(self.config.get("task", "auto"))

    @property
    def model_path(self) -> Path:
        return self.folder / MODEL

    @property
    def head_in_model(self) -> bool:
        """False for a transfer run whose head (k-NN) lives in ``head.npz``, outside
        ``model.keras``: the model then ends in features, not class scores."""
        return self.transfer.get("head", {}).get("in_model", True)

    @property
    def class_names(self) -> list[str]:
        return [str(name) for name in self.data.get("class_names") or []]

    @property
    def preprocessing(self) -> Preprocessing:
        """The scaling the run fitted on its training split, to replay on new inputs."""
        from dlworkflow.data.preprocess import Preprocessing

        recorded = self.data.get("preprocessing")
        if not isinstance(recorded, dict):
            raise BadInput(f"{self.folder / DATA}: no 'preprocessing' recorded")
        try:
            return Preprocessing.from_dict(recorded)
        except (KeyError, TypeError, ValueError) as error:
            raise BadInput(f"{self.folder / DATA}: corrupt 'preprocessing' ({error})") from None

    def figure_path(self, name: str, evaluation: str | None = None) -> Path:
        base = self.folder if evaluation is None else self.folder / EVALUATIONS / evaluation
        return base / FIGURES / name

    def model(self) -> keras.Model:
        from dlworkflow.modelfile import MISSING_FROM_RUN, load_model_file

        return load_model_file(self.model_path, MISSING_FROM_RUN)

    def model_table(self) -> dict[str, Any] | None:
        """The layer table written at run time (None for folders from older versions)."""
        path = self.folder / MODEL_TABLE
        return read_json(path) if path.is_file() else None


def read_run(folder: str | Path) -> RunRecord:
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"{folder}: run folder does not exist")
    for name in REQUIRED:
        if not (folder / name).is_file():
            hint = " (the run did not finish; rerun it to resume)" if name == FINISHED else ""
            raise BadInput(f"{folder / name}: missing from the run folder{hint}")
    return RunRecord(
        folder=folder,
        config=read_yaml(folder / CONFIG),
        data=read_json(folder / DATA),
        environment=read_json(folder / ENVIRONMENT),
        history=_history(folder / HISTORY),
        metrics=read_json(folder / METRICS),
        diagnostics=_optional_json(folder / DIAGNOSTICS),
        evaluations={
            path.parent.name: read_json(path)
            for path in sorted((folder / EVALUATIONS).glob(f"*/{METRICS}"))
        },
        interpretation=_optional_json(folder / INTERPRETATION),
        transfer=_optional_json(folder / TRANSFER),
        sequence=_optional_json(folder / SEQUENCE),
    )


def read_json(path: Path) -> dict[str, Any]:
    return _mapping(path, json.loads, json.JSONDecodeError, "JSON")


def read_json_list(path: Path) -> list[Any]:
    """A JSON list file of the run folder (e.g. a detection run's mistakes)."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BadInput(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB; not a run file")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise BadInput(f"{path}: corrupt JSON ({str(error).splitlines()[0]})") from None
    if not isinstance(value, list):
        raise BadInput(f"{path}: expected a JSON list")
    return value


def read_yaml(path: Path) -> dict[str, Any]:
    return _mapping(path, lambda text: load_yaml(text, str(path)), yaml.YAMLError, "YAML")


def _optional_json(path: Path) -> dict[str, Any]:
    return read_json(path) if path.is_file() else {}


MAX_FILE_BYTES = 64 * 1024 * 1024  # a run folder's JSON/YAML is small; refuse giants


def _mapping(path: Path, parse, errors: type[Exception], kind: str) -> dict[str, Any]:
    """Parse ``path`` into a mapping; a damaged file is named with the parser's reason."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BadInput(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB; not a run file")
    try:
        value = parse(path.read_text(encoding="utf-8"))
    except (errors, UnicodeDecodeError, RecursionError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BadInput(f"{path}: corrupt {kind} ({reason})") from None
    if not isinstance(value, dict):
        raise BadInput(f"{path}: expected a {kind} mapping")
    return value


def history_csv(history: dict[str, list[float]]) -> str:
    """``history.csv``: an ``epoch`` column (1-based) and one column per logged series."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = list(history)
    writer.writerow(["epoch", *names])
    rows = len(next(iter(history.values()), []))
    for index in range(rows):
        writer.writerow([index + 1, *(repr(float(history[name][index])) for name in names)])
    return buffer.getvalue()
def read_history(path: Path) -> dict[str, list[float]]:
    """``history.csv`` as columns (also of a run still training, to draw its curves)."""
    return _history(path)


def _history(path: Path) -> dict[str, list[float]]:
    try:
        with path.open(encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
        return {
            name: [float(row[name]) for row in rows]
            for name in (rows[0] if rows else {})
            if name != "epoch"
        }
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: corrupt history ({error})") from None
