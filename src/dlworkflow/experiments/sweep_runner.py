"""Running a planned sweep: sequentially or in worker processes, resumable.

Each run is an ordinary run folder inside ``runs/<sweep>/``. Rerunning the same
command skips the runs that finished and resumes the one that was cut off, because
:func:`dlworkflow.experiments.runner` already resumes an unfinished folder of the same
config. A failed run (a NaN loss, say) is recorded and the others go on.
"""

from __future__ import annotations

import ctypes
import io
import json
import logging
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape

from dlworkflow.atomic import write_json, write_text
from dlworkflow.errors import BadInput, WorkFailed
from dlworkflow.experiments.preparation import prepare
from dlworkflow.experiments.runner import run
from dlworkflow.experiments.sweep import SUMMARY_FILE, SWEEP_FILE, PlannedRun, SweepPlan
from dlworkflow.experiments.tracking import TrackingOptions
from dlworkflow.ranges import whole_number
from dlworkflow.runfolder import CONFIG, FINISHED, check_runs_dir, choose_folder, folder_lock

MAX_JOBS = 64  # processes at a time; more would only queue on the CPU or GPU


@dataclass
class RunOutcome:
    name: str
    folder: str | None
    status: str  # finished | skipped (already finished) | failed
    message: str = ""
    metrics: dict[str, Any] | None = None


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
) -> SweepResult:
    """Run every planned run into ``runs_dir/<sweep name>/``; rerun to resume.

    With ``tracking``, every run goes to one MLflow experiment named after the sweep.
    """
    whole_number(jobs, "--jobs", 1, MAX_JOBS)
    check_runs_dir(Path(runs_dir))
    tracking = replace(tracking or TrackingOptions(), experiment=plan.name)
    tracking.check()
    console = console or Console(stderr=True, emoji=False)
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
            f"{len(plan.runs)} runs" + (f", {jobs} at a time" if jobs > 1 else "")
        )
        if jobs == 1 or len(pending) <= 1:
            for planned in pending:
                config = planned.config.model_dump(mode="json")
                outcomes[planned.name] = run_one(config, folder, tracking, console)
                _announce(console, outcomes[planned.name])
        else:
            threads = max(1, (os.cpu_count() or 1) // jobs)
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = [
                    pool.submit(
                        _run_in_process,
                        planned.config.model_dump(mode="json"),
                        folder,
                        tracking,
                        threads,
                    )
                    for planned in pending
                ]
                for future in as_completed(futures):
                    outcome = future.result()
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


def run_one(
    config: dict[str, Any],
    sweep_folder: str | Path,
    tracking: TrackingOptions,
    console: Console | None = None,
) -> RunOutcome:
    """One run; in a worker process the console is a quiet buffer."""
    console = console or Console(file=io.StringIO())
    try:
        result = run(config, runs_dir=sweep_folder, console=console, tracking=tracking)
    except (WorkFailed, BadInput) as error:
        return RunOutcome(config["name"], None, "failed", str(error))
    metrics = {k: v for k, v in result.metrics.items() if isinstance(v, (int, float, str))}
    return RunOutcome(config["name"], result.folder.name, "finished", metrics=metrics)


def _run_in_process(
    config: dict[str, Any], sweep_folder: Path, tracking: TrackingOptions, threads: int
) -> RunOutcome:
    """One run in a fresh ``python -m dlworkflow.experiments.worker`` with its share of the
    cores (read when TensorFlow starts its pools); it dies with this process."""
    request = {"config": config, "sweep_folder": str(sweep_folder), "tracking": asdict(tracking)}
    environment = {
        **os.environ,
        "TF_NUM_INTRAOP_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "TF_NUM_INTEROP_THREADS": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "dlworkflow.experiments.worker"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=environment,
        preexec_fn=_die_with_parent,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return RunOutcome(config["name"], None, "failed", f"worker process: {reason}")
    return RunOutcome(**json.loads(lines[-1]))


def _die_with_parent() -> None:
    """Linux: the worker gets SIGKILL when the sweep's process dies (a killed sweep must
    not leave runs writing, and holding the locks of, folders it will resume)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


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
