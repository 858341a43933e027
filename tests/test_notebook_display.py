"""``_repr_html_`` of what a notebook user gets back: runs, comparisons, the LR range test,
the model table, evaluations and the gallery evaluation. Small, escaped, no script."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, r2_score

import dlworkflow
from dlworkflow.compare import compare_runs
from dlworkflow.evaluate import Evaluation, classification_metrics, regression_metrics
from dlworkflow.gallery.evaluation import GalleryEvaluation
from dlworkflow.models import model_table
from dlworkflow.models.table import html_model_table
from dlworkflow.pages.notebook import html_table
from dlworkflow.train import LRFinderResult

from .conftest import DATA_HOME

HOSTILE = "<script>alert(1)</script>"
HOSTILE_TAG = "<img src=x onerror=alert(1)>"  # no slash: a layer's name is its path's tail
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def pngs(html: str) -> list[bytes]:
    """The inline PNG pictures of ``html``, decoded."""
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    return [base64.b64decode(data) for data in found]


def assert_safe(html: str) -> None:
    """No script, no event handler, the hostile text escaped."""
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]*\son\w+=", html)


def test_html_table_escapes_cells_header_and_caption():
    html = html_table([(HOSTILE, 0.123456, 1234567)], (HOSTILE, "n"), HOSTILE)
    assert_safe(html)
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3
    assert "<td>0.1235</td>" in html and "<td>1,234,567</td>" in html


def test_classification_evaluation_shows_scikit_learns_numbers_and_the_matrix():
    rng = np.random.default_rng(0)
    y_true = np.repeat([0, 1, 2], 20)
    y_prob = rng.dirichlet(np.ones(3), size=60) + np.eye(3)[y_true] * 0.4
    names = ["cat", "dog", HOSTILE]
    evaluation = classification_metrics(y_true, y_prob, names)
    assert isinstance(evaluation, dict) and isinstance(evaluation, Evaluation)
    html = evaluation._repr_html_()
    assert_safe(html)
    y_pred = y_prob.argmax(axis=1)
    assert f"<td>{accuracy_score(y_true, y_pred):.4f}</td>" in html
    f1 = f1_score(y_true, y_pred, average=None)[2]
    assert f"<td>{f1:.4f}</td><td>20</td></tr>" in html  # the class's F1, then its support
    assert "<td>cat</td>" in html and "&lt;script&gt;" in html
    (matrix,) = pngs(html)
    assert matrix.startswith(PNG_MAGIC)


def test_regression_evaluation_shows_r2():
    y_true = np.linspace(0.0, 10.0, 30)
    y_pred = y_true + np.sin(y_true)
    html = regression_metrics(y_true, y_pred, n_features=1)._repr_html_()
    assert f"<td>{r2_score(y_true, y_pred):.4f}</td>" in html
    assert "<td>rmse</td>" in html and not pngs(html)


def test_lr_finder_result_lists_each_rule_and_draws_the_curve():
    lrs = list(np.geomspace(1e-5, 1.0, 20))
    losses = [2.3 - 0.1 * i for i in range(15)] + [2.0, 3.0, 5.0, 9.0, 20.0]
    result = LRFinderResult(
        lrs=lrs,
        losses=losses,
        smoothed=losses,
        suggestions={"valley": 1e-3, "steepest": 3e-4, "minimum/10": 2e-3},
        recommended=1e-3,
        rule="valley",
        diverged=True,
        unit="batch",
        seconds=1.5,
    )
    html = result._repr_html_()
    assert "<td>valley</td><td>0.001</td><td>recommended</td>" in html
    assert "<td>steepest</td><td>0.0003</td><td></td>" in html
    assert "20 batches" in html and "diverged" in html
    assert len(pngs(html)) == 1


def test_model_table_is_a_dict_shown_as_the_courses_table():
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)]
    )
    table = model_table(model)
    assert set(table) == {"layers", "totals"}  # still the plain data model_table.json holds
    html = table._repr_html_()
    assert "<th>Filter / Stride</th>" in html
    assert "<td>40</td>" in html and "<td>27</td>" in html  # 4·8+8, 8·3+3
    assert "<td>Total</td>" in html and "<td>67</td>" in html
    rows = [{**table["layers"][0], "name": HOSTILE_TAG, "type": HOSTILE_TAG}]
    hostile = html_model_table(rows, table["totals"])
    assert_safe(hostile)
    assert hostile.count("&lt;img src=x onerror=alert(1)&gt;") == 2


def test_gallery_evaluation_shows_rates_and_the_saved_figures(tmp_path: Path):
    """On real ORL faces, from a dataset folder whose name is markup."""
    pytest.importorskip("dlib")
    from dlworkflow.gallery.embedders import DlibFaces
    from dlworkflow.gallery.evaluation import evaluate_gallery

    faces = tmp_path / HOSTILE_TAG
    faces.symlink_to(DATA_HOME / "faces_att", target_is_directory=True)
    evaluation = evaluate_gallery(
        faces, tmp_path / "eval", DlibFaces(), identities=3, per_identity=2, enroll=1
    )
    assert isinstance(evaluation, GalleryEvaluation)
    saved = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert saved == evaluation
    html = evaluation._repr_html_()
    assert_safe(html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert f"<td>{100 * saved['closed_set_rank1']:.2f} %</td>" in html
    calibrated = saved["thresholds"]["calibrated"]
    assert f"<td>calibrated</td><td>{calibrated['threshold']:.4f}</td>" in html
    assert html.count('src="data:image/svg+xml;base64,') == 2  # ROC/DET, distances


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """Two seconds-long runs of one variant each."""
    root = tmp_path_factory.mktemp("runs")
    for name, lr in (("slow", 0.001), ("fast", 0.05)):
        config = {
            "name": name,
            "data": {"source": "blobs", "limit": 120},
            "model": {"zoo": "mlp", "options": {"hidden": [8]}},
            "compile": {"optimizer": {"name": "adam", "lr": lr}},
            "train": {"epochs": 2, "learnability": False},
        }
        dlworkflow.run(config, runs_dir=root)
    return root


def test_run_shows_its_numbers_curves_and_evaluation(runs: Path):
    run = dlworkflow.run(
        {
            "name": "shown",
            "data": {"source": "blobs", "limit": 120},
            "model": {"zoo": "mlp", "options": {"hidden": [8]}},
            "train": {"epochs": 2, "learnability": False},
        },
        runs_dir=runs.parent / "single",
    )
    html = dataclasses.replace(run, folder=run.folder.parent / HOSTILE)._repr_html_()
    assert_safe(html)
    assert f"<td>{run.metrics['evaluation']['accuracy']:.4f}</td>" in html
    assert f"<td>best_epoch</td><td>{run.metrics['best_epoch']}</td>" in html
    assert len(pngs(html)) == 2  # training curves, confusion matrix


def test_comparison_shows_one_row_per_variant_with_the_best_starred(runs: Path):
    comparison = compare_runs([runs])
    html = comparison._repr_html_()
    best = comparison.variants[comparison.best_variant]
    accuracy = best.stats["test_accuracy"].mean
    assert f"<td>★ {best.label}</td><td>1</td><td>{accuracy:.4f}</td>" in html
    assert "Comparison of 2 runs on blobs" in html
    assert len(pngs(html)) == 2  # the main metric per variant, the curves
    comparison.variants[0].label = HOSTILE  # a sweep.json someone else wrote
    assert_safe(comparison._repr_html_())
