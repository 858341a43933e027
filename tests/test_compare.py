"""``compare_runs`` and ``dlw compare`` on real tiny runs: rows, repeats, refusals, page."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import dlworkflow
from dlworkflow.compare import compare_runs, default_out_dir, write_compare_page
from dlworkflow.compare.comparison import check_comparable, split_notes
from dlworkflow.errors import BadInput
from dlworkflow.runfolder import read_run

from .conftest import run_dlw
from .html_parse import ReportPage

SWEEP = ("h4-s1", "h8-s1", "h8-s2")  # sorted, as a sweep folder lists them


def blobs(name: str, seed: int, hidden: int = 8, lr: float = 0.001, **data) -> dict:
    """A seconds-long run; ``data.seed`` is fixed so that repeats share their splits."""
    return {
        "name": name,
        "seed": seed,
        "data": {"source": "blobs", "limit": 120, "seed": 0, **data},
        "model": {"zoo": "mlp", "options": {"hidden": [hidden]}},
        "compile": {"optimizer": {"name": "adam", "lr": lr}},
        "train": {"epochs": 2, "learnability": False},
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """sweep/: a variant run with two seeds and another with one; other/test30: a larger
    test split, hence other test samples. Four runs keep the module fast."""
    root = tmp_path_factory.mktemp("runs")
    for name, seed, hidden, lr in (
        ("h8-s1", 1, 8, 0.001),
        ("h8-s2", 2, 8, 0.001),
        ("h4-s1", 1, 4, 0.05),
    ):
        dlworkflow.run(blobs(name, seed, hidden, lr), runs_dir=root / "sweep")
    dlworkflow.run(blobs("test30", 1, split={"val": 0.1, "test": 0.3}), runs_dir=root / "other")
    return root


def metrics_of(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text())


def test_one_row_per_run_with_the_varied_keys_and_its_own_numbers(runs):
    comparison = compare_runs([runs / "sweep"])
    assert [row.name for row in comparison.rows] == list(SWEEP)
    assert comparison.varied == ["seed", "model.options.hidden", "compile.optimizer.lr"]
    assert "data.limit" in comparison.shared and "name" not in comparison.shared
    for row in comparison.rows:
        saved = metrics_of(row.folder)
        evaluation, best = saved["evaluation"], saved["best_epoch"]
        history = read_run(row.folder).history
        assert row.numbers["test_accuracy"] == evaluation["accuracy"]
        assert row.numbers["test_loss"] == saved["loss"]
        assert row.numbers["test_macro_f1"] == evaluation["report"]["macro avg"]["f1-score"]
        assert row.numbers["val_loss"] == history["val_loss"][best - 1]
        assert row.numbers["train_accuracy"] == history["accuracy"][best - 1]
        assert row.numbers["params"] == saved["params"]
        assert row.numbers["train_seconds"] == saved["train_seconds"]
        assert row.per_class_f1["1"] == evaluation["report"]["1"]["f1-score"]
    accuracies = [row.numbers["test_accuracy"] for row in comparison.rows]
    assert accuracies[comparison.best_run] == max(accuracies)


def test_repeats_pool_into_variants_with_numpys_mean_and_std(runs):
    comparison = compare_runs([runs / "sweep"])
    assert comparison.repeated
    assert [(v.label, v.seeds) for v in comparison.variants] == [
        ("hidden=[4], lr=0.05", [1]),
        ("hidden=[8], lr=0.001", [1, 2]),
    ]
    single, pair = comparison.variants
    accuracies = [metrics_of(runs / "sweep" / n)["evaluation"]["accuracy"] for n in SWEEP[1:]]
    assert pair.stats["test_accuracy"].n == 2
    assert pair.stats["test_accuracy"].mean == pytest.approx(np.mean(accuracies))
    assert pair.stats["test_accuracy"].std == pytest.approx(np.std(accuracies, ddof=1))
    assert single.stats["test_accuracy"].std is None
    # one side has a single run: no spread to judge the difference by, and the page says so
    assert sorted(v.verdict for v in comparison.variants) == ["best", "no spread (n = 1)"]


def test_runs_given_one_by_one_compare_like_a_sweep(runs):
    comparison = compare_runs([runs / "sweep" / "h8-s1", runs / "sweep" / "h4-s1"])
    assert not comparison.repeated
    assert comparison.varied == ["model.options.hidden", "compile.optimizer.lr"]
    assert comparison.split == "test" and comparison.dataset == "blobs"


def test_a_different_test_set_is_refused_naming_both_runs(runs):
    with pytest.raises(BadInput, match=r"cannot compare h8-s1 and test30: different test set"):
        compare_runs([runs / "sweep" / "h8-s1", runs / "other" / "test30"])


def test_another_dataset_or_label_set_is_refused(runs):
    records = [read_run(runs / "sweep" / name) for name in SWEEP[:2]]
    check_comparable(records, ["a", "b"])
    records[1].data["class_names"] = ["x", "y", "z"]
    with pytest.raises(BadInput, match=r"cannot compare a and b: different classes"):
        check_comparable(records, ["a", "b"])
    records[1].data["name"] = "circles"
    with pytest.raises(BadInput, match=r"different dataset \(blobs vs circles\)"):
        check_comparable(records, ["a", "b"])


def test_a_different_train_split_is_allowed_and_mentioned(runs):
    records = [read_run(runs / "sweep" / name) for name in SWEEP]
    assert split_notes(records, "test") == []  # data.seed fixed: every run saw the same data
    records[0].data["splits"]["train"]["sha256"] = "0" * 64  # e.g. another data.split.val
    (note,) = split_notes(records, "test")
    assert note.startswith("the train split differs between runs (2 different samples)")


def test_bad_arguments_name_the_folder(runs, tmp_path):
    with pytest.raises(BadInput, match="no such run or sweep folder"):
        compare_runs([tmp_path / "missing", runs / "sweep"])
    with pytest.raises(BadInput, match="neither a run folder"):
        compare_runs([tmp_path, runs / "sweep"])
    with pytest.raises(BadInput, match="1 finished run; a comparison needs at least 2"):
        compare_runs([runs / "sweep" / "h8-s1"])
    unfinished = tmp_path / "cut"
    shutil.copytree(runs / "sweep" / "h8-s1", unfinished)
    (unfinished / "metrics.json").unlink()
    with pytest.raises(BadInput, match=r"cut: the run did not finish"):
        compare_runs([unfinished, runs / "sweep" / "h4-s1"])


def test_unfinished_runs_in_a_sweep_are_skipped_and_counted(runs, tmp_path):
    sweep = tmp_path / "sweep"
    shutil.copytree(runs / "sweep", sweep)
    (sweep / "h8-s2" / "metrics.json").unlink()  # what a run killed mid-training leaves
    comparison = compare_runs([sweep, sweep / "h8-s1"])  # a run given twice counts once
    assert [row.name for row in comparison.rows] == ["h4-s1", "h8-s1"]
    assert comparison.skipped == [sweep / "h8-s2"]
    assert "1 unfinished run(s) skipped: h8-s2" in comparison.notes


def test_page_is_self_contained_and_shows_the_runs_numbers(runs, tmp_path):
    comparison = compare_runs([runs / "sweep"])
    page_path = write_compare_page(comparison, tmp_path / "page")
    html = page_path.read_text(encoding="utf-8")
    page = ReportPage(html)
    assert page.external == [] and page.svg_count == 3  # curves, main metric, per-class F1
    assert page.sections == ["variants", "runs", "config", "curves", "metric", "per-class"]
    assert "highest test accuracy" in html and "<script>" in html
    header, *rows = page.table("run-table")
    column = header.index("test accuracy")
    for row in rows:
        name = row[0].removeprefix("★ ")
        saved = metrics_of(runs / "sweep" / name)
        assert float(row[column]) == pytest.approx(saved["evaluation"]["accuracy"], abs=5e-5)
        assert row[header.index("seed")] == name[-1]  # h8-s2 ran with seed 2
    best_name = comparison.rows[comparison.best_run].name
    assert [row[0] for row in rows if row[0].startswith("★")] == [f"★ {best_name}"]
    header, *rows = page.table("variant-table")
    cells = [row[header.index("test accuracy")].split(" ± ") for row in rows]
    for cell, variant in zip(cells, comparison.variants, strict=True):
        stats = variant.stats["test_accuracy"]
        expected = [stats.mean] if stats.std is None else [stats.mean, stats.std]
        assert [float(x) for x in cell] == pytest.approx(expected, abs=5e-5)
    assert [row[-1] for row in rows] == [v.verdict for v in comparison.variants]
    diff = {row[0]: row[1:] for row in page.table("config-diff")[1:]}
    assert set(diff) == {"seed", "model.options.hidden", "compile.optimizer.lr"}
    f1 = {row[0]: row[1:] for row in page.table("per-class-f1")[1:]}
    assert set(f1) == set(comparison.class_names)
    assert 'class="text diff"' in html  # the other variant's values are shaded


def test_default_page_folder_is_the_sweep_or_named_by_the_runs(runs):
    comparison = compare_runs([runs / "sweep"])
    assert default_out_dir(comparison, [runs / "sweep"], Path("runs")) == runs / "sweep"
    pair = [runs / "sweep" / "h8-s1", runs / "sweep" / "h4-s1"]
    first = default_out_dir(compare_runs(pair), pair, Path("runs"))
    again = default_out_dir(compare_runs(pair[::-1]), pair[::-1], Path("runs"))
    assert first == again and first.name.startswith("compare-")


def test_cli_prints_the_table_and_writes_the_page_into_the_sweep(runs, tmp_path):
    sweep = tmp_path / "sweep"
    shutil.copytree(runs / "sweep", sweep)
    result = run_dlw("compare", str(sweep), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for words in ("blobs: 3 runs on the test split", "variant", "vs best", "no spread", "★"):
        assert words in result.stdout
    assert f"page: {sweep / 'compare.html'}" in result.stdout
    assert (sweep / "compare.html").is_file() and (
        sweep / "figures" / "compare_curves.svg"
    ).is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere"], "nowhere: no such run or sweep folder"),
        (["sweep/h8-s1"], "1 finished run"),
        (["sweep/h8-s1", "other/test30"], "cannot compare h8-s1 and test30: different test set"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(runs, args, message):
    result = run_dlw("compare", *args, cwd=runs)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not list(runs.glob("runs/compare-*"))  # nothing written


def test_variants_carry_the_names_their_sweep_gave_them(runs, tmp_path):
    sweep = tmp_path / "sweep"
    shutil.copytree(runs / "sweep", sweep)
    named = {"h8-s1": "wide", "h8-s2": "wide", "h4-s1": "narrow"}
    summary = {"runs": [{"folder": f, "variant": v} for f, v in named.items()]}
    (sweep / "sweep.json").write_text(json.dumps(summary))
    labels = {v.label for v in compare_runs([sweep]).variants}
    assert labels == {"wide", "narrow"}  # not "hidden=[8], lr=0.001"


def test_error_bars_only_where_there_is_a_spread(runs):
    from dlworkflow.compare.figures import main_metric_figure

    comparison = compare_runs([runs / "sweep"])  # one variant of two seeds, one of one
    axis = main_metric_figure(comparison).axes[0]
    bars = [c for c in axis.containers if type(c).__name__ == "ErrorbarContainer"]
    assert len(bars) == 1 and len(bars[0].lines[2][0].get_segments()) == 1
