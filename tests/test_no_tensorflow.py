"""Commands that do not train answer without importing TensorFlow or Keras (seconds)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dlworkflow

from .conftest import DATA_HOME

ORL = DATA_HOME / "faces_att"
LOADED = """
import atexit, sys
marker = sys.argv.pop(1)
atexit.register(lambda: open(marker, "w").write(
    " ".join(sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras"}))))
from dlworkflow.cli import main
main()
"""


def heavy_imports(cwd: Path, *args: str) -> str:
    """The backend packages a fresh ``dlw ARGS`` process had imported when it exited."""
    marker = cwd / "loaded.txt"
    result = subprocess.run(
        [sys.executable, "-c", LOADED, str(marker), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return marker.read_text()


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    config = {"name": "tiny", "data": {"limit": 300}, "train": {"epochs": 1}}
    return dlworkflow.run(config, runs_dir=runs).folder


def test_report_and_compare_open_no_backend(finished_run: Path, tmp_path: Path) -> None:
    assert heavy_imports(tmp_path, "report", str(finished_run)) == ""
    twin = shutil.copytree(finished_run, tmp_path / "twin")
    compare = ("compare", str(finished_run), str(twin), "--out", str(tmp_path / "cmp"))
    assert heavy_imports(tmp_path, *compare) == ""


def test_csv_survey_opens_no_backend(tmp_path: Path) -> None:
    csv = f"csv:{DATA_HOME / 'course/L2/dataset.csv'}"
    assert heavy_imports(tmp_path, "data", csv, "-o", "target=Cho vay") == ""


def test_dlib_gallery_commands_open_no_backend(tmp_path: Path) -> None:
    for args in (
        ("init",),
        ("enroll", "ann", str(ORL / "s1/1.pgm"), str(ORL / "s1/2.pgm")),
        ("identify", str(ORL / "s1/5.pgm")),
        ("verify", str(ORL / "s1/3.pgm"), str(ORL / "s1/4.pgm")),
        ("list",),
    ):
        assert heavy_imports(tmp_path, "gallery", *args) == "", args


def test_the_probe_sees_a_command_that_needs_the_backend(tmp_path: Path) -> None:
    """The same check reports Keras where a command builds a model."""
    args = ("model", "mlp", "--input-shape", "4", "--classes", "3", "--out", str(tmp_path))
    assert "keras" in heavy_imports(tmp_path, *args)
