"""Segmentation scores against direct NumPy set arithmetic, scikit-learn and Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, f1_score, jaccard_score

from dlworkflow.errors import BadInput
from dlworkflow.evaluate.segmentation import (
    class_errors,
    masks_from_scores,
    per_image_iou,
    pixel_confusion,
    segmentation_scores,
    worst_images,
)


def _masks(seed: int, classes: int, shape=(5, 12, 10)) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, classes, shape)
    noisy = np.where(rng.random(shape) < 0.3, rng.integers(0, classes, shape), truth)
    return truth, noisy


@pytest.mark.parametrize(("seed", "classes"), [(0, 2), (1, 3), (2, 5)])
def test_scores_equal_set_arithmetic_sklearn_and_keras(seed: int, classes: int) -> None:
    truth, predicted = _masks(seed, classes)
    scores = segmentation_scores(truth, predicted, classes)
    for k in range(classes):
        t, p = truth == k, predicted == k
        assert scores["iou"][k] == pytest.approx((t & p).sum() / (t | p).sum())
        assert scores["dice"][k] == pytest.approx(2 * (t & p).sum() / (t.sum() + p.sum()))
    assert scores["pixel_accuracy"] == pytest.approx((truth == predicted).mean())
    labels = list(range(classes))
    flat_t, flat_p = truth.ravel(), predicted.ravel()
    assert scores["confusion"] == confusion_matrix(flat_t, flat_p, labels=labels).tolist()
    sk_iou = jaccard_score(flat_t, flat_p, labels=labels, average=None)
    sk_f1 = f1_score(flat_t, flat_p, labels=labels, average=None)
    np.testing.assert_allclose(scores["iou"], sk_iou)
    np.testing.assert_allclose(scores["dice"], sk_f1)
    assert scores["mean_dice"] == pytest.approx(sk_f1.mean())
    metric = keras.metrics.MeanIoU(num_classes=classes)
    metric.update_state(truth, predicted)
    assert scores["mean_iou"] == pytest.approx(float(metric.result()), rel=1e-6)


def test_absent_class_has_no_score_and_is_left_out_of_the_mean_like_keras() -> None:
    truth = np.array([[0, 0, 1, 1]])
    predicted = np.array([[0, 1, 1, 1]])
    scores = segmentation_scores(truth, predicted, 3)
    assert scores["iou"] == [0.5, pytest.approx(2 / 3), None]
    assert scores["dice"][2] is None
    metric = keras.metrics.MeanIoU(num_classes=3)
    metric.update_state(truth, predicted)
    assert scores["mean_iou"] == pytest.approx(float(metric.result()))


def test_per_image_iou_worst_first_and_errors_per_class() -> None:
    truth = np.zeros((3, 4, 4), np.int64)
    truth[:, :2] = 1
    predicted = truth.copy()
    predicted[1, 0, :] = 0  # image 1 misses four class-1 pixels
    predicted[2, 3, 0] = 1  # image 2 claims one class-1 pixel too many
    ious = per_image_iou(truth, predicted, 2)
    assert ious[0] == 1.0 and ious[1] < ious[2] < 1.0
    worst = worst_images(truth, predicted, 2, count=2)
    assert [w["index"] for w in worst] == [1, 2]
    assert worst[0]["classes"][1] == {"class": 1, "missed": 4, "false_alarms": 0, "iou": 0.5}
    errors = class_errors(truth[2], predicted[2], 2)
    assert errors[0]["missed"] == 1 and errors[1]["false_alarms"] == 1


def test_masks_from_sigmoid_and_softmax_scores() -> None:
    sigmoid = np.array([[[0.2], [0.7]]])
    softmax = np.array([[[0.1, 0.5, 0.4], [0.8, 0.1, 0.1]]])
    assert masks_from_scores(sigmoid).tolist() == [[0, 1]]
    assert masks_from_scores(softmax).tolist() == [[1, 0]]


@pytest.mark.parametrize(
    ("truth", "predicted", "message"),
    [
        (np.zeros((2, 3)), np.zeros((2, 4)), "shapes must match"),
        (np.full((2, 3), 2), np.zeros((2, 3)), "true class ids span 2..2, outside 0..1"),
        (np.zeros((2, 3)), np.full((2, 3), -1), "predicted class ids span -1..-1"),
    ],
)
def test_bad_masks_are_refused(truth: np.ndarray, predicted: np.ndarray, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        pixel_confusion(truth, predicted, 2)
