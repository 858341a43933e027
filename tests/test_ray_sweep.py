"""Sweeps on Ray: a real local cluster gives the same run folders and results as
``--jobs 1``; a cluster started by ``ray start`` is joined with ``--address``, and a
sweep killed under Ray resumes there."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from dlworkflow.errors import BadInput
from dlworkflow.experiments import plan_sweep, run_sweep
from dlworkflow.runfolder import read_run

from .conftest import REPO, run_dlw
from .test_sweep import BASE as TINY

ray = pytest.importorskip("ray")  # the optional extra dlworkflow[ray]; in dev


def tiny_sweep(**sweep) -> dict:
    return {**TINY, "sweep": {"grid": {"train.batch_size": [16, 32]}, **sweep}}


def run_files(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


@pytest.mark.slow
def test_a_local_ray_cluster_gives_the_same_runs_as_one_job(tmp_path):
    plan = plan_sweep(tiny_sweep())
    here = run_sweep(plan, runs_dir=tmp_path / "local")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = run_sweep(plan, runs_dir=tmp_path / "ray", executor="ray")
    finally:
        ray.shutdown()
    assert [o.status for o in on_ray.outcomes] == ["finished", "finished"]
    assert run_files(on_ray.folder) == run_files(here.folder)  # folders, figures, compare
    local_summary = json.loads((here.folder / "sweep.json").read_text())
    ray_summary = json.loads((on_ray.folder / "sweep.json").read_text())
    assert ray_summary == local_summary
    for outcome, reference in zip(on_ray.outcomes, here.outcomes, strict=True):
        ours, theirs = (read_run(sweep / outcome.folder) for sweep in (on_ray.folder, here.folder))
        assert ours.history.keys() == theirs.history.keys()
        for key, values in ours.history.items():  # 1 thread per Ray task, 2 here: last bits
            if key == "epoch_seconds":
                continue
            np.testing.assert_allclose(values, theirs.history[key], rtol=1e-4, atol=1e-6)
        assert ours.metrics["accuracy"] == pytest.approx(theirs.metrics["accuracy"])
        assert ours.metrics["loss"] == pytest.approx(theirs.metrics["loss"], rel=1e-4)
        assert outcome.metrics["accuracy"] == reference.metrics["accuracy"]
    assert (on_ray.folder / "compare.html").is_file()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def ray_head(monkeypatch):
    """``ray start --head --block`` in a subprocess (workers import this checkout); it is
    stopped through that process alone, never by a machine-wide ``ray stop``. Without
    Ray's token authentication: here a driver's token was refused by a ``ray start``
    cluster even when both read the same one (Ray 2.60); the test cluster is local."""
    port = free_port()
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "RAY_USAGE_STATS_ENABLED": "0"}
    head = subprocess.Popen(
        [
            *(sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block"),
            *(f"--port={port}", "--num-cpus=2", "--include-dashboard=false"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # up when the GCS answers on its port
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert head.poll() is None, "ray start exited"
            time.sleep(0.5)
    try:
        yield address
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # its session: raylet, GCS, workers
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()


@pytest.mark.slow
def test_a_sweep_killed_on_a_ray_cluster_resumes_there(tmp_path, ray_head):
    path = tmp_path / "sweep.yaml"  # two CPUs per run: one run at a time on 2 CPUs
    path.write_text(yaml.safe_dump(tiny_sweep(resources={"cpus": 2})))
    command = [sys.executable, "-c", "from dlworkflow.cli import main; main()", "run"]
    args = [str(path), "--runs-dir", "runs", "--executor", "ray", "--address", ray_head]
    log = tmp_path / "first.log"
    with log.open("w") as stream:
        process = subprocess.Popen([*command, *args], cwd=tmp_path, stdout=stream, stderr=stream)
    first = tmp_path / "runs" / "tiny" / "batch_size-16" / "metrics.json"
    deadline = time.monotonic() + 300
    while not first.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert first.exists(), log.read_text()[-2000:]
    finished_at = first.stat().st_mtime_ns
    assert not (tmp_path / "runs" / "tiny" / "sweep.json").exists()

    result = run_dlw("run", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "runs" / "tiny" / "sweep.json").read_text())
    assert [run["status"] for run in summary["runs"]] == ["skipped", "finished"]
    assert first.stat().st_mtime_ns == finished_at
    assert (tmp_path / "runs" / "tiny" / "batch_size-32" / "report.html").is_file()
    assert (tmp_path / "runs" / "tiny" / "compare.html").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--executor", "dask"], "--executor: 'dask' is not one of local, ray"),
        (["--executor", "ray", "--jobs", "2"], "--jobs: applies to --executor local"),
        (["--address", "auto"], "--address: applies to --executor ray only"),
    ],
)
def test_bad_executor_options_are_refused_before_anything_is_written(tmp_path, args, message):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(tiny_sweep()))
    result = run_dlw("run", str(path), "--runs-dir", "runs", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ({"cpus": 0}, "sweep.resources.cpus"),
        ({"gpus": -1}, "sweep.resources.gpus"),
        ({"memory": 4}, "sweep.resources.memory"),
    ],
)
def test_bad_resources_are_refused_naming_the_key(resources, message):
    with pytest.raises(BadInput, match=message):
        plan_sweep(tiny_sweep(resources=resources))
