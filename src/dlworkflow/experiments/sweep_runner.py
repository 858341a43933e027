"""Running a planned sweep: sequentially, in worker processes or on Ray, resumable.

Each run is an ordinary run folder inside ``runs/<sweep>/``. Rerunning the same
command skips the runs that finished and resumes the one that was cut off, because
:func:`dlworkflow.experiments.runner` already resumes an unfinished folder of the same
config. A failed run (a NaN loss, say) is recorded and the others go on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape

from dlworkflow.atomic import write_json, write_text
from dlworkflow.errors import BadInput
from dlworkflow.experiments.executors import RunOutcome, RunRequest, make_executor
from dlworkflow.experiments.preparation import prepare
from dlworkflow.experiments.sweep import PlannedRun, SweepPlan
from dlworkflow.experiments.tracking import TrackingOptions
from dlworkflow.ranges import whole_number
from dlworkflow.runfolder import (
    CONFIG,
    FINISHED,
    SWEEP_FILE,
    check_runs_dir,
    choose_folder,
    folder_lock,
)
from dlworkflow.runfolder import SWEEP_SUMMARY as SUMMARY_FILE

MAX_JOBS = 64  # processes at a time; more would only queue on the CPU or GPU


@dataclass
class SweepResult:
    folder: Path
    outcomes: list[RunOutcome]
    comparison_page: Path | None = None  # compare.html, when the runs are comparable

    @property
    def failed(self) -> list[RunOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "failed"]


def run_sweep(
    plan: SweepPlan,
    runs_dir: str | Path = "runs",
    jobs: int = 1,
    console: Console | None = None,
    tracking: TrackingOptions | None = None,
    executor: str = "local",
    address: str | None = None,
) -> SweepResult:
    """Run every planned run into ``runs_dir/<sweep name>/``; rerun to resume.

    With ``tracking``, every run goes to one MLflow experiment named after the sweep.
    ``executor``: ``local`` (``jobs`` processes, or this one for ``jobs=1``) or ``ray``
    (each run a Ray task with ``sweep.resources``; ``address`` as for ``ray.init``).
    """
    whole_number(jobs, "--jobs", 1, MAX_JOBS)
    check_runs_dir(Path(runs_dir))
    console = console or Console(stderr=True, emoji=False)
    resources = plan.spec.resources
    chosen = make_executor(executor, jobs, console, address, resources.cpus, resources.gpus)
    tracking = replace(tracking or TrackingOptions(), experiment=plan.name)
    tracking.check()
    # Many models in one process make TensorFlow warn about retracing; it is expected here.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    sweep_yaml = yaml.safe_dump(plan.source, sort_keys=False, allow_unicode=True)
    folder, resuming = choose_folder(
        Path(runs_dir), plan.name, sweep_yaml, SWEEP_FILE, SUMMARY_FILE
    )
    outcomes: dict[str, RunOutcome] = {}
    pending = []
    for planned in plan.runs:
        done = _finished_folder(folder, planned)
        if done is not None:
            outcomes[planned.name] = RunOutcome(planned.name, done.name, "skipped")
        else:
            pending.append(planned)
    _preflight(pending, plan.name)  # before anything is written; finished runs need none
    with folder_lock(folder):
        if not resuming:
            write_text(folder / SWEEP_FILE, sweep_yaml)
        console.print(
            f"{'resuming' if resuming else 'sweep'} [bold]{escape(str(folder))}[/bold]: "
            f"{len(plan.runs)} runs"
            + (f", {jobs} at a time" if jobs > 1 else "")
            + (" on Ray" if executor == "ray" else "")
        )
        requests = [
            RunRequest(planned.config.model_dump(mode="json"), str(folder), tracking)
            for planned in pending
        ]
        for outcome in chosen.execute(requests):
            outcomes[outcome.name] = outcome
            _announce(console, outcome)
        ordered = [outcomes[planned.name] for planned in plan.runs]
        comparison_page = _compare(folder, ordered, console)
        write_json(folder / SUMMARY_FILE, _summary(plan, ordered))
        return SweepResult(folder, ordered, comparison_page)


def _compare(folder: Path, outcomes: list[RunOutcome], console: Console) -> Path | None:
    """The sweep's ``compare.html``; a sweep over the test set itself cannot have one."""
    from dlworkflow.compare import compare_runs, write_compare_page

    if sum(outcome.status != "failed" for outcome in outcomes) < 2:
        return None
    try:
        return write_compare_page(compare_runs([folder]), folder)
    except BadInput as error:
        console.print(f"[yellow]no comparison page:[/yellow] {escape(str(error))}", soft_wrap=True)
        return None


def _preflight(runs: list[PlannedRun], sweep_name: str) -> None:
    """Prepare (data, model, compile checks) every distinct run before the first starts."""
    checked: set[str] = set()
    for planned in runs:
        config = planned.config.model_copy(update={"name": sweep_name, "seed": 0})
        key = config.to_yaml()  # repeats differ only by seed: one check is enough
        if key in checked:
            continue
        checked.add(key)
        try:
            prepare(planned.config)
        except BadInput as error:
            raise BadInput(f"sweep run '{planned.name}': {error}") from None


def _finished_folder(sweep_folder: Path, planned: PlannedRun) -> Path | None:
    folder = sweep_folder / planned.name
    saved = folder / CONFIG
    finished = (folder / FINISHED).is_file() and saved.is_file()
    if finished and saved.read_text(encoding="utf-8") == planned.config.to_yaml():
        return folder
    return None


def _announce(console: Console, outcome: RunOutcome) -> None:
    if outcome.status == "failed":
        console.print(
            f"[red]failed[/red] {escape(outcome.name)}: {escape(outcome.message)}", soft_wrap=True
        )
    else:
        console.print(f"[green]done[/green] {escape(outcome.name)}", highlight=False)


def _summary(plan: SweepPlan, outcomes: list[RunOutcome]) -> dict[str, Any]:
    planned = {run.name: run for run in plan.runs}
    return {
        "name": plan.name,
        "repeats": plan.spec.repeats,
        "varied": sorted({key for run in plan.runs for key in run.overrides}),
        "runs": [
            {
                "name": outcome.name,
                "variant": planned[outcome.name].variant,
                "overrides": planned[outcome.name].overrides,
                "seed": planned[outcome.name].config.seed,
                "folder": outcome.folder,
                "status": outcome.status,
                "message": outcome.message,
            }
            for outcome in outcomes
        ],
    }
