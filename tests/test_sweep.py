"""Sweeps: expansion, refusal of bad sweeps before any run, running, parallel and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from dlworkflow.config import load_config
from dlworkflow.errors import BadInput
from dlworkflow.experiments import plan_sweep, run_sweep
from dlworkflow.keypaths import flatten, get_path, parse_path, with_overrides

from .conftest import run_dlw
from .html_parse import ReportPage

BASE = {
    "name": "tiny",
    "seed": 7,
    "data": {"source": "digits", "limit": 200},
    "model": {
        "layers": [
            {"Dense": {"units": 8, "activation": "relu"}},
            {"Dense": {"units": 10, "activation": "softmax"}},
        ]
    },
    "train": {"epochs": 2, "learnability": False},
}


def sweep_config(**sweep) -> dict:
    return {**BASE, "sweep": sweep}


def test_dotted_paths_parse_read_and_override_without_touching_the_original():
    assert parse_path("model.layers[0].Dense.units") == ["model", "layers", 0, "Dense", "units"]
    mapping = {"model": {"layers": [{"Dense": {"units": 8}}]}}
    changed = with_overrides(mapping, {"model.layers[0].Dense.units": 32})
    assert get_path(changed, "model.layers[0].Dense.units") == 32
    assert mapping["model"]["layers"][0]["Dense"]["units"] == 8
    assert flatten(changed) == {"model.layers[0].Dense.units": 32}
    for bad in ("a..b", ".a", "a[x]", "[0].a", "a b", ""):
        with pytest.raises(BadInput, match="not a dotted key path"):
            parse_path(bad)


def test_grid_expands_to_the_product_with_readable_names():
    plan = plan_sweep(
        sweep_config(
            grid={
                "model.layers[0].Dense.activation": ["relu", "sigmoid"],
                "data.scale": ["unit", "none"],
            }
        )
    )
    assert [run.name for run in plan.runs] == [
        "activation-relu_scale-unit",
        "activation-relu_scale-none",
        "activation-sigmoid_scale-unit",
        "activation-sigmoid_scale-none",
    ]
    last = plan.runs[-1].config
    assert last.model.layers[0]["Dense"]["activation"] == "sigmoid"
    assert last.data.scale == "none" and last.name == "activation-sigmoid_scale-none"
    assert plan.name == "tiny"


def test_variants_cross_the_grid_and_sample_is_seeded():
    config = sweep_config(
        variants=[
            {"name": "small", "set": {"model.layers[0].Dense.units": 4}},
            {"name": "big", "set": {"model.layers[0].Dense.units": 64}},
        ],
        grid={"train.batch_size": [16, 32, 64]},
        sample=3,
    )
    first, second = plan_sweep(config), plan_sweep(config)
    names = [run.name for run in first.runs]
    assert names == [run.name for run in second.runs] and len(names) == 3
    assert set(names) <= {f"{v}_batch_size-{b}" for v in ("small", "big") for b in (16, 32, 64)}
    for run in first.runs:
        units = run.config.model.layers[0]["Dense"]["units"]
        assert units == (4 if run.variant == "small" else 64)


def test_repeats_change_the_training_seed_but_keep_the_splits():
    plan = plan_sweep(sweep_config(repeats=3))
    assert [run.name for run in plan.runs] == ["tiny-s7", "tiny-s8", "tiny-s9"]
    assert [run.config.seed for run in plan.runs] == [7, 8, 9]
    assert {run.config.data.seed for run in plan.runs} == {7}


def test_a_config_without_sweep_is_not_a_sweep_and_load_config_refuses_a_sweep():
    assert plan_sweep(BASE) is None
    with pytest.raises(BadInput, match="sweep: this config is a sweep"):
        load_config(sweep_config(repeats=2))


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        ({"grid": {"compile.optimizer.momentum": [0.9]}}, "'momentum' is not in compile.optimizer"),
        ({"grid": {"model.layers[5].Dense.units": [3]}}, r"model.layers has no item \[5\]"),
        ({"grid": {"data.scale": []}}, "sweep.grid: .*'data.scale' has no values"),
        ({"grid": {"data.scale": ["unit", "sideways"]}}, "sweep run 'scale-sideways': data.scale"),
        ({"grid": {"train.batch_size": ["many"]}}, "train.batch_size"),
        ({"variants": [{"name": "a"}, {"name": "a"}]}, "unique: a repeats"),
        ({}, "nothing varies"),
        ({"sample": 2, "repeats": 2}, "there is no grid"),
        ({"grid": {"model..units": [1]}}, "not a dotted key path"),
        ({"repeats": 0}, "sweep.repeats"),
        ({"grid": {"data.scale": ["unit"]}, "jobs": 2}, "sweep.jobs: unknown key"),
    ],
)
def test_bad_sweeps_are_refused_naming_the_key(sweep, message):
    with pytest.raises(BadInput, match=message):
        plan_sweep(sweep_config(**sweep))


def test_semantic_problems_of_any_run_are_found_before_the_first_run(tmp_path):
    config = sweep_config(grid={"compile.loss": ["categorical_crossentropy", "mean_squared_error"]})
    with pytest.raises(BadInput, match="sweep run 'loss-mean_squared_error'"):
        run_sweep(plan_sweep(config), runs_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_a_bad_sweep_with_one_line_and_no_folder(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(sweep_config(grid={"train.epoch": [1, 2]})))
    result = run_dlw("run", str(path), "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "'epoch' is not in train" in result.stderr and str(path) in result.stderr
    assert not (tmp_path / "runs").exists()


def test_sweep_runs_in_two_processes_and_a_rerun_starts_a_new_sweep(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep_config(grid={"train.batch_size": [16, 32]})))
    result = run_dlw("run", str(path), "--runs-dir", "runs", "--jobs", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "runs" / "tiny"
    summary = json.loads((folder / "sweep.json").read_text())
    assert [run["status"] for run in summary["runs"]] == ["finished", "finished"]
    assert summary["varied"] == ["train.batch_size"]
    for run in summary["runs"]:
        saved = yaml.safe_load((folder / run["folder"] / "config.yaml").read_text())
        assert saved["train"]["batch_size"] == run["overrides"]["train.batch_size"]
        assert (folder / run["folder"] / "report.html").is_file()
    assert "batch_size-16" in result.stdout and "batch_size-32" in result.stdout
    page = ReportPage((folder / "compare.html").read_text(encoding="utf-8"))
    assert page.external == [] and page.svg_count >= 1


def test_killed_sweep_resumes_with_the_runs_not_yet_finished(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep_config(grid={"train.batch_size": [16, 32]})))
    env = {**os.environ, "DLW_OFFLINE": "1"}
    command = [sys.executable, "-c", "from dlworkflow.cli import main; main()", "run"]
    process = subprocess.Popen(
        [*command, str(path), "--runs-dir", "runs"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    first = tmp_path / "runs" / "tiny" / "batch_size-16" / "metrics.json"
    deadline = time.monotonic() + 240
    while not first.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert first.exists()
    finished_at = first.stat().st_mtime_ns
    assert not (tmp_path / "runs" / "tiny" / "sweep.json").exists()

    plan = plan_sweep(path)
    result = run_sweep(plan, runs_dir=tmp_path / "runs")
    assert result.folder == tmp_path / "runs" / "tiny"
    assert [outcome.status for outcome in result.outcomes] == ["skipped", "finished"]
    assert first.stat().st_mtime_ns == finished_at
    assert sorted(p.name for p in result.folder.iterdir()) == [
        "batch_size-16",
        "batch_size-32",
        "compare.html",
        "figures",  # the comparison's figures, also inline in compare.html
        "sweep.json",
        "sweep.yaml",
    ]
    assert Path(result.folder / "batch_size-32" / "metrics.json").is_file()
