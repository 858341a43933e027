"""Reading training curves: best and overfitting epochs, regimes, advice, commentary."""

import json

import numpy as np
import pytest

from dlworkflow.config import load_config
from dlworkflow.experiments import diagnose_run as diagnose


def history(
    epochs: int = 40,
    overfit_from: int | None = None,
    noise: float = 0.0,
    seed: int = 0,
    train_error: float = 0.01,
    val_error: float = 0.03,
) -> dict[str, list[float]]:
    """Loss curves falling as 1.5·e^(−t/4) towards a floor; with ``overfit_from`` = k the
    validation loss falls 0.03 per epoch into k and climbs 0.01 per epoch after it.
    Accuracies follow the losses down to the given final errors."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, epochs + 1, dtype=float)
    decay = 1.5 * np.exp(-t / 4)
    train = 0.05 + decay
    if overfit_from is None:
        val = 0.15 + decay
    else:
        k = overfit_from
        val = 0.15 + decay[k - 1] + np.where(t <= k, 0.03 * (k - t), 0.01 * (t - k))
    val = val + rng.normal(0, noise, epochs)
    scale = np.exp(-t / 4)
    return {
        "loss": train.tolist(),
        "accuracy": (1 - train_error - 0.8 * scale).tolist(),
        "val_loss": val.tolist(),
        "val_accuracy": (1 - val_error - 0.8 * scale).tolist(),
        "lr": [0.002] * epochs,
        "epoch_seconds": [0.1] * epochs,
    }


def test_clean_curves_have_no_overfitting():
    result = diagnose(history())
    assert result["overfit_epoch"] is None and not result["overfitting"]
    assert result["best_epoch"] == 40
    assert result["regime"] == "good"
    assert any("stay alike" in line for line in result["commentary"])
    json.dumps(result, allow_nan=False)


@pytest.mark.parametrize("k", [8, 15, 25])
@pytest.mark.parametrize("seed", range(5))
def test_overfitting_epoch_is_found_within_one(k: int, seed: int):
    result = diagnose(history(overfit_from=k, noise=0.005, seed=seed))
    assert result["overfitting"]
    assert abs(result["overfit_epoch"] - k) <= 1
    assert any(f"overfits from epoch {result['overfit_epoch']}" in s for s in result["commentary"])
    assert result["advice"][0]["change"].startswith("train.early_stopping")


@pytest.mark.parametrize("seed", range(20))
def test_noise_without_a_rising_trend_is_not_overfitting(seed: int):
    result = diagnose(history(noise=0.03, seed=seed))
    assert result["overfit_epoch"] is None


def test_a_single_late_uptick_is_not_overfitting():
    curves = history()
    curves["val_loss"][-2] += 0.5
    assert diagnose(curves)["overfit_epoch"] is None


def test_diverging_loss_is_reported_with_a_lower_rate():
    curves = history(epochs=12)
    curves["loss"][8:] = [3.0, 40.0, float("inf"), float("nan")]
    result = diagnose(curves)
    assert result["regime"] == "diverged"
    assert result["diverged"]["epoch"] == 9
    assert result["advice"][0]["change"] == "compile.optimizer.lr: 0.0002"
    assert result["commentary"][0].startswith("Training diverged at epoch 9")
    assert result["best_epoch"] <= 8
    json.dumps(result, allow_nan=False)


def test_underfitting_still_improving_asks_for_more_epochs_and_a_bigger_model():
    t = np.arange(1, 11, dtype=float)
    loss = (1.0 - 0.05 * t).tolist()  # falling steadily, far from done
    curves = {
        "loss": loss,
        "val_loss": [v + 0.02 for v in loss],
        "accuracy": (0.5 + 0.02 * t).tolist(),
        "val_accuracy": (0.49 + 0.02 * t).tolist(),
        "lr": [0.001] * 10,
    }
    config = load_config({"train": {"epochs": 10}})
    result = diagnose(curves, config=config)
    assert result["regime"] == "high bias"
    assert result["still_improving"]
    changes = [item["change"] for item in result["advice"]]
    assert changes[:3] == [
        "train.epochs: 20",
        "model.options.hidden: [256, 256]",
        "compile.optimizer.lr: 0.003",
    ]


@pytest.mark.parametrize(
    ("train_error", "val_error", "regime"),
    [
        (0.01, 0.11, "high variance"),
        (0.15, 0.16, "high bias"),
        (0.15, 0.30, "high bias and high variance"),
        (0.005, 0.01, "good"),
    ],
)
def test_the_notes_bias_variance_table(train_error: float, val_error: float, regime: str):
    result = diagnose(history(train_error=train_error, val_error=val_error))
    assert result["errors"]["train"] == pytest.approx(train_error, abs=1e-3)
    assert result["errors"]["validation"] == pytest.approx(val_error, abs=1e-3)
    assert result["regime"] == regime


def test_variance_advice_is_the_courses_step_7():
    config = load_config({"data": {"source": "digits", "limit": 300}})
    result = diagnose(history(train_error=0.01, val_error=0.11), config=config)
    changes = [item["change"] for item in result["advice"]]
    assert changes[0] == "data.limit: null"
    assert "model.options.dropout: 0.3" in changes
    assert any("augmentation" in change for change in changes)
    assert any("l2" in change for change in changes)


def test_a_baseline_error_moves_the_bias_judgement():
    curves = history(train_error=0.15, val_error=0.16)
    assert diagnose(curves, baseline_error=0.14)["regime"] == "good"


def test_chance_level_training_error_is_called_out():
    curves = history(train_error=0.88, val_error=0.89)
    result = diagnose(curves, chance_error=0.9)
    assert result["regime"] == "high bias"
    assert any("majority class" in line for line in result["commentary"])


def test_regression_histories_use_the_loss():
    curves = {"loss": [4.0, 2.0, 1.0, 0.6, 0.5, 0.45], "val_loss": [4.2, 2.4, 1.5, 1.2, 1.1, 1.1]}
    result = diagnose(curves)
    assert result["metric"] is None and result["errors"]["kind"] == "loss"
    assert result["regime"] == "high variance"


def test_without_validation_the_commentary_says_so():
    result = diagnose({"loss": [1.0, 0.5, 0.3, 0.2], "accuracy": [0.5, 0.7, 0.8, 0.9]})
    assert result["overfit_epoch"] is None
    assert any("no validation curve" in line for line in result["commentary"])
