"""Regression targets standardised on the training split, inverted for every result."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

import dlworkflow
from dlworkflow.data import load_dataset
from dlworkflow.data.preprocess import Preprocessing
from dlworkflow.errors import BadInput


def test_target_scale_is_fitted_on_the_training_split_only():
    dataset = load_dataset("diabetes")
    pre = dataset.preprocessing
    assert pre.target_offset == pytest.approx(float(dataset.train.y.mean()), rel=1e-6)
    assert pre.target_factor == pytest.approx(float(dataset.train.y.std()), rel=1e-6)
    scaled = pre.encode_target(dataset.train.y)
    assert abs(scaled.mean()) < 1e-5 and scaled.std() == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(pre.decode_target(scaled), dataset.train.y, rtol=1e-5)
    # recorded with the run and read back
    again = Preprocessing.from_dict(json.loads(json.dumps(pre.to_dict())))
    assert again == pre


def test_target_scale_none_and_classification_keep_the_identity():
    assert (
        load_dataset({"source": "diabetes", "target_scale": "none"}).preprocessing.target_factor
        == 1.0
    )
    digits = load_dataset("digits").preprocessing
    assert (digits.target_offset, digits.target_factor) == (0.0, 1.0)
    old_record = {"scale": "standard", "offset": [0.0], "factor": [1.0]}  # runs before this
    assert Preprocessing.from_dict(old_record).target_factor == 1.0


@pytest.mark.parametrize("value", ["minmax", 1, None])
def test_bad_target_scale_names_the_key(value):
    with pytest.raises(BadInput, match="data.target_scale"):
        load_dataset({"source": "diabetes", "target_scale": value})


def diabetes(target_scale: str) -> dict:
    return {
        "name": f"diabetes-{target_scale}",
        "data": {"source": "diabetes", "target_scale": target_scale},
        "model": {"zoo": "mlp"},
        "train": {"epochs": 40, "batch_size": 8},
    }


def test_default_mlp_learns_diabetes_like_linear_regression(tmp_path: Path):
    run = dlworkflow.run(diabetes("standard"), runs_dir=tmp_path)
    dataset = run.dataset
    reference = LinearRegression().fit(dataset.train.x, dataset.train.y)
    linear_r2 = r2_score(dataset.test.y, reference.predict(dataset.test.x))
    r2 = run.metrics["evaluation"]["r2"]
    assert linear_r2 == pytest.approx(0.45, abs=0.08)
    assert r2 >= 0.40 and r2 > linear_r2 - 0.06, (r2, linear_r2)
    unscaled = dlworkflow.run(diabetes("none"), runs_dir=tmp_path)
    assert unscaled.metrics["evaluation"]["r2"] < r2 - 0.05  # what the default fixes
    # predictions are written in the target's own units (hundreds), not standardised
    saved = np.load(run.folder / "predictions.npz")
    assert 50 < float(np.mean(saved["y_prob"])) < 250
    assert r2_score(saved["y_true"], saved["y_prob"].ravel()) == pytest.approx(r2, abs=1e-6)
    recorded = json.loads((run.folder / "data.json").read_text())["preprocessing"]
    assert recorded["target_factor"] == pytest.approx(dataset.preprocessing.target_factor)
