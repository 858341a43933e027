"""Curves, decision boundaries and the mistake gallery: numbers equal scikit-learn's."""

import re

import keras
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from dlworkflow.data import Split, load_dataset
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.boundary import decision_boundary_figure
from dlworkflow.evaluate.curves import (
    ovr_roc_figure,
    roc_pr_figure,
    threshold_figure,
    threshold_sweep,
)
from dlworkflow.evaluate.mistakes import highest_loss_indices, misclassified_gallery_figure
from dlworkflow.figures import save_figure


def binary_scores(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return y, 1 / (1 + np.exp(-(2.0 * y - 1.0 + rng.normal(scale=1.2, size=n))))


def softmax_scores(classes: int, n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    logits = np.eye(classes)[y] * 1.5 + rng.normal(size=(n, classes))
    return y, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def legend_numbers(axis, key: str) -> dict[str, float]:
    """{legend label before the parenthesis: the number after ``key =``}."""
    texts = [text.get_text() for text in axis.get_legend().get_texts()]
    found = (re.fullmatch(rf"(.*) \({key} = ([0-9.]+)\)", text) for text in texts)
    return {match[1]: float(match[2]) for match in found if match}


def test_threshold_sweep_best_is_the_brute_force_best_f1():
    y, scores = binary_scores()
    sweep = threshold_sweep(y, scores, steps=51)
    thresholds = np.asarray(sweep["thresholds"])
    assert len(thresholds) == 51 and thresholds[0] == 0 and thresholds[-1] == 1
    predicted = scores[:, None] >= thresholds[None, :]
    tp = (predicted & (y[:, None] == 1)).sum(axis=0)
    fp = (predicted & (y[:, None] == 0)).sum(axis=0)
    fn = (~predicted & (y[:, None] == 1)).sum(axis=0)
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert np.allclose(sweep["f1"], f1)
    assert np.allclose(sweep["recall"], tp / (tp + fn))
    assert sweep["best_f1"] == pytest.approx(f1.max())
    ties = thresholds[np.isclose(f1, f1.max())]
    assert sweep["best_threshold"] == ties[np.argmin(np.abs(ties - 0.5))]
    # predicting everything positive: precision is the prevalence, recall 1
    assert sweep["precision"][0] == pytest.approx(y.mean()) and sweep["recall"][0] == 1


def test_threshold_sweep_prefers_the_default_on_a_plateau():
    y = np.array([0, 0, 1, 1])
    sweep = threshold_sweep(y, np.array([0.1, 0.2, 0.8, 0.9]), steps=11)
    assert sweep["best_f1"] == 1.0 and sweep["best_threshold"] == 0.5


def test_roc_and_pr_legends_give_scikit_learns_auc_and_ap(tmp_path):
    y, scores = binary_scores()
    figure = roc_pr_figure(y, scores)
    roc, pr = figure.axes
    assert legend_numbers(roc, "AUC")["model"] == round(roc_auc_score(y, scores), 3)
    assert legend_numbers(pr, "AP")["model"] == round(average_precision_score(y, scores), 3)
    assert legend_numbers(pr, "AP")["chance"] == round(y.mean(), 3)
    assert save_figure(figure, tmp_path / "x.svg").stat().st_size > 10_000


def test_binary_curves_refuse_a_single_class():
    with pytest.raises(BadInput, match="both classes"):
        roc_pr_figure(np.zeros(5), np.linspace(0, 1, 5))


def test_threshold_figure_marks_the_best_threshold(tmp_path):
    y, scores = binary_scores()
    sweep = threshold_sweep(y, scores)
    figure = threshold_figure(sweep)
    axis = figure.axes[0]
    marked = [line for line in axis.get_lines() if line.get_label().startswith("best F1")]
    assert len(marked) == 1 and marked[0].get_xdata()[0] == sweep["best_threshold"]
    assert f"{sweep['best_f1']:.3f}" in marked[0].get_label()
    assert save_figure(figure, tmp_path / "x.svg").stat().st_size > 10_000


def test_ovr_roc_gives_per_class_and_macro_auc(tmp_path):
    y, prob = softmax_scores(3)
    figure = ovr_roc_figure(y, prob, ["a", "b", "c"])
    axis = figure.axes[0]
    per_class = legend_numbers(axis, "AUC")
    for k, name in enumerate("abc"):
        assert per_class[name] == round(roc_auc_score(y == k, prob[:, k]), 3)
    macro = roc_auc_score(y, prob, multi_class="ovr")
    assert f"macro AUC = {macro:.3f}" in axis.get_title()
    assert save_figure(figure, tmp_path / "x.svg").stat().st_size > 10_000


def test_ovr_roc_draws_at_most_ten_classes_the_worst_ones():
    y, prob = softmax_scores(15, n=900)
    names = [f"c{k}" for k in range(15)]
    shown = legend_numbers(ovr_roc_figure(y, prob, names).axes[0], "AUC")
    aucs = {names[k]: roc_auc_score(y == k, prob[:, k]) for k in range(15)}
    assert set(shown) - {"chance"} == set(sorted(aucs, key=aucs.get)[:10])


def test_highest_loss_order_excludes_correct_predictions():
    y = np.array([0, 1, 2, 0, 1, 2])
    prob = np.array(
        [
            [0.9, 0.05, 0.05],  # correct
            [0.6, 0.3, 0.1],  # wrong, p(true) = 0.3
            [0.1, 0.85, 0.05],  # wrong, p(true) = 0.05: the worst
            [0.2, 0.7, 0.1],  # wrong, p(true) = 0.2
            [0.1, 0.8, 0.1],  # correct
            [0.45, 0.15, 0.4],  # wrong, p(true) = 0.4
        ]
    )
    assert highest_loss_indices(y, prob).tolist() == [2, 3, 1, 5]
    assert highest_loss_indices(y, prob, count=2).tolist() == [2, 3]


def test_highest_loss_handles_one_sigmoid_column():
    y = np.array([1, 0, 1, 0])
    prob = np.array([[0.2], [0.1], [0.9], [0.7]])  # 0 and 3 wrong; 0 is surer
    assert highest_loss_indices(y, prob).tolist() == [0, 3]


def test_gallery_is_none_when_everything_is_right():
    y, prob = softmax_scores(3)
    images = np.zeros((len(y), 8, 8, 1), np.uint8)
    assert misclassified_gallery_figure(images, prob.argmax(axis=1), prob, list("abc")) is None


@pytest.mark.parametrize(
    ("shape", "dtype", "top"), [((12, 12, 1), np.uint8, 16), ((12, 12, 3), np.float32, 255)]
)
def test_gallery_shows_the_highest_loss_mistakes(tmp_path, shape, dtype, top):
    y, prob = softmax_scores(3, n=60)
    rng = np.random.default_rng(1)
    images = (rng.random((len(y), *shape)) * (top + 1)).astype(dtype)  # digits are 0–16
    figure = misclassified_gallery_figure(images, y, prob, ["a", "b", "c"], count=5)
    (axis,) = figure.axes  # one mosaic: an axes per tile made the figure slow
    titles = [text.get_text() for text in axis.texts]
    worst = highest_loss_indices(y, prob, count=5)
    assert len(titles) == len(worst) == 5
    first = worst[0]
    expected = (
        f"true {'abc'[y[first]]}\npred {'abc'[prob[first].argmax()]} (p={prob[first].max():.2f})"
    )
    assert titles[0] == expected
    grid = np.asarray(axis.images[0].get_array())
    if shape[-1] == 1:  # grey tiles share the data's range, not 0–255 (digits came out black)
        shown = images[worst].astype(np.float64)[..., 0]
        low, high = shown.min(), shown.max()
        assert (low, high) == (0, top)
        gap = max(3, round(0.35 * 12))
        np.testing.assert_allclose(grid[gap : gap + 12, :12, 0], (shown[0] - low) / (high - low))
    assert save_figure(figure, tmp_path / "x.svg").stat().st_size > 10_000


def test_boundary_refuses_three_features():
    split = Split(np.zeros((10, 3), np.float32), np.zeros(10, np.int64))
    data = load_dataset("circles")
    with pytest.raises(BadInput, match="exactly 2 input features"):
        decision_boundary_figure(lambda x: x[:, :1], data.preprocessing, split, None, ["0", "1"])


def test_binary_boundary_with_a_keras_model(tmp_path):
    data = load_dataset("circles")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    calls = []

    def predict(batch: np.ndarray) -> np.ndarray:
        calls.append(len(batch))
        return model.predict(batch, batch_size=8192, verbose=0)

    figure = decision_boundary_figure(
        predict, data.preprocessing, data.train, data.test, data.class_names
    )
    assert calls == [200 * 200 + len(data.train) + len(data.test)]  # one batched call
    train_axis, test_axis, colour_bar = figure.axes
    test_labels = predict(data.preprocessing.apply(data.test.x)).reshape(-1) >= 0.5
    accuracy = np.mean(test_labels == data.test.y)
    assert test_axis.get_title() == f"test: {len(data.test)} points, accuracy {accuracy:.3f}"
    assert colour_bar.get_ylabel() == "P(1)"
    assert save_figure(figure, tmp_path / "x.svg").stat().st_size > 50_000


def test_multiclass_boundary_with_nearest_centroids(tmp_path):
    data = load_dataset("blobs")
    scaled = data.preprocessing.apply(data.train.x)
    centroids = np.stack([scaled[data.train.y == k].mean(axis=0) for k in range(3)])

    def predict(batch: np.ndarray) -> np.ndarray:
        return -np.linalg.norm(batch[:, None, :] - centroids[None], axis=2)

    figure = decision_boundary_figure(
        predict, data.preprocessing, data.train, None, data.class_names
    )
    (axis,) = figure.axes  # no test panel, no colour bar
    accuracy = float(re.search(r"accuracy ([0-9.]+)", axis.get_title())[1])
    assert accuracy == pytest.approx(np.mean(predict(scaled).argmax(axis=1) == data.train.y), 1e-3)
    assert accuracy > 0.9  # the blobs are well separated
    legend = [text.get_text() for text in axis.get_legend().get_texts()]
    assert legend == ["class 0", "class 1", "class 2"]
    assert save_figure(figure, tmp_path / "x.svg").stat().st_size > 50_000
