"""``python -m build`` makes an sdist and a wheel (built from that sdist) that hold every
file of the package: modules, templates, the page kit's scripts, ``py.typed``.

A file missing from the package data would only show once installed from the wheel (a
page that cannot find its template), so the archives are checked against the tree.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import dlworkflow

from .conftest import REPO

PACKAGE = REPO / "src" / "dlworkflow"


def package_files() -> set[str]:
    """Every file of the source package, as ``dlworkflow/…`` (caches aside)."""
    return {
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def test_the_wheel_and_sdist_hold_every_package_file(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (wheel,) = tmp_path.glob("dlworkflow-*.whl")
    (sdist,) = tmp_path.glob("dlworkflow-*.tar.gz")
    expected = package_files()
    assert {"dlworkflow/py.typed", "dlworkflow/report/templates/report.html.j2"} <= expected
    assert {name for name in expected if name.endswith(".js")}  # the kit's scripts exist
    in_wheel = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("dlworkflow/")}
    assert in_wheel == expected
    with tarfile.open(sdist) as archive:
        in_sdist = {n.split("/src/", 1)[1] for n in archive.getnames() if "/src/dlworkflow/" in n}
    assert expected <= in_sdist
    info = f"dlworkflow-{dlworkflow.__version__}.dist-info"
    assert b"dlw = dlworkflow.cli:main" in zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt")
