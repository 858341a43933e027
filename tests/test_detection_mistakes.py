"""Per-image mistakes, the background confusion matrix and each image's mAP cost."""

from __future__ import annotations

import numpy as np
import pytest

from dlworkflow.detection.coco import Boxes, coco_map
from dlworkflow.detection.mistakes import (
    confusion_matrix,
    image_mistakes,
    map50_costs,
    rank_images,
)

NAMES = ["circle", "square"]


def scene() -> tuple[list[Boxes], list[Boxes]]:
    truths = [
        Boxes([[0, 0, 10, 10], [20, 20, 40, 40]], [0, 1]),  # perfect
        Boxes([[0, 0, 10, 10], [50, 50, 70, 70]], [0, 0]),  # one missed, one background FP
        Boxes([[0, 0, 20, 20]], [1]),  # wrong class, duplicate-free
    ]
    predictions = [
        Boxes([[0, 0, 10, 10], [20, 20, 40, 40]], [0, 1], [0.9, 0.8]),
        Boxes([[0, 0, 10, 10], [80, 80, 90, 90], [50, 50, 58, 70]], [0, 1, 0], [0.7, 0.6, 0.5]),
        Boxes([[0, 0, 20, 20]], [0], [0.95]),
    ]
    return truths, predictions


def test_each_mistake_is_named_with_its_reason() -> None:
    truths, predictions = scene()
    second = image_mistakes(truths[1], predictions[1], NAMES)
    assert len(second["true_positives"]) == 1
    kinds = {fp["kind"] for fp in second["false_positives"]}
    assert kinds == {"background", "localisation"}
    local = next(fp for fp in second["false_positives"] if fp["kind"] == "localisation")
    assert local["best_iou"] == pytest.approx(160 / 400) and local["overlapped_class"] == "circle"
    assert [fn["class"] for fn in second["false_negatives"]] == ["circle"]
    third = image_mistakes(truths[2], predictions[2], NAMES)
    assert third["false_positives"][0]["kind"] == "wrong class"
    assert third["false_positives"][0]["overlapped_class"] == "square"
    assert third["false_negatives"][0]["nearest_prediction"] == "circle"
    duplicate = image_mistakes(
        truths[0], Boxes([[0, 0, 10, 10], [0, 0, 10, 11]], [0, 0], [0.9, 0.8]), NAMES
    )
    assert duplicate["false_positives"][0]["kind"] == "duplicate"


def test_confusion_matrix_counts_background_both_ways() -> None:
    truths, predictions = scene()
    counts = confusion_matrix(truths, predictions, 2)
    expected = np.array(
        [
            [2, 0, 1],  # circles: two found, one missed (IoU 0.4 < 0.5)
            [1, 1, 0],  # squares: one found, one called a circle
            [1, 1, 0],  # background: the short circle box and the square on nothing
        ]
    )
    np.testing.assert_array_equal(counts, expected)


def test_costs_are_the_map_gain_of_removing_each_images_mistakes() -> None:
    truths, predictions = scene()
    base, costs = map50_costs(truths, predictions, 2)
    assert base == pytest.approx(coco_map(truths, predictions, NAMES).map50, abs=1e-12)
    assert costs[0] == pytest.approx(0.0, abs=1e-12)  # nothing wrong there
    hits_only = {  # each image reduced by hand to its matched truths and predictions
        1: (Boxes([[0, 0, 10, 10]], [0]), Boxes([[0, 0, 10, 10]], [0], [0.7])),
        2: (Boxes(np.zeros((0, 4)), []), Boxes(np.zeros((0, 4)), [], [])),
    }
    for i, (truth, predicted) in hits_only.items():
        fixed_truths, fixed_predictions = list(truths), list(predictions)
        fixed_truths[i], fixed_predictions[i] = truth, predicted
        fixed = coco_map(fixed_truths, fixed_predictions, NAMES).map50
        assert costs[i] == pytest.approx(fixed - base, abs=1e-12)
    assert costs[1] > 0 and costs[2] > 0
    ranked = rank_images(truths, predictions, NAMES, ["a", "b", "c"])
    order = ["b", "c"] if costs[1] >= costs[2] else ["c", "b"]
    assert [r["image"] for r in ranked] == order
    assert ranked[0]["map50_cost"] == pytest.approx(max(costs), abs=1e-6)


def test_figures_are_written(tmp_path) -> None:
    from PIL import Image

    from dlworkflow.data.shapes import render_shapes
    from dlworkflow.detection.coco import coco_map
    from dlworkflow.detection.plots import (
        box_grid_figure,
        box_survey_figure,
        detection_confusion_figure,
        mistakes_figure,
        pr_curves_figure,
    )
    from dlworkflow.figures import save_figure

    scenes = render_shapes(count=6, size=32, min_size=6, max_size=12, seed=0)
    truths = [Boxes(b, lab) for b, lab in zip(scenes.boxes, scenes.labels, strict=True)]
    predictions = [Boxes(t.boxes + 2, t.labels, np.linspace(0.9, 0.5, len(t))) for t in truths]
    names = scenes.class_names
    ranked = rank_images(truths, predictions, names, scenes.names)
    figures = {
        "survey.svg": box_survey_figure(scenes.boxes, scenes.labels, names),
        "grid.png": box_grid_figure(scenes.images, scenes.boxes, scenes.labels, names),
        "pr.svg": pr_curves_figure(coco_map(truths, predictions, names)),
        "confusion.svg": detection_confusion_figure(
            confusion_matrix(truths, predictions, len(names)), names
        ),
        "mistakes.png": mistakes_figure(scenes.images, ranked),
    }
    for name, figure in figures.items():
        path = save_figure(figure, tmp_path / name)
        if name.endswith(".png"):
            assert Image.open(path).size[0] > 100
        else:
            assert path.read_text().lstrip().startswith("<?xml")
