"""Choosing the run folder: a fresh one, or the unfinished one of the same config."""

from __future__ import annotations

from pathlib import Path

from dlworkflow.errors import BadInput

COMPLETE_MARKER = "metrics.json"  # written last: its presence means the run finished


def check_runs_dir(runs_dir: Path) -> None:
    """Refuse a runs directory that is a file, or lies under one, before any work."""
    for path in (runs_dir, *runs_dir.parents):
        if path.exists():
            if not path.is_dir():
                raise BadInput(f"--runs-dir: {path} is not a directory")
            return


def choose_folder(
    runs_dir: Path,
    name: str,
    config_yaml: str,
    config_file: str = "config.yaml",
    marker: str = COMPLETE_MARKER,
) -> tuple[Path, bool]:
    """Return ``(folder, resuming)`` for a run (or, with other file names, a sweep).

    ``runs/<name>`` when free; the first unfinished folder (no ``marker``) whose
    ``config_file`` is this config (rerunning a killed command continues it); else
    ``<name>-2``, ``-3``….
    """
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
