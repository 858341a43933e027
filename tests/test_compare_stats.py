"""The comparison's pure parts on plain data: config keys, grouping, mean ± std, noise."""

import math
from pathlib import Path

import numpy as np
import pytest

from dlworkflow.compare.comparison import Variant, mark_variants, run_numbers, short_keys
from dlworkflow.compare.configs import ABSENT, variant_ids, varied_keys
from dlworkflow.compare.page import spread
from dlworkflow.compare.stats import (
    BEST,
    BEYOND_NOISE,
    NO_SPREAD,
    WITHIN_NOISE,
    Summary,
    best_index,
    summarize,
    verdict,
    within_noise,
)
from dlworkflow.keypaths import flatten
from dlworkflow.runfolder import RunRecord


def config(name: str, seed: int, lr: float = 0.001, activation: str = "relu", **data) -> dict:
    return {
        "name": name,
        "seed": seed,
        "data": {"source": "digits", "limit": None, **data},
        "model": {"layers": [{"Dense": {"units": 8, "activation": activation}}, "Flatten"]},
        "compile": {"optimizer": {"name": "adam", "lr": lr}},
        "train": {"hidden": [64, 32], "schedule": {}},
    }


def test_flatten_names_every_leaf_by_its_dotted_path():
    flat = flatten(config("a", 1))
    assert flat["model.layers[0].Dense.activation"] == "relu"
    assert flat["model.layers[1]"] == "Flatten"
    assert flat["compile.optimizer.lr"] == 0.001
    assert flat["data.limit"] is None
    assert flat["train.hidden"] == [64, 32]  # a list of plain values is one setting
    assert flat["train.schedule"] == {}


def test_varied_keys_leave_out_the_name_and_keep_the_seed():
    flats = [flatten(config("a", 1)), flatten(config("b", 2, lr=0.01))]
    assert varied_keys(flats) == ["seed", "compile.optimizer.lr"]
    extra = flatten(config("c", 1))
    extra["data.scale"] = "unit"  # a key only one config has
    assert varied_keys([flats[0], extra]) == ["data.scale"]
    assert flats[0].get("data.scale", ABSENT) == ABSENT


def test_configs_equal_but_for_name_and_seed_are_one_variant():
    flats = [
        flatten(c)
        for c in (
            config("a1", 1),
            config("b1", 1, activation="tanh"),
            config("a2", 2),
            config("b2", 2, activation="tanh"),
            config("c", 1, limit=100),
        )
    ]
    assert variant_ids(flats) == [0, 1, 0, 1, 2]


def test_short_keys_tell_keys_apart_with_the_shortest_tail():
    keys = ["compile.optimizer.lr", "model.layers[0].Dense.units", "model.layers[2].Dense.units"]
    assert short_keys(keys) == {
        "compile.optimizer.lr": "lr",
        "model.layers[0].Dense.units": "layers[0].Dense.units",
        "model.layers[2].Dense.units": "layers[2].Dense.units",
    }


@pytest.mark.parametrize("values", [[0.91, 0.95, 0.89], [2.0, 4.0], [0.5, 0.25, 0.75, 1.0]])
def test_summarize_is_numpys_mean_and_sample_std(values):
    summary = summarize(values)
    assert summary.n == len(values)
    assert summary.mean == pytest.approx(np.mean(values))
    assert summary.std == pytest.approx(np.std(values, ddof=1))


def test_summarize_one_value_has_no_spread_and_missing_values_do_not_count():
    assert summarize([0.9]) == Summary(0.9, None, 1)
    assert summarize([0.9, None, math.nan, 0.7]) == summarize([0.9, 0.7])
    assert summarize([None]) == Summary(None, None, 0)


def test_a_difference_smaller_than_the_spread_is_within_noise():
    best = Summary(0.91, 0.01, 3)
    close = Summary(0.90, 0.02, 3)  # |Δ| = 0.01 < 0.03
    far = Summary(0.80, 0.02, 3)  # |Δ| = 0.11 > 0.03
    assert within_noise(close, best) is True
    assert within_noise(far, best) is False
    assert verdict(close, best, is_best=False) == WITHIN_NOISE
    assert verdict(far, best, is_best=False) == BEYOND_NOISE
    assert verdict(best, best, is_best=True) == BEST


def test_one_run_has_no_spread_to_judge_by():
    single = Summary(0.5, None, 1)
    assert within_noise(single, Summary(0.91, 0.01, 3)) is None
    assert verdict(single, Summary(0.91, 0.01, 3), is_best=False) == NO_SPREAD


def test_best_index_skips_missing_scores_and_keeps_the_first_of_a_tie():
    assert best_index([0.8, math.nan, 0.9, 0.9, None], higher_is_better=True) == 2
    assert best_index([0.3, 0.1, math.nan, 0.1], higher_is_better=False) == 1


def test_spread_shows_mean_and_std_as_the_page_prints_them():
    assert spread(Summary(0.912345, 0.0123, 3), "test_accuracy") == "0.9123 ± 0.0123"
    assert spread(Summary(1210.0, 0.0, 2), "params") == "1,210 ± 0"
    assert spread(Summary(12.5, None, 1), "epochs_run") == "12.5"
    assert spread(Summary(None, None, 0)) == "—"


def variant(label: str, *values: float) -> Variant:
    return Variant(label, list(range(len(values))), [], {}, {"score": summarize(values)}, {})


def test_variants_are_marked_against_the_best_by_the_main_metric():
    variants = [
        variant("close", 0.90, 0.93, 0.87),  # mean 0.90, std 0.03
        variant("best", 0.92, 0.93, 0.91),  # mean 0.92, std 0.01
        variant("far", 0.70, 0.71, 0.72),
        variant("once", 0.91),
    ]
    assert mark_variants(variants, "score", higher_is_better=True) == 1
    assert [v.verdict for v in variants] == [WITHIN_NOISE, BEST, BEYOND_NOISE, NO_SPREAD]
    assert mark_variants(variants, "score", higher_is_better=False) == 2  # e.g. a loss
    assert [v.verdict for v in variants] == [BEYOND_NOISE, BEYOND_NOISE, BEST, NO_SPREAD]


def test_regression_runs_show_the_regression_metrics_at_the_best_epoch():
    record = RunRecord(
        folder=Path("runs/r"),
        config={"name": "r"},
        data={"task": "regression", "name": "prices"},
        environment={},
        history={"loss": [9.0, 4.0, 5.0], "mae": [3.0, 2.0, 2.2], "val_loss": [8.0, 3.0, 6.0]},
        metrics={
            "split": "test",
            "loss": 3.5,
            "mae": 1.9,
            "best_epoch": 2,
            "epochs_run": 3,
            "params": 17,
            "train_seconds": 1.25,
            "evaluation": {"mse": 3.5, "mae": 1.9, "rmse": 1.87, "r2": 0.8},
        },
    )
    assert run_numbers(record, "mae") == {
        "params": 17,
        "epochs_run": 3,
        "best_epoch": 2,
        "train_seconds": 1.25,
        "train_loss": 4.0,
        "val_loss": 3.0,
        "train_mae": 2.0,
        "val_mae": None,  # no validation mae logged
        "test_loss": 3.5,
        "test_mae": 1.9,
        "test_rmse": 1.87,
        "test_r2": 0.8,
    }
