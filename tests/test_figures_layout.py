"""Figures and page parts a first user found hard to read (issue 16, item 9): measured on
the rendered pixels and in Chromium, checked against scikit-learn's numbers."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from matplotlib.patches import Wedge
from PIL import Image
from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

import dlworkflow
from dlworkflow.data import load_dataset
from dlworkflow.data.survey import class_bars_figure, survey_figures
from dlworkflow.evaluate.curves import ovr_roc_figure
from dlworkflow.evaluate.plots import confusion_matrix_figure
from dlworkflow.report import build_report

from .browser import browser_page
from .test_evaluate_figures import legend_numbers, softmax_scores


def blank_band_under_title(png: Path) -> int:
    """Rows of white between the first line of ink (the title) and the next ink."""
    ink = (np.asarray(Image.open(png).convert("L")) < 200).any(axis=1)
    rows = np.flatnonzero(ink)
    end = rows[0]
    while ink[end + 1]:
        end += 1
    following = np.flatnonzero(ink[end + 1 :])
    return int(following[0])


def test_sample_grid_has_no_blank_band_under_its_title(tmp_path):
    dataset = load_dataset({"source": "digits", "limit": 300})
    survey_figures(dataset, tmp_path)
    band = blank_band_under_title(tmp_path / "samples.png")
    assert band <= 20  # px at 110 dpi (it was 135: the default 12% top margin)


def test_augment_preview_has_no_blank_band_under_its_title(tmp_path):
    from dlworkflow.data.augment import AugmentSpec
    from dlworkflow.data.augment_layers import augment_preview

    dataset = load_dataset({"source": "digits", "limit": 100})
    spec = AugmentSpec.model_validate({"rotation_range": 20})
    preview = augment_preview(dataset, spec, tmp_path / "augment_preview.png", seed=0)
    assert blank_band_under_title(preview) <= 20  # px at 110 dpi (it was 31)


def test_class_distribution_is_bars_labelled_with_shares_and_no_pie():
    dataset = load_dataset("digits")
    counts = np.bincount(dataset.train.y, minlength=10)
    figure = class_bars_figure(counts.tolist(), dataset.class_names, "digits")
    (axis,) = figure.axes  # the pie beside it is gone
    assert not [patch for patch in axis.patches if isinstance(patch, Wedge)]
    assert [bar.get_height() for bar in axis.patches] == counts.tolist()
    labels = [text.get_text() for text in axis.texts]
    assert labels == [f"{share:.1f}%" for share in 100 * counts / counts.sum()]


def test_class_distribution_leaves_shares_off_when_crowded():
    names = [f"class {k}" for k in range(30)]
    figure = class_bars_figure(list(range(1, 31)), names, "many")
    assert len(figure.axes[0].texts) == 0


def clumped_scores(classes: int = 10, n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, classes, n)
    logits = np.eye(classes)[y] * 3 + rng.normal(size=(n, classes))
    return y, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def test_ovr_roc_of_a_good_model_zooms_into_the_corner():
    y, prob = clumped_scores()
    names = [f"class {k}" for k in range(10)]
    axis = ovr_roc_figure(y, prob, names).axes[0]
    per_class = legend_numbers(axis, "AUC")
    for k, name in enumerate(names):
        assert per_class[name] == round(roc_auc_score(y == k, prob[:, k]), 3)
    (inset,) = axis.child_axes
    left, right = inset.get_xlim()
    assert left == 0 and right <= 0.2 and inset.get_ylim()[0] >= 0.5
    for k, line in enumerate(inset.get_lines()):  # sklearn's curves, enlarged
        fpr, tpr, _ = roc_curve(y == k, prob[:, k])
        assert np.allclose(line.get_xdata(), fpr) and np.allclose(line.get_ydata(), tpr)


def test_ovr_roc_of_a_weak_model_has_no_inset():
    y, prob = softmax_scores(3)
    assert ovr_roc_figure(y, prob, ["a", "b", "c"]).axes[0].child_axes == []


def test_a_deep_nets_graph_png_is_wide_enough_to_read(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    from dlworkflow.models import build_zoo, head_for
    from dlworkflow.models.graph import MIN_PNG_WIDTH, draw_graph

    model = build_zoo("alexnet", (227, 227, 3), head_for("multiclass", 10))
    width, height = Image.open(draw_graph(model, tmp_path / "alexnet_graph.png")).size
    assert width >= MIN_PNG_WIDTH and height > width  # it was 303 px wide


@pytest.fixture(scope="module")
def long_history_report(tmp_path_factory) -> Path:
    """A real run's report with its history stretched to 40 epochs (the scroll box fills)."""
    runs = tmp_path_factory.mktemp("runs")
    config = {"name": "tiny", "data": {"limit": 300}, "train": {"epochs": 1}}
    folder = dlworkflow.run(config, runs_dir=runs).folder
    history = folder / "history.csv"
    rows = list(csv.DictReader(history.open()))
    with history.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**rows[0], "epoch": epoch} for epoch in range(1, 41))
    return build_report(folder)


@pytest.mark.parametrize("width", [1200, 560])
def test_history_table_scrolls_inside_the_page_with_its_header(long_history_report, width):
    with browser_page(scrollbars=True) as page:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(long_history_report.as_uri())
        box = page.evaluate(
            """() => {
            const box = document.querySelector('#history').parentElement;
            const body = document.body, style = getComputedStyle(body);
            const right = body.getBoundingClientRect().right - parseFloat(style.paddingRight);
            const before = [box.scrollWidth, box.clientWidth, box.getBoundingClientRect().right];
            box.scrollTop = box.scrollHeight;
            const header = document.querySelector('#history thead th').getBoundingClientRect();
            return {scroll: before[0], client: before[1], right: before[2], page: right,
                    headerTop: header.top, boxTop: box.getBoundingClientRect().top};
        }"""
        )
    assert box["right"] <= box["page"] + 0.5  # the box stays inside the page's column
    if width >= 1000:
        assert box["scroll"] <= box["client"]  # room enough: no column is cut
    assert abs(box["headerTop"] - box["boxTop"]) < 1  # scrolled down, the header stays


@pytest.mark.parametrize("classes", [2, 10])
def test_confusion_matrix_cells_are_scikit_learns_counts_and_row_shares(classes):
    y, prob = softmax_scores(classes, n=400)
    predicted = prob.argmax(axis=1)
    names = [f"class {k}" for k in range(classes)]
    figure = confusion_matrix_figure(confusion_matrix(y, predicted), names)
    axis = figure.axes[0]
    shares = 100 * confusion_matrix(y, predicted, normalize="true")
    assert np.allclose(axis.images[0].get_array(), shares)
    texts = [text.get_text() for text in axis.texts]
    counts = confusion_matrix(y, predicted)
    assert texts == [
        f"{counts[r, c]}\n({shares[r, c]:.1f}%)" for r in range(classes) for c in range(classes)
    ]
    assert axis.get_xlabel() == "predicted label" and figure.axes[1].get_ylabel().startswith("%")


def test_multiclass_boundary_shades_each_class_by_its_score():
    from matplotlib.contour import ContourSet

    from dlworkflow.evaluate.boundary import decision_boundary_figure, palette_of

    data = load_dataset("blobs")
    scaled = data.preprocessing.apply(data.train.x)
    centroids = np.stack([scaled[data.train.y == k].mean(axis=0) for k in range(3)])

    def predict(batch: np.ndarray) -> np.ndarray:
        closeness = np.exp(-np.linalg.norm(batch[:, None, :] - centroids[None], axis=2))
        return closeness / closeness.sum(axis=1, keepdims=True)

    figure = decision_boundary_figure(
        predict, data.preprocessing, data.train, None, ["a", "b", "c"]
    )
    (axis,) = figure.axes
    surfaces = [item for item in axis.collections if isinstance(item, ContourSet)]
    assert len(surfaces) == 3  # one per class (scikit-learn's DecisionBoundaryDisplay)
    for surface, colour in zip(surfaces, palette_of(["a", "b", "c"]), strict=True):
        # the most confident level of each class's surface is that class's colour
        assert np.allclose(surface.cmap(1.0)[:3], colour[:3])


def test_regression_panels_plot_every_point_and_its_residual():
    from dlworkflow.evaluate.plots import regression_figure

    rng = np.random.default_rng(0)
    y_true = rng.normal(size=1500)  # above scikit-learn's default subsample of 1000
    y_pred = y_true + rng.normal(scale=0.3, size=1500)
    fit, residual = regression_figure(y_true, y_pred).axes
    (points,) = fit.collections
    assert np.allclose(points.get_offsets(), np.column_stack([y_pred, y_true]))
    (errors,) = residual.collections
    assert np.allclose(errors.get_offsets(), np.column_stack([y_pred, y_true - y_pred]))
    assert [text.get_text() for text in fit.get_legend().get_texts()] == ["y = x"]


def test_sample_grid_is_one_mosaic_of_each_class_samples():
    """One imshow (an axes per tile made it the slowest survey figure); row c, column k
    holds the k-th training sample of class c, stretched as shown elsewhere."""
    from dlworkflow.data.survey import sample_grid_figure
    from dlworkflow.figures import display_rgb

    dataset = load_dataset({"source": "digits", "limit": 300})
    figure = sample_grid_figure(dataset)
    (axis,) = figure.axes
    grid = np.asarray(axis.images[0].get_array())
    third_of_class_2 = np.flatnonzero(dataset.train.y == 2)[2]
    gap = 1  # round(0.12 * 8)
    top, left = 2 * (8 + gap) + gap, 2 * (8 + gap)
    np.testing.assert_allclose(
        grid[top : top + 8, left : left + 8], display_rgb(dataset.train.x[third_of_class_2])
    )
    assert [text.get_text() for text in axis.texts] == dataset.class_names
