"""The report is built from the run folder alone and shows the run's real numbers."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import dlworkflow
from dlworkflow.errors import BadInput
from dlworkflow.experiments.other_data import evaluate_run
from dlworkflow.report import build_report

from .html_parse import ReportPage


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    return dlworkflow.run(
        {
            "name": "digits",
            "model": {"zoo": "mlp", "options": {"hidden": [32]}},
            "train": {"epochs": 5},
        },
        runs_dir=runs,
    )


def page_of(folder: Path) -> ReportPage:
    return ReportPage((folder / "report.html").read_text(encoding="utf-8"))


def test_report_sections_follow_the_workflow(digits_run):
    page = page_of(digits_run.folder)
    assert page.sections == [
        "data",
        "model",
        "training",
        "evaluation",
        "interpretation",
        "environment",
    ]
    assert page.external == []  # self-contained: opens offline from disk
    assert page.svg_count >= 5 and page.png_count >= 1  # distribution, curves, matrix; samples
    figures = {p.name for p in (digits_run.folder / "figures").iterdir()}
    assert {"architecture.svg", "model_graph.svg", "model_graph.png"} <= figures


def test_report_tables_hold_the_run_numbers(digits_run):
    page = page_of(digits_run.folder)
    metrics = json.loads((digits_run.folder / "metrics.json").read_text())
    report = metrics["evaluation"]["report"]
    rows = {row[0]: row[1:] for row in page.table("classification-report")[1:]}
    assert set(rows) == {*digits_run.dataset.class_names, "macro avg", "weighted avg"}
    for name in ("3", "macro avg"):
        assert float(rows[name][0]) == pytest.approx(report[name]["precision"], abs=5e-5)
        assert float(rows[name][2]) == pytest.approx(report[name]["f1-score"], abs=5e-5)
    layers = page.table("layers")
    assert len(layers) == 1 + len(digits_run.model.layers) + 3  # header, layers, totals
    assert layers[-3][:2] == ["total", f"{digits_run.model.count_params():,}"]
    formulas = {row[0]: row[1:] for row in page.table("formulas")[1:]}
    assert formulas["output"] == ["32·10+10 = 330", "✓"]
    history = page.table("history")
    assert len(history) == 1 + metrics["epochs_run"]
    splits = {row[0]: row[1] for row in page.table("splits")[1:]}
    assert splits["test"] == str(len(digits_run.dataset.test))


def test_report_says_what_the_curves_mean(digits_run):
    html = (digits_run.folder / "report.html").read_text(encoding="utf-8")
    diagnostics = json.loads((digits_run.folder / "diagnostics.json").read_text())
    assert 'id="learnability"' in html and "The model can learn" in html
    for sentence in diagnostics["diagnosis"]["commentary"]:
        assert sentence.replace("'", "&#39;") in html


def test_rebuild_reads_only_the_folder(digits_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(digits_run.folder, copy)
    (copy / "report.html").unlink()
    assert build_report(copy).is_file()
    assert "classification-report" in (copy / "report.html").read_text()


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda f: (f / "metrics.json").unlink(), "metrics.json: missing from the run folder"),
        (lambda f: (f / "data.json").write_text("{not json"), "data.json: corrupt JSON"),
        (lambda f: (f / "history.csv").write_text("epoch,loss\n1,abc\n"), "history.csv: corrupt"),
        (lambda f: (f / "model_table.json").write_text("{"), "model_table.json: corrupt"),
    ],
)
def test_damaged_run_folders_are_named(digits_run, tmp_path, damage, expected):
    copy = tmp_path / "copy"
    shutil.copytree(digits_run.folder, copy)
    damage(copy)
    with pytest.raises(BadInput, match=expected.replace("(", r"\(")):
        build_report(copy)


def test_evaluate_on_other_data_adds_a_section(digits_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(digits_run.folder, copy)
    result = evaluate_run(copy, {"source": "digits", "limit": 300})
    assert result["samples"] == 300
    page = page_of(copy)
    assert "other-data" in page.sections
    assert (copy / "evaluations" / "digits" / "figures" / "confusion_matrix.svg").is_file()


def test_evaluate_refuses_data_of_another_shape(digits_run):
    with pytest.raises(BadInput, match=r"\(28, 28, 1\) do not fit the run's model, trained on"):
        evaluate_run(digits_run.folder, {"source": "mnist", "limit": 100})


def test_evaluate_refuses_data_whose_classes_are_others(digits_run, tmp_path):
    """Fashion-MNIST's classes matched by index to digits would 'predict Pullover'."""
    from PIL import Image

    root = tmp_path / "clothes"
    for name in ("bag", "coat"):
        (root / name).mkdir(parents=True)
        for index in range(3):
            pixels = np.full((8, 8), 40 * index, np.uint8)
            Image.fromarray(pixels).save(root / name / f"{index}.png")
    spec = {"source": f"folder:{root}", "options": {"image_size": 8, "color_mode": "grayscale"}}
    with pytest.raises(BadInput, match=r"--data: its classes \(bag, coat\) are not the run's"):
        evaluate_run(digits_run.folder, spec)
    assert not (digits_run.folder / "evaluations").exists()


def test_report_names_the_loss_actually_used(digits_run):
    html = (digits_run.folder / "report.html").read_text(encoding="utf-8")
    used = digits_run.metrics["compiled"]["loss"]
    assert used != "auto" and f"Loss <code>{used}</code> (chosen for the task" in html
