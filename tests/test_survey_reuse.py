"""Survey figures are drawn once per dataset and copied into later runs of it."""

from __future__ import annotations

from pathlib import Path

import dlworkflow


def config(name: str, limit: int) -> dict:
    return {"name": name, "data": {"limit": limit}, "train": {"epochs": 1, "learnability": False}}


def test_a_run_of_the_same_data_copies_the_survey(tmp_path: Path) -> None:
    first = dlworkflow.run(config("a", 300), runs_dir=tmp_path).folder
    drawn = first / "figures" / "samples.png"
    marked = drawn.read_bytes() + b"marker"  # a copy is recognised by this tail
    drawn.write_bytes(marked)
    second = dlworkflow.run(config("b", 300), runs_dir=tmp_path).folder
    assert (second / "figures" / "samples.png").read_bytes() == marked
    assert (second / "figures" / "class_distribution.svg").is_file()
    other = dlworkflow.run(config("c", 200), runs_dir=tmp_path).folder  # other data: drawn
    assert not (other / "figures" / "samples.png").read_bytes().endswith(b"marker")
