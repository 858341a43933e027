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


def test_the_data_record_follows_the_survey(tmp_path: Path) -> None:
    """``data.json`` is written once the survey is complete, so a sibling running at the
    same time (a sweep on Ray) that finds it copies every figure; a run cut off before
    it (during its survey) surveys again when resumed."""
    from rich.console import Console

    from dlworkflow import runfolder
    from dlworkflow.config import load_config
    from dlworkflow.data import load_dataset
    from dlworkflow.experiments.folder import open_run_folder

    spec = load_config(config("a", 300))
    dataset = load_dataset(spec.data, seed=spec.seed)
    seen = []

    def survey(figures: Path) -> None:
        seen.append((figures.parent / runfolder.DATA).exists())
        figures.mkdir(parents=True, exist_ok=True)
        (figures / "drawn.txt").write_text("survey")

    quiet = Console(quiet=True)
    with open_run_folder(spec, dataset, tmp_path, quiet, survey=survey) as (folder, resuming):
        assert not resuming and (folder / runfolder.DATA).is_file()
    (folder / runfolder.DATA).unlink()  # as if killed during the survey
    with open_run_folder(spec, dataset, tmp_path, quiet, survey=survey) as (again, resuming):
        assert again == folder and resuming and (folder / runfolder.DATA).is_file()
    assert seen == [False, False]
