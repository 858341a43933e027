"""The architecture holds: imports run downward, no circles, one owner per contract."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

import dlworkflow

SRC = Path(dlworkflow.__file__).parent
LOWER = [
    "data", "models", "train", "evaluate", "interpret", "gallery", "scratch", "runfolder", "pages"
]
UPPER = ("dlworkflow.experiments", "dlworkflow.cli", "dlworkflow.serve")


@pytest.mark.parametrize("package", LOWER)
def test_lower_packages_do_not_import_the_orchestrators(package: str):
    """In a fresh interpreter, so nothing imported by another test hides an upward import."""
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, dlworkflow.{package}; "
            f"print(sorted(m for m in sys.modules if m.startswith({UPPER!r})))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "[]"


def test_no_import_circles():
    graph = grimp.build_graph("dlworkflow")
    circles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                circles.append(" → ".join([importer, *back]))
    assert circles == []


def test_the_import_contracts_hold():
    """``lint-imports`` with the layers declared in pyproject.toml (CI runs it too)."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        capture_output=True,
        text=True,
        cwd=SRC.parents[1],
    )
    assert result.returncode == 0, result.stdout[-2000:]


def _packages() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(dlworkflow.__path__, "dlworkflow.")
        if info.ispkg
    ]


@pytest.mark.parametrize("package", _packages())
def test_no_module_is_hidden_by_a_name_its_package_exports(package: str):
    """``import dlworkflow.x.y`` must give the module, not a function re-exported as ``y``."""
    module = importlib.import_module(package)
    submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
    assert set(getattr(module, "__all__", [])) & submodules == set()


@pytest.mark.parametrize("package", _packages())
def test_every_package_states_its_public_names(package: str):
    module = importlib.import_module(package)
    exported = getattr(module, "__all__", None)
    assert exported, f"{package} has no __all__"
    for name in exported:
        assert getattr(module, name) is not None


RUN_FOLDER_NAMES = ["model.keras", "config.yaml", "metrics.json", "data.json", "history.csv"]


@pytest.mark.parametrize("name", RUN_FOLDER_NAMES)
def test_run_folder_file_names_are_spelled_once(name: str):
    spelled = [
        f"{path.relative_to(SRC)}:{number}"
        for path in SRC.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(rf"[\"']{re.escape(name)}[\"']", line)
    ]
    assert spelled and all(place.startswith("runfolder.py:") for place in spelled), spelled
