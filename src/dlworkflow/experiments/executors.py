"""Where a sweep's runs execute: here one at a time, in local worker processes, or as
Ray tasks on a cluster.

:func:`dlworkflow.experiments.sweep_runner.run_sweep` keeps the bookkeeping (which runs
are still to do, the sweep folder and its lock, ``sweep.json``, ``compare.html``); an
executor only turns run requests into outcomes (:class:`RunOutcome`), yielded as they end.
Every executor runs a run through :func:`run_one` into the same sweep folder, so the
run folders are the same whichever executor wrote them, and a rerun resumes either.

Ray needs the sweep folder on a filesystem every Ray node mounts at the same path (NFS,
a cluster file system, or a one-machine cluster): workers write their run folders
directly, nothing is copied back to the driver.
"""

from __future__ import annotations

import ctypes
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console

from dlworkflow.errors import BadInput, WorkFailed
from dlworkflow.experiments.runner import run
from dlworkflow.experiments.tracking import TrackingOptions

EXECUTORS = ("local", "ray")


@dataclass
class RunOutcome:
    name: str
    folder: str | None
    status: str  # finished | skipped (already finished) | failed
    message: str = ""
    metrics: dict[str, Any] | None = None


@dataclass(frozen=True)
class RunRequest:
    """One sweep run to execute: its resolved config and where the sweep folder is."""

    config: dict[str, Any]
    sweep_folder: str
    tracking: TrackingOptions


class Executor(Protocol):
    def execute(self, requests: Sequence[RunRequest]) -> Iterator[RunOutcome]:
        """Run every request; yield each outcome as its run ends (any order)."""
        ...


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


@dataclass
class InProcess:
    """One run after the other in this process, its progress on the console."""

    console: Console

    def execute(self, requests: Sequence[RunRequest]) -> Iterator[RunOutcome]:
        for request in requests:
            yield run_one(request.config, request.sweep_folder, request.tracking, self.console)


@dataclass
class LocalProcesses:
    """``jobs`` runs at a time, each in a fresh ``python -m dlworkflow.experiments.worker``
    with ``cores // jobs`` threads."""

    jobs: int

    def execute(self, requests: Sequence[RunRequest]) -> Iterator[RunOutcome]:
        threads = max(1, (os.cpu_count() or 1) // self.jobs)
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            futures = [pool.submit(_run_in_process, request, threads) for request in requests]
            for future in as_completed(futures):
                yield future.result()


@dataclass
class RayTasks:
    """Each run as one Ray task with ``cpus``/``gpus`` reserved, in a worker process used
    for that run only (``max_calls=1``: no TensorFlow state carries over, as locally).

    ``address``: None joins the cluster ``ray start`` runs on this machine (or
    ``RAY_ADDRESS``) and else starts a local Ray instance, as ``ray.init`` does; ``auto``
    requires such a cluster; ``ray://HOST:PORT`` a remote one through Ray
    Client. A Ray session already initialised in this process (a notebook's
    ``ray.init``) is used as it is and left running.
    """

    address: str | None = None
    cpus: float = 1
    gpus: float = 0

    def execute(self, requests: Sequence[RunRequest]) -> Iterator[RunOutcome]:
        ray = import_ray()
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=self.address, log_to_driver=False, configure_logging=False)
        try:
            task = ray.remote(max_calls=1, max_retries=0)(_ray_task).options(
                num_cpus=self.cpus, num_gpus=self.gpus
            )
            threads = max(1, int(self.cpus))
            pending = {task.remote(_portable(r), threads): r for r in requests}
            while pending:
                [ready], _ = ray.wait(list(pending), num_returns=1)
                request = pending.pop(ready)
                try:
                    yield ray.get(ready)
                except ray.exceptions.RayError as error:  # the worker died, or Ray did
                    reason = str(error).strip().splitlines()[-1][:300]
                    yield RunOutcome(request.config["name"], None, "failed", f"ray: {reason}")
        finally:
            if started_here:
                ray.shutdown()


def import_ray():
    """Ray, or one line saying how to install it (before anything is written)."""
    try:
        import ray
    except ImportError:
        raise BadInput(
            "--executor ray: Ray is not installed; pip install 'dlworkflow[ray]'"
        ) from None
    return ray


def make_executor(
    name: str,
    jobs: int,
    console: Console,
    address: str | None = None,
    cpus: float = 1,
    gpus: float = 0,
) -> Executor:
    """The executor for ``--executor``/``--jobs``/``--address`` and ``sweep.resources``."""
    if name not in EXECUTORS:
        raise BadInput(f"--executor: '{name}' is not one of {', '.join(EXECUTORS)}")
    if jobs < 1:
        raise BadInput(f"--jobs: must be at least 1, got {jobs}")
    if name == "ray":
        if jobs != 1:
            raise BadInput(
                "--jobs: applies to --executor local; under Ray the cluster's CPUs/GPUs and "
                "sweep.resources decide how many runs go at once"
            )
        import_ray()
        return RayTasks(address, cpus, gpus)
    if address is not None:
        raise BadInput("--address: applies to --executor ray only")
    return InProcess(console) if jobs == 1 else LocalProcesses(jobs)


def _thread_environment(threads: int) -> dict[str, str]:
    """TensorFlow's pool sizes, read when its runtime starts (before the first op)."""
    return {
        "TF_NUM_INTRAOP_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "TF_NUM_INTEROP_THREADS": "1",
    }


def _portable(request: RunRequest) -> RunRequest:
    """Paths a worker with another working directory resolves the same way."""
    tracking = request.tracking
    if tracking.mlflow is not None and "://" not in tracking.mlflow:
        tracking = replace(tracking, mlflow=str(Path(tracking.mlflow).resolve()))
    return replace(
        request, sweep_folder=str(Path(request.sweep_folder).resolve()), tracking=tracking
    )


def _ray_task(request: RunRequest, threads: int) -> RunOutcome:
    """The body of a Ray task (module level, so Ray ships it by reference)."""
    os.environ.update(_thread_environment(threads))
    return run_one(request.config, request.sweep_folder, request.tracking)


def _run_in_process(request: RunRequest, threads: int) -> RunOutcome:
    """One run in a fresh ``python -m dlworkflow.experiments.worker`` with its share of the
    cores (read when TensorFlow starts its pools); it dies with this process."""
    message = {
        "config": request.config,
        "sweep_folder": request.sweep_folder,
        "tracking": asdict(request.tracking),
    }
    done = subprocess.run(
        [sys.executable, "-m", "dlworkflow.experiments.worker"],
        input=json.dumps(message),
        capture_output=True,
        text=True,
        env={**os.environ, **_thread_environment(threads)},
        preexec_fn=_die_with_parent,
    )
    lines = done.stdout.strip().splitlines()
    name = request.config["name"]
    if done.returncode != 0 or not lines:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return RunOutcome(name, None, "failed", f"worker process: {reason}")
    return RunOutcome(**json.loads(lines[-1]))


def _die_with_parent() -> None:
    """Linux: the worker gets SIGKILL when the sweep's process dies (a killed sweep must
    not leave runs writing, and holding the locks of, folders it will resume)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
