"""The LR range test and seed 002's epoch-wise variant."""

import json
import math

import numpy as np
import pytest

from dlworkflow.errors import BadInput
from dlworkflow.figures import save_figure
from dlworkflow.train import find_lr, lr_finder_figure, lr_range_by_epoch
from dlworkflow.train.lr_finder import suggest

from .digits import digits


def same_weights(before: list[np.ndarray], after: list[np.ndarray]) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_range_test_leaves_the_model_alone_and_suggests_a_sane_rate(tmp_path):
    setup = digits()
    before = [w.copy() for w in setup.model.get_weights()]
    optimizer_lr = float(setup.model.optimizer.learning_rate)
    result = find_lr(setup.model, setup.x, setup.y, batch_size=32)
    assert same_weights(before, setup.model.get_weights())
    assert float(setup.model.optimizer.learning_rate) == optimizer_lr
    assert len(result.lrs) <= 100
    assert result.lrs[0] == pytest.approx(1e-7)
    assert all(a < b for a, b in zip(result.lrs, result.lrs[1:], strict=False))
    assert result.diverged  # 10 is far too high for Adam
    assert 1e-4 <= result.recommended <= 1e-1
    rates = sorted(result.suggestions[rule] for rule in ("valley", "steepest", "minimum/10"))
    assert result.recommended == rates[1]  # the middle rule's rate
    assert result.suggestions["lowest_loss"] == pytest.approx(10 * result.suggestions["minimum/10"])
    json.dumps(result.to_dict(), allow_nan=False)
    assert save_figure(lr_finder_figure(result), tmp_path / "lr.svg").stat().st_size > 0


def test_the_same_seed_gives_the_same_curve():
    setup = digits()
    first = find_lr(setup.model, setup.x, setup.y, steps=15, seed=3)
    second = find_lr(setup.model, setup.x, setup.y, steps=15, seed=3)
    assert first.losses == second.losses


def test_epoch_wise_variant_follows_seed_002s_schedule():
    setup = digits()
    before = [w.copy() for w in setup.model.get_weights()]
    result = lr_range_by_epoch(setup.model, setup.x[:300], setup.y[:300], epochs=8)
    assert same_weights(before, setup.model.get_weights())
    assert result.unit == "epoch"
    expected = [1e-4 * 10 ** (epoch / 20) for epoch in range(len(result.lrs))]
    assert result.lrs == pytest.approx(expected, rel=1e-5)
    assert [row["epoch"] for row in result.table()] == list(range(1, len(result.lrs) + 1))


def test_a_flat_curve_has_no_suggestion():
    lrs = [10 ** (-7 + i / 4) for i in range(20)]
    assert suggest(lrs, [2.3] * 20) == {}
    assert suggest(lrs, [2.3, math.nan]) == {}


def test_bad_range_is_refused():
    setup = digits()
    with pytest.raises(BadInput, match="start_lr"):
        find_lr(setup.model, setup.x, setup.y, start_lr=1.0, end_lr=0.1)
    with pytest.raises(BadInput, match="batch_size"):
        find_lr(setup.model, setup.x[:10], setup.y[:10], batch_size=32)
