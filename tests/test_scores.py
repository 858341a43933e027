"""Loss and metrics from one prediction pass equal ``model.evaluate``'s."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from dlworkflow.config import load_config
from dlworkflow.evaluate.scores import scores_from_predictions
from dlworkflow.experiments import prepare

CONV = [
    {"Conv2D": {"filters": 4, "kernel_size": 3, "activation": "relu"}},
    "Flatten",
    {"Dense": {"units": 10, "activation": "softmax"}},
]
L2 = [
    {"Dense": {"units": 16, "activation": "relu", "kernel_regularizer": "l2"}},
    {"Dense": {"units": 10, "activation": "softmax"}},
]


def regression_csv(folder: Path) -> str:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    y = x @ [1.5, -2.0, 0.5] + rng.normal(scale=0.1, size=120)
    rows = [
        "a,b,c,y",
        *(",".join(f"{v:.5f}" for v in (*row, t)) for row, t in zip(x, y, strict=True)),
    ]
    (folder / "reg.csv").write_text("\n".join(rows))
    return f"csv:{folder / 'reg.csv'}"


CASES = {
    "sparse + accuracy": {},
    "one-hot + top-k": {
        "compile": {
            "loss": "categorical_crossentropy",
            "metrics": ["accuracy", "top_k_categorical_accuracy"],
        }
    },
    "binary + auc, precision": {
        "data": {"source": "moons"},
        "compile": {"metrics": ["accuracy", "auc", "precision", "recall"]},
    },
    "focal": {"data": {"source": "moons"}, "compile": {"loss": "binary_focal_crossentropy"}},
    "weight penalty": {"model": {"layers": L2}},
    "bf16 conv": {
        "data": {"flatten": False},
        "model": {"layers": CONV},
        "train": {"precision": "mixed_bfloat16"},
    },
    "regression": {
        "data": {"source": "REGRESSION", "options": {"target": "y"}},
        "compile": {"metrics": ["mae", "mse"]},
    },
}


@pytest.mark.parametrize("overrides", CASES.values(), ids=CASES.keys())
def test_scores_equal_model_evaluate(overrides: dict, tmp_path: Path) -> None:
    config = load_config().model_dump()
    for section, values in overrides.items():
        values = {
            k: regression_csv(tmp_path) if v == "REGRESSION" else v for k, v in values.items()
        }
        config[section] = values if section == "model" else {**config[section], **values}
    prepared = prepare(load_config(config))
    model, dataset = prepared.model, prepared.dataset
    x, y = prepared.arrays(dataset.train)
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    x_test, y_test = prepared.arrays(dataset.test)
    expected = model.evaluate(x_test, y_test, batch_size=32, verbose=0, return_dict=True)
    y_prob = model.predict(x_test, batch_size=32, verbose=0)
    scores = scores_from_predictions(model, y_test, y_prob)
    assert scores is not None and scores.keys() == expected.keys()
    for name, value in expected.items():
        assert scores[name] == pytest.approx(float(value), abs=1e-6, rel=1e-6), name


def test_what_predictions_cannot_give_falls_back() -> None:
    """An activity regulariser's penalty comes from the forward pass; uncompiled, no loss."""
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, activity_regularizer="l2")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))
    x, y = np.ones((5, 4), np.float32), np.zeros(5, np.int64)
    assert scores_from_predictions(model, y, model.predict(x, verbose=0)) is None
    model.compile(loss="sparse_categorical_crossentropy")
    assert scores_from_predictions(model, y, model.predict(x, verbose=0)) is None
