"""Which run folders the user meant: run folders as given, sweep folders opened up."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dlworkflow.errors import BadInput
from dlworkflow.runfolder import CONFIG
from dlworkflow.runfolder import FINISHED as COMPLETE_MARKER


@dataclass
class Collected:
    runs: list[Path]  # finished run folders, in the order given (a sweep's sorted by name)
    sweeps: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # unfinished runs inside sweeps


def collect_runs(paths: list[str | Path]) -> Collected:
    """Expand the arguments; a folder given twice counts once.

    A run folder holds ``config.yaml``; a sweep folder does not, and its direct subfolders
    are run folders, of which the finished ones (with ``metrics.json``) are taken.
    """
    collected = Collected(runs=[])
    for path in map(Path, paths):
        if not path.is_dir():
            raise BadInput(f"{path}: no such run or sweep folder")
        if (path / CONFIG).is_file():
            if not (path / COMPLETE_MARKER).is_file():
                raise BadInput(
                    f"{path}: the run did not finish (no {COMPLETE_MARKER}); rerun it to resume"
                )
            found = [path]
        else:
            inside = sorted(p for p in path.iterdir() if (p / CONFIG).is_file())
            if not inside:
                raise BadInput(
                    f"{path}: neither a run folder (no {CONFIG}) nor a sweep folder "
                    "(no run folders inside)"
                )
            collected.sweeps.append(path)
            found = [p for p in inside if (p / COMPLETE_MARKER).is_file()]
            collected.skipped += [p for p in inside if p not in found]
        known = {p.resolve() for p in collected.runs}
        collected.runs += [p for p in found if p.resolve() not in known]
    if len(collected.runs) < 2:
        unfinished = f" ({len(collected.skipped)} unfinished skipped)" if collected.skipped else ""
        raise BadInput(
            f"{', '.join(map(str, paths))}: {len(collected.runs)} finished run{unfinished}; "
            "a comparison needs at least 2 run folders or a sweep folder holding them"
        )
    return collected
