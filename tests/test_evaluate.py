"""Evaluation numbers equal scikit-learn's on the same predictions."""

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    r2_score,
    roc_auc_score,
)

from dlworkflow.errors import BadInput
from dlworkflow.evaluate import classification_metrics, regression_metrics
from dlworkflow.evaluate.plots import confusion_matrix_figure
from dlworkflow.figures import save_figure


def noisy_predictions(classes: int, n: int = 300, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    logits = np.eye(classes)[y] * 1.5 + rng.normal(size=(n, classes))
    prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, prob


def test_multiclass_matches_scikit_learn():
    y, prob = noisy_predictions(4)
    names = ["a", "b", "c", "d"]
    result = classification_metrics(y, prob, names)
    pred = prob.argmax(axis=1)
    assert result["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert result["error_rate"] == pytest.approx(1 - accuracy_score(y, pred))
    assert result["confusion_matrix"] == confusion_matrix(y, pred).tolist()
    assert result["report_text"] == classification_report(y, pred, target_names=names, digits=4)
    assert result["roc_auc_ovr_macro"] == pytest.approx(roc_auc_score(y, prob, multi_class="ovr"))
    rows = np.asarray(result["confusion_matrix_percent"]).sum(axis=1)
    assert np.allclose(rows, 100, atol=0.05)
    top = result["most_confused"][0]
    counts = np.asarray(result["confusion_matrix"])
    np.fill_diagonal(counts, 0)
    assert top["count"] == counts.max()


def test_binary_with_one_sigmoid_column():
    y, prob = noisy_predictions(2)
    scores = prob[:, 1:2]  # the layout of a Dense(1, sigmoid) model
    result = classification_metrics(y, scores, ["neg", "pos"])
    tn, fp, fn, tp = confusion_matrix(y, (scores[:, 0] >= 0.5).astype(int)).ravel()
    assert (result["tn"], result["fp"], result["fn"], result["tp"]) == (tn, fp, fn, tp)
    assert result["sensitivity"] == pytest.approx(tp / (tp + fn))
    assert result["specificity"] == pytest.approx(tn / (tn + fp))
    assert result["roc_auc"] == pytest.approx(roc_auc_score(y, scores[:, 0]))


def test_output_that_does_not_fit_the_classes_is_named():
    y, prob = noisy_predictions(3)
    with pytest.raises(BadInput, match=r"3 output column\(s\) but the data has 5 classes"):
        classification_metrics(y, prob, list("abcde"))


def test_regression_formulas():
    y = np.array([1.0, 2.0, 4.0, 8.0])
    pred = np.array([1.5, 1.5, 4.0, 7.0])
    result = regression_metrics(y, pred, n_features=1)
    assert result["mse"] == pytest.approx(np.mean((y - pred) ** 2))
    assert result["rmse"] == pytest.approx(np.sqrt(result["mse"]))
    assert result["r2"] == pytest.approx(r2_score(y, pred))
    assert result["adjusted_r2"] == pytest.approx(1 - (1 - result["r2"]) * 3 / 2)
    assert result["mape"] == pytest.approx(100 * np.mean(np.abs((y - pred) / y)))
    assert result["mpe"] == pytest.approx(100 * np.mean((y - pred) / y))


def test_confusion_matrix_figure_for_100_classes(tmp_path):
    y, prob = noisy_predictions(100, n=2000)
    counts = confusion_matrix(y, prob.argmax(axis=1), labels=range(100))
    path = save_figure(
        confusion_matrix_figure(counts, [f"c{i}" for i in range(100)]), tmp_path / "cm.svg"
    )
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("names", "rotated"),
    [
        ([str(i) for i in range(10)], False),  # digits fit side by side
        (["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
          "Sneaker", "Bag", "Ankle boot"], True),  # Fashion-MNIST's would overlap
    ],
)
def test_confusion_matrix_labels_turn_when_they_would_overlap(names, rotated):
    from dlworkflow.evaluate.plots import confusion_matrix_figure

    figure = confusion_matrix_figure(np.eye(len(names), dtype=int), names)
    angles = {label.get_rotation() for label in figure.axes[0].get_xticklabels()}
    assert angles == ({45.0} if rotated else {0.0})


def test_mistake_tiles_follow_the_image_size():
    from dlworkflow.evaluate.mistakes import misclassified_gallery_figure

    y_true = np.array([0, 1, 0, 1])
    y_prob = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])  # all wrong
    widths = {
        side: misclassified_gallery_figure(
            np.zeros((4, side, side)), y_true, y_prob, ["a", "b"]
        ).get_figwidth()
        for side in (8, 64)
    }
    assert widths[8] < widths[64]
