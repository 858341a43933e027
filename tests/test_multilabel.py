"""Multilabel: 0/1 target columns in, sigmoid + binary cross-entropy, per-label thresholds,
metrics checked against scikit-learn, a report section and ``dlw predict`` label sets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from sklearn.datasets import make_multilabel_classification
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    hamming_loss,
    precision_recall_fscore_support,
    roc_auc_score,
)

from dlworkflow import runfolder
from dlworkflow.config import load_config
from dlworkflow.data import load_dataset
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.multilabel import (
    Thresholds,
    decide,
    majority_baseline,
    multilabel_metrics,
    tune_thresholds,
)
from dlworkflow.train.components import plan_compile
from dlworkflow.train.spec import CompileSpec

from .conftest import dlw_in_process
from .html_parse import ReportPage
from .test_bad_inputs import expect_exit_2

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "multilabel_digits.yaml"
LABELS = ["a", "b", "c"]


def write_multilabel_csv(path: Path, rows: int = 300, seed: int = 0) -> Path:
    """scikit-learn's ``make_multilabel_classification`` as a CSV: f0..f5, then a, b, c."""
    x, y = make_multilabel_classification(
        rows, n_features=6, n_classes=3, n_labels=1, random_state=seed
    )
    header = [f"f{i}" for i in range(6)] + LABELS
    lines = [",".join(header)] + [
        ",".join([*(f"{v:g}" for v in xr), *(str(int(v)) for v in yr)])
        for xr, yr in zip(x, y, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- data ------------------------------------------------------------------------------


def test_csv_with_a_list_target_gives_a_label_matrix(tmp_path: Path):
    path = write_multilabel_csv(tmp_path / "ml.csv")
    dataset = load_dataset({"source": f"csv:{path}", "options": {"target": LABELS}})
    _, y_all = make_multilabel_classification(300, n_features=6, n_classes=3, n_labels=1,
                                              random_state=0)  # fmt: skip
    assert dataset.task == "multilabel" and dataset.class_names == LABELS
    assert dataset.feature_names == [f"f{i}" for i in range(6)]
    assert dataset.train.y.shape[1] == 3 and set(np.unique(dataset.train.y)) == {0, 1}
    sizes = [len(s) for s in dataset.splits().values()]
    assert sizes == [210, 30, 60]  # random (not stratified) 70/10/20
    together = np.concatenate([s.y for s in dataset.splits().values()])
    assert np.array_equal(np.sort(together, axis=0), np.sort(y_all, axis=0))
    assert dataset.describe()["splits"]["train"]["class_counts"] == dataset.train.y.sum(0).tolist()


def test_digits_traits_labels():
    dataset = load_dataset("digits_traits")
    assert dataset.task == "multilabel"
    assert dataset.class_names == ["even", "greater_than_4", "prime"]
    from sklearn.datasets import load_digits

    digits = load_digits()
    row = int(np.flatnonzero(digits.target == 2)[0])  # 2: even and prime, not > 4
    train_x = dataset.train.x.reshape(len(dataset.train.x), -1)
    match = np.flatnonzero((train_x == digits.data[row]).all(axis=1))
    assert match.size and dataset.train.y[match[0]].tolist() == [1, 0, 1]


def test_survey_of_two_feature_multilabel_data(tmp_path: Path):
    """Counts are positives per label; no one-colour-per-row scatter is drawn."""
    from dlworkflow.data.survey import survey_figures

    rows = ["x,y,a,b", *(f"{i / 7:.3f},{i % 5},{i % 2},{(i // 3) % 2}" for i in range(60))]
    (tmp_path / "two.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    dataset = load_dataset({"source": f"csv:{tmp_path / 'two.csv'}",
                            "options": {"target": ["a", "b"]}})  # fmt: skip
    written = survey_figures(dataset, tmp_path / "figures")
    assert [p.name for p in written] == ["class_distribution.svg"]


# --- components ------------------------------------------------------------------------


def test_auto_loss_is_binary_crossentropy_on_sigmoid_units():
    plan = plan_compile(CompileSpec(), "multilabel", 3, 3, "sigmoid")
    assert plan.loss == "binary_crossentropy" and not plan.one_hot


@pytest.mark.parametrize(
    ("loss", "units", "activation", "pattern"),
    [
        ("auto", 3, "softmax", r"^model: the last activation is softmax.*activation: sigmoid"),
        ("categorical_crossentropy", 3, "softmax", r"^compile\.loss: 'categorical_crossentropy'"),
        ("sparse_categorical_crossentropy", 3, "sigmoid", r"^compile\.loss: 'sparse_categ"),
        ("mse", 3, "sigmoid", r"^compile\.loss: 'mse' does not fit multilabel"),
        ("auto", 2, "sigmoid", r"^model: the last layer has 2 units .* use 3 units"),
        ("auto", 3, "linear", r"^model: the last activation is linear .* sigmoid"),
    ],
)
def test_components_refuse_what_does_not_fit_multilabel(loss, units, activation, pattern):
    with pytest.raises(BadInput, match=pattern) as error:
        plan_compile(CompileSpec(loss=loss), "multilabel", 3, units, activation)
    assert "\n" not in str(error.value)


# --- metrics against scikit-learn ---------------------------------------------------------


def _random_case(seed: int = 3, rows: int = 200, labels: int = 4):
    rng = np.random.default_rng(seed)
    y_true = (rng.random((rows, labels)) < [0.5, 0.3, 0.2, 0.6][:labels]).astype(np.int64)
    y_prob = np.clip(0.6 * y_true + rng.normal(0.2, 0.25, y_true.shape), 0, 1)
    return y_true, y_prob


def test_metrics_match_scikit_learn():
    y_true, y_prob = _random_case()
    cuts = np.array([0.5, 0.4, 0.6, 0.5])
    result = multilabel_metrics(y_true, y_prob, list("pqrs"), Thresholds(cuts))
    y_pred = (y_prob >= cuts).astype(int)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    for i, row in enumerate(result["labels"]):
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == pytest.approx(
            (p[i], r[i], f[i], s[i])
        )
        assert row["roc_auc"] == pytest.approx(roc_auc_score(y_true[:, i], y_prob[:, i]))
    assert [row["roc_auc"] for row in result["labels"]] == pytest.approx(
        roc_auc_score(y_true, y_prob, average=None).tolist()
    )
    for average in ("micro", "macro", "weighted"):
        expected = precision_recall_fscore_support(y_true, y_pred, average=average)[:3]
        got = result["averages"][average]
        assert (got["precision"], got["recall"], got["f1"]) == pytest.approx(expected)
    expected = precision_recall_fscore_support(y_true, y_pred, average="samples", zero_division=1)
    got = result["averages"]["samples"]
    assert (got["precision"], got["recall"], got["f1"]) == pytest.approx(expected[:3])
    assert result["hamming_loss"] == pytest.approx(hamming_loss(y_true, y_pred))
    assert result["subset_accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert result["thresholds"] == dict(zip("pqrs", cuts.tolist(), strict=True))


def test_metrics_by_hand():
    """Four rows, two labels, counted on paper."""
    y_true = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    y_prob = np.array([[0.9, 0.2], [0.7, 0.4], [0.6, 0.8], [0.1, 0.1]])
    result = multilabel_metrics(y_true, y_prob, ["x", "y"], Thresholds.fixed(0.5, 2))
    # predicted [[1,0],[1,0],[1,1],[0,0]]: x tp 2 fp 1 fn 0, y tp 1 fp 0 fn 1
    x, y = result["labels"]
    assert (x["precision"], x["recall"], x["f1"]) == pytest.approx((2 / 3, 1.0, 0.8))
    assert (y["precision"], y["recall"], y["f1"]) == pytest.approx((1.0, 0.5, 2 / 3))
    assert result["averages"]["micro"]["f1"] == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))
    assert result["hamming_loss"] == pytest.approx(2 / 8)
    assert result["subset_accuracy"] == pytest.approx(2 / 4)  # rows 1 and 4
    # samples: F1 per row 1, 2/3, 2/3 (rows 2, 3) and 1 for the empty row answered empty
    assert result["averages"]["samples"]["f1"] == pytest.approx((1 + 2 / 3 + 2 / 3 + 1) / 4)


def test_auc_of_a_label_with_one_value_is_none():
    y_true = np.array([[1, 0], [0, 0], [1, 0]])
    result = multilabel_metrics(y_true, np.full((3, 2), 0.4), ["x", "y"], Thresholds.fixed(0.5, 2))
    assert result["labels"][1]["roc_auc"] is None
    assert result["roc_auc_macro"] == pytest.approx(0.5)


def test_majority_baseline():
    y_train = np.array([[1, 0], [1, 0], [0, 1]])
    y_true = np.array([[1, 0], [0, 0]])
    base = majority_baseline(y_true, y_train)
    assert base["answer"] == [1, 0]
    assert base["subset_accuracy"] == 0.5 and base["hamming_loss"] == pytest.approx(0.25)


def test_tuned_thresholds_maximise_each_labels_f1():
    y_true, y_prob = _random_case(seed=5)
    tuned = tune_thresholds(y_true, y_prob)
    assert tuned.chosen == "tuned on val"

    def f1(truth: np.ndarray, on: np.ndarray) -> float:
        tp = np.sum(truth & on)
        return 2 * tp / (truth.sum() + on.sum()) if truth.sum() + on.sum() else 0.0

    for i in range(y_true.shape[1]):
        truth, scores = y_true[:, i].astype(bool), y_prob[:, i]
        distinct = np.unique(scores)
        cuts = np.concatenate([[0.0], (distinct[1:] + distinct[:-1]) / 2, [1.01]])  # every split
        best = max(f1(truth, scores >= c) for c in cuts)
        got = f1(truth, scores >= tuned.values[i])
        assert got == pytest.approx(best)
        assert got == pytest.approx(f1_score(truth, scores >= tuned.values[i]))
        assert got >= f1(truth, scores >= 0.5)
    constant = tune_thresholds(np.zeros((5, 1), int), np.linspace(0, 1, 5)[:, None])
    assert constant.values.tolist() == [0.5]
    assert decide(np.array([[0.5, 0.49]]), np.array([0.5, 0.5])).tolist() == [[1, 0]]


# --- bad input: one table, through the CLI (exit 2, one line, nothing written) ------------


def _good_rows(rows: int = 40) -> list[str]:
    return [f"{i % 5},{i % 7},{i % 2},{(i // 2) % 2},{(i // 3) % 2}" for i in range(rows)]


def _table(*first: str, header: str = "u,v,a,b,c") -> str:
    return "\n".join([header, *first, *_good_rows()]) + "\n"


BAD_CASES: dict[str, tuple[str, dict, str]] = {
    # name: (CSV text, config changes, message pattern)
    "value 2": (
        _table("1,2,0,2,1"),
        {},
        r"data\.options\.target: t\.csv row 2 column 'b': '2' "
        r"is not 0 or 1",
    ),  # fmt: skip
    "value yes": (_table("1,2,0,1,1", "1,2,yes,1,1"), {}, r"row 3 column 'a': 'yes' is not 0 or 1"),
    "value 0.5": (_table("1,2,0,1,0.5"), {}, r"row 2 column 'c': '0\.5' is not 0 or 1"),
    "blank label": (_table("1,2,0,,1"), {}, r"row 2 column 'b': '' is not 0 or 1"),
    "missing column": (_table(), {"target": ["a", "b", "zz"]}, r"target: no column 'zz' in t\.csv"),
    "one label": (_table(), {"target": ["a"]}, r"target: a list of 1 column; multilabel needs"),
    "no labels": (_table(), {"target": []}, r"a list of 0 column; multilabel needs at least 2"),
    "repeated label": (_table(), {"target": ["a", "a"]}, r"column 'a' is listed more than once"),
    "label not a name": (_table(), {"target": ["a", 3]}, r"give a list of column names"),
    "all columns labels": (_table(), {"target": list("uvabc")}, r"every column .* is a label"),
    "task classification": (
        _table(),
        {"task": "classification"},
        r"data\.options\.task: "
        r"'classification' does not",
    ),  # fmt: skip
    "constant label": (
        "\n".join(["u,v,a,b,c", *(f"{i},{i % 3},{i % 2},0,{i % 3 % 2}" for i in range(40))]),
        {},
        r"label 'b' is 0 in every one of the \d+ training rows",
    ),
    "always-on label": (
        "\n".join(["u,v,a,b,c", *(f"{i},{i % 3},{i % 2},1,{i % 3 % 2}" for i in range(40))]),
        {},
        r"label 'b' is 1 in every one of the \d+ training rows",
    ),
    "softmax head": (
        _table(),
        {"layers": [{"Dense": {"units": 3, "activation": "softmax"}}]},
        r"c\.yaml: model: the last activation is softmax",
    ),  # fmt: skip
    "categorical loss": (
        _table(),
        {"loss": "categorical_crossentropy"},
        r"compile\.loss: 'categorical_crossentropy' does not fit multilabel",
    ),  # fmt: skip
    "tune without val": (
        _table(),
        {"threshold": "tune", "val": 0},
        r"multilabel\.threshold: tune needs a validation split",
    ),  # fmt: skip
    "threshold 1.5": (_table(), {"threshold": 1.5}, r"multilabel\.threshold"),
    "threshold 0": (_table(), {"threshold": 0}, r"multilabel\.threshold"),
    "multilabel on one target": (
        _table(),
        {"target": "a"},
        r"task: multilabel, but data\.source .* gives a binary target",
    ),  # fmt: skip
}


def _config(csv: Path, changes: dict) -> dict:
    config: dict = {
        "name": "ml-bad",
        "task": "multilabel",
        "data": {"source": f"csv:{csv}", "options": {"target": ["a", "b", "c"]}},
        "model": {"zoo": "mlp", "options": {"hidden": [8]}},
        "train": {"epochs": 1},
    }
    options = config["data"]["options"]
    for key in ("target", "task"):
        if key in changes:
            options[key] = changes[key]
    if "layers" in changes:
        config["model"] = {"layers": changes["layers"]}
    if "loss" in changes:
        config["compile"] = {"loss": changes["loss"]}
    if "threshold" in changes:
        config["multilabel"] = {"threshold": changes["threshold"]}
    if "val" in changes:
        config["data"]["split"] = {"val": changes["val"]}
    return config


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_multilabel_input_exits_2(case: str, tmp_path: Path, monkeypatch, capsys):
    text, changes, pattern = BAD_CASES[case]
    (tmp_path / "t.csv").write_text(text, encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(_config(tmp_path / "t.csv", changes)), encoding="utf-8")
    runs = tmp_path / "runs"
    runs.mkdir()
    expect_exit_2(monkeypatch, capsys, tmp_path, pattern, "run", str(config), "--runs-dir",
                  str(runs))  # fmt: skip


def test_multilabel_section_needs_its_task():
    with pytest.raises(BadInput, match=r"a 'multilabel:' section needs task: multilabel"):
        load_config({"task": "text", "multilabel": {"threshold": 0.4}})


# --- end to end ----------------------------------------------------------------------------


def _recomputed(folder: Path) -> dict:
    """The test metrics again, from predictions.npz and the recorded thresholds."""
    record = runfolder.read_run(folder)
    evaluation = record.metrics["evaluation"]
    saved = np.load(folder / runfolder.PREDICTIONS)
    cuts = np.array([evaluation["thresholds"][n] for n in record.class_names])
    y_pred = (saved["y_prob"] >= cuts).astype(int)
    return {
        "hamming_loss": hamming_loss(saved["y_true"], y_pred),
        "subset_accuracy": accuracy_score(saved["y_true"], y_pred),
        "micro_f1": f1_score(saved["y_true"], y_pred, average="micro"),
    }


def test_csv_run_detects_multilabel_and_predicts_label_sets(tmp_path: Path, monkeypatch, capsys):
    csv = write_multilabel_csv(tmp_path / "ml.csv", rows=400)
    config = {
        "name": "ml-csv",  # task: auto — the list target makes it multilabel
        "data": {"source": f"csv:{csv}", "options": {"target": LABELS}},
        "model": {"zoo": "mlp", "options": {"hidden": [16]}},
        "compile": {"optimizer": {"name": "adam", "lr": 0.01}},
        "train": {"epochs": 8, "batch_size": 32, "learnability": False},
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    code, _, err = dlw_in_process(
        monkeypatch, capsys, "run", str(path), "--runs-dir", str(tmp_path / "runs")
    )
    assert code == 0, err
    folder = tmp_path / "runs" / "ml-csv"
    metrics = json.loads((folder / runfolder.METRICS).read_text())
    evaluation = metrics["evaluation"]
    assert metrics["compiled"]["loss"] == "binary_crossentropy"
    assert evaluation["thresholds"] == {"a": 0.5, "b": 0.5, "c": 0.5}
    again = _recomputed(folder)
    assert evaluation["hamming_loss"] == pytest.approx(again["hamming_loss"])
    assert evaluation["subset_accuracy"] == pytest.approx(again["subset_accuracy"])
    base = evaluation["majority_baseline"]
    assert evaluation["hamming_loss"] < base["hamming_loss"]
    assert evaluation["averages"]["micro"]["f1"] > base["f1_micro"]

    rows = tmp_path / "new.csv"
    rows.write_text("\n".join(csv.read_text().splitlines()[:6]) + "\n", encoding="utf-8")
    code, out, err = dlw_in_process(
        monkeypatch, capsys, "predict", str(folder), str(rows), "--json"
    )
    assert code == 0, err
    answers = json.loads(out)
    probabilities = np.array([[a["probabilities"][n] for n in LABELS] for a in answers])
    expected = [
        [n for n, on in zip(LABELS, row, strict=True) if on] for row in probabilities >= 0.5
    ]
    assert len(answers) == 5 and [a["labels"] for a in answers] == expected


@pytest.mark.slow
def test_example_runs_and_beats_the_majority_baseline(tmp_path: Path, monkeypatch, capsys):
    """The shipped example (thresholds tuned on val), shortened to 8 epochs."""
    config = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    config["train"]["epochs"] = 8
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    code, _, err = dlw_in_process(
        monkeypatch, capsys, "run", str(path), "--runs-dir", str(tmp_path)
    )
    assert code == 0, err
    folder = tmp_path / config["name"]
    evaluation = json.loads((folder / runfolder.METRICS).read_text())["evaluation"]
    assert evaluation["thresholds_chosen"] == "tuned on val"
    assert set(evaluation["thresholds"]) == {"even", "greater_than_4", "prime"}
    assert evaluation["thresholds"] != {"even": 0.5, "greater_than_4": 0.5, "prime": 0.5}
    again = _recomputed(folder)  # the tuned cuts are the ones the test metrics used
    assert evaluation["subset_accuracy"] == pytest.approx(again["subset_accuracy"])
    assert evaluation["averages"]["micro"]["f1"] == pytest.approx(again["micro_f1"])
    base = evaluation["majority_baseline"]
    assert evaluation["subset_accuracy"] > 0.85 > 0.2 > base["subset_accuracy"]
    assert evaluation["hamming_loss"] < 0.06 < 0.4 < base["hamming_loss"]
    assert evaluation["roc_auc_macro"] > 0.98
    page = ReportPage((folder / runfolder.REPORT).read_text(encoding="utf-8"))
    table = page.table("multilabel-labels")
    assert [row[0] for row in table[1:]] == ["even", "greater_than_4", "prime"]
    assert page.table("multilabel-averages")[1][0] == "micro"
    assert "label_scores.svg" in {p.name for p in (folder / runfolder.FIGURES).iterdir()}
    assert page.svg_count >= 1 and not page.external

    # dlw predict and other-data evaluations answer with the run's tuned cuts
    from sklearn.datasets import load_digits

    from dlworkflow.experiments.other_data import evaluate_run
    from dlworkflow.experiments.predict import predict

    names = ["even", "greater_than_4", "prime"]
    cuts = np.array([evaluation["thresholds"][n] for n in names])
    answers = predict(folder, load_digits().data[:40].astype(np.float32))
    probabilities = np.array([[a["probabilities"][n] for n in names] for a in answers])
    expected = [
        [n for n, on in zip(names, row, strict=True) if on] for row in probabilities >= cuts
    ]
    assert [a["labels"] for a in answers] == expected
    other = evaluate_run(folder, {"source": "digits_traits", "scale": "unit"})["evaluation"]
    assert other["thresholds"] == evaluation["thresholds"] and other["rows"] == 1797
