"""Shared test setup: offline data, absolute paths, tiny fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
_home = Path(os.environ.get("DLW_DATA_HOME", REPO.parent / "shared" / "datasets")).resolve()
os.environ["DLW_DATA_HOME"] = str(_home)  # absolute, so subprocesses in tmp dirs find it
os.environ["DLW_OFFLINE"] = "1"  # a test must never download
DATA_HOME = _home


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """Three classes of small PNGs with different sizes (resized on load)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    for label, name in enumerate(["cat", "dog", "fox"]):
        (root / name).mkdir(parents=True)
        for index in range(6):
            pixels = rng.integers(0, 80, (20 + index, 24, 3), dtype=np.uint8) + label * 80
            Image.fromarray(pixels).save(root / name / f"{index}.png")
    return root


def run_dlw(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real console script, in a fresh process (``env`` replaces variables)."""
    return subprocess.run(
        [sys.executable, "-c", "from dlworkflow.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def dlw_in_process(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """``dlw ARGS`` in this process (no new interpreter, no TensorFlow start where the
    command needs none): (exit code, stdout, stderr)."""
    from dlworkflow.cli import main

    monkeypatch.setattr(sys, "argv", ["dlw", *args])
    with pytest.raises(SystemExit) as done:
        main()
        raise SystemExit(0)
    captured = capsys.readouterr()
    return int(done.value.code or 0), captured.out, captured.err
