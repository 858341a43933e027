"""The shared steps 5–10 (``experiments/workflow_steps.py``) and what the runners hand them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from dlworkflow.config import load_config
from dlworkflow.evaluate.scores import scores_from_predictions
from dlworkflow.experiments import run
from dlworkflow.experiments.advice import diagnose_run
from dlworkflow.experiments.preparation import prepare
from dlworkflow.experiments.workflow_steps import evaluation_split, learnability_step
from tests.text_data import write_reviews


def _wave(folder: Path) -> str:
    steps = np.arange(120)
    rows = [f"{2000 + t},{10 + 5 * np.sin(2 * np.pi * t / 12):.4f},{t % 7}" for t in steps]
    (folder / "wave.csv").write_text("year,wave,other\n" + "\n".join(rows))
    return f"csv:{folder / 'wave.csv'}"


def _reviews(folder: Path) -> str:
    return f"csv:{write_reviews(folder / 'reviews.csv', count=80)}"


FORECAST = {
    "task": "forecast",
    "data": {"source": "WAVE", "options": {"time": "year", "columns": ["wave", "other"]}},
    "forecast": {"lookback": 12, "horizon": 3, "season": 12, "relative": True},
    "model": {"zoo": "gru", "options": {"units": 8}},
}
TEXT = {
    "task": "text",
    "data": {"source": "REVIEWS"},
    "text": {"max_tokens": 300, "sequence_length": 12},
    "model": {"zoo": "bilstm", "options": {"units": 4, "embedding_dim": 8}},
}
SEGMENTATION = {
    "task": "segmentation",
    "data": {"source": "shapes", "options": {"count": 24, "size": 32}},
    "model": {"zoo": "unet", "options": {"filters": 4, "depth": 2}},
    "compile": {"loss": "pixel_ce+dice"},
}
CASES = {
    "forecast mse + mae": FORECAST,
    "forecast mae + mse": {**FORECAST, "compile": {"loss": "mae", "metrics": ["mse"]}},
    "text cross-entropy": TEXT,
    "segmentation softmax, ce + dice": SEGMENTATION,
    "segmentation sigmoid, dice": {
        **SEGMENTATION,
        "data": {"source": "unet_membrane", "options": {"image_size": 32}},
        "compile": {"loss": "dice"},
    },
}


@pytest.mark.parametrize("overrides", CASES.values(), ids=CASES.keys())
def test_one_pass_scores_equal_model_evaluate_for_every_task(
    overrides: dict, tmp_path: Path
) -> None:
    """Sequence and segmentation runs score their predictions as the ordinary run does."""
    config = {"name": "scores", **json.loads(json.dumps(overrides))}
    made = {"WAVE": _wave, "REVIEWS": _reviews}.get(config["data"]["source"])
    if made is not None:  # a file written for the test
        config["data"]["source"] = made(tmp_path)
    prepared = prepare(load_config(config))
    model, dataset = prepared.model, prepared.dataset
    model.fit(*prepared.arrays(dataset.train), epochs=1, batch_size=16, verbose=0)
    _, split = evaluation_split(dataset)
    x, y = prepared.arrays(split)
    expected = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    scores = scores_from_predictions(model, y, model.predict(x, batch_size=7, verbose=0))
    assert scores is not None and scores.keys() == expected.keys()
    for name, value in expected.items():
        assert scores[name] == pytest.approx(float(value), abs=1e-6, rel=1e-6), name


def test_the_learnability_step_checks_once_and_a_resume_keeps_that_record(tmp_path: Path) -> None:
    console = Console(record=True, width=60)
    record = {"passed": False, "verdict": "not yet: " + "the loss stayed put " * 5}
    assert learnability_step(tmp_path, False, None, console) is None  # switched off
    assert not (tmp_path / "diagnostics.json").exists()
    assert learnability_step(tmp_path, False, lambda: record, console) == record
    assert json.loads((tmp_path / "diagnostics.json").read_text()) == {"learnability": record}
    assert f"can it learn? {record['verdict']}" in console.export_text()  # one line, unwrapped

    def not_again() -> dict:
        raise AssertionError("a resumed run does not check again")

    assert learnability_step(tmp_path, True, not_again, console) == record


def test_a_segmentation_run_laps_its_steps_and_draws_its_schedule(tmp_path: Path) -> None:
    config = {
        **SEGMENTATION,
        "name": "laps",
        "train": {"epochs": 2, "batch_size": 8, "schedule": {"kind": "cosine"}},
    }
    result = run(config, runs_dir=tmp_path)
    laps = result.metrics["step_seconds"]
    assert list(laps) == [
        "prepare",
        "folder and survey",
        "learnability",
        "fit",
        "diagnosis",
        "save model and drawings",
        "test predictions and scores",
        "evaluation figures",
    ]
    assert all(seconds >= 0 for seconds in laps.values())
    assert (result.folder / "figures" / "schedule.svg").is_file()
    # the masks' chance error: the largest class's share of the training pixels
    _, pixels = np.unique(result.dataset.train.y, return_counts=True)
    expected = diagnose_run(result.history, chance_error=1 - pixels.max() / pixels.sum())
    diagnostics = json.loads((result.folder / "diagnostics.json").read_text())
    assert expected["errors"] and diagnostics["diagnosis"]["errors"] == json.loads(
        json.dumps(expected["errors"], default=float)
    )
