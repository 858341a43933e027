"""``dlw compare`` on runs that repeat a seed or write a default out (issue 16, item 6)."""

import inspect
from pathlib import Path

import numpy as np
import pytest

import dlworkflow
from dlworkflow.compare import compare_runs, write_compare_page
from dlworkflow.compare.configs import with_defaults
from dlworkflow.models.defaults import zoo_defaults

from .html_parse import ReportPage

BASE = {
    "data": {"source": "blobs", "limit": 120, "seed": 0},
    "compile": {"optimizer": {"name": "adam", "lr": 0.01}},
    "train": {"epochs": 1, "learnability": False},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """plain: the default MLP; spelled: the same with the default options written out
    (``hidden: [128]``, ``data.options: {}``) and the same seed; other-seed: seed 7."""
    root = tmp_path_factory.mktemp("runs")
    for name, seed, model, data in (
        ("plain", 42, {"zoo": "mlp"}, {}),
        (
            "spelled",
            42,
            {"zoo": "mlp", "options": {"hidden": [128], "dropout": 0.0}},
            {"options": {}},
        ),
        ("other-seed", 7, {"zoo": "mlp"}, {}),
    ):
        config = {**BASE, "name": name, "seed": seed, "model": model}
        config["data"] = {**BASE["data"], **data}
        dlworkflow.run(config, runs_dir=root)
    return root


def test_a_default_written_out_is_no_difference(runs):
    comparison = compare_runs([runs / "plain", runs / "spelled"])
    assert comparison.varied == []  # not model.options / model.options.hidden
    assert comparison.shared["model.options.hidden"] == [128]
    assert len(comparison.variants) == 1


def test_the_same_seed_twice_counts_once_and_says_so(runs, tmp_path):
    comparison = compare_runs([runs / "plain", runs / "spelled"])
    (variant,) = comparison.variants
    assert variant.seeds == [42, 42] and variant.distinct_seeds == [42]
    assert variant.stats["test_accuracy"].n == 1 and variant.stats["test_accuracy"].std is None
    assert variant.seed_text == (
        "2 runs, 1 seed: 42 — repeats of the same seed do not measure spread"
    )
    assert not comparison.repeated  # no "n = 2 … ± 0.0000" beside "no spread (n = 1)"
    assert any(
        "plain, spelled ran the same config with the same seed 42" in n for n in comparison.notes
    )
    html = write_compare_page(comparison, tmp_path).read_text(encoding="utf-8")
    assert "± 0.0000" not in html and "same seed 42" in html
    assert "variants" not in ReportPage(html).sections


def test_spread_is_over_distinct_seeds(runs, tmp_path):
    comparison = compare_runs([runs])
    (variant,) = comparison.variants  # three runs of one config, two seeds
    assert comparison.repeated and variant.distinct_seeds == [7, 42]
    accuracy = {row.name: row.numbers["test_accuracy"] for row in comparison.rows}
    per_seed = [accuracy["other-seed"], np.mean([accuracy["plain"], accuracy["spelled"]])]
    stats = variant.stats["test_accuracy"]
    assert stats.n == 2
    assert stats.mean == pytest.approx(np.mean(per_seed))
    assert stats.std == pytest.approx(np.std(per_seed, ddof=1))
    page = ReportPage(write_compare_page(comparison, tmp_path).read_text(encoding="utf-8"))
    header, row = page.table("variant-table")
    assert row[header.index("n")] == "2"
    assert row[header.index("seeds")].startswith("3 runs, 2 seeds: 7, 42 — repeats")


def test_empty_mappings_and_zoo_defaults_fill_in():
    written = with_defaults({"model.zoo": "mlp", "model.options.hidden": [128], "data.options": {}})
    left_out = with_defaults({"model.zoo": "mlp", "model.options": {}})
    assert written == left_out
    assert left_out["model.options.activation"] == "relu"
    text = with_defaults({"task": "text", "model.zoo": "cnn1d"})
    assert text["model.options.filters"] == [32, 32]


def test_zoo_defaults_read_from_source_match_the_builders_signatures():
    from dlworkflow.models.sequence import BODIES
    from dlworkflow.models.zoo import ZOO

    for task, builders in (("auto", ZOO), ("text", BODIES)):
        for name, builder in builders.items():
            expected = {
                p.name: list(p.default) if isinstance(p.default, tuple) else p.default
                for p in inspect.signature(builder).parameters.values()
                if p.default is not inspect.Parameter.empty
            }
            assert zoo_defaults(name, task) == expected, name
    assert zoo_defaults("no-such-model") == {}
