"""The k-NN head stored as plain arrays: rebuilt exactly, and every malformed archive
refused by name without unpickling anything."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from dlworkflow.errors import BadInput
from dlworkflow.transfer.head_store import load_knn_head, save_knn_head


def _pipeline(classes: int, scale: bool, pca: int | None, **knn) -> tuple[Pipeline, np.ndarray]:
    x, y = make_classification(
        120, 12, n_informative=6, n_classes=classes, n_clusters_per_class=1, random_state=0
    )
    steps = [("scale", StandardScaler())] if scale else []
    if pca:
        steps.append(("pca", PCA(pca, random_state=0)))
    steps.append(("head", KNeighborsClassifier(**knn)))
    return Pipeline(steps).fit(x[:80], y[:80]), x[80:]


@pytest.mark.parametrize(
    ("classes", "scale", "pca", "knn"),
    [
        (3, True, 5, {"n_neighbors": 5}),
        (2, False, None, {"n_neighbors": 3, "weights": "distance"}),
        (4, True, None, {"n_neighbors": 7, "metric": "manhattan"}),
        (2, False, 4, {"n_neighbors": 1, "p": 1}),
    ],
)
def test_rebuilt_head_scores_like_the_fitted_pipeline(tmp_path, classes, scale, pca, knn):
    pipeline, probe = _pipeline(classes, scale, pca, **knn)
    save_knn_head(pipeline, tmp_path / "head.npz")
    scores = load_knn_head(tmp_path / "head.npz")(probe)
    proba = pipeline.predict_proba(probe)
    expected = proba[:, 1:] if classes == 2 else proba
    np.testing.assert_allclose(scores, expected, atol=1e-12)


def _saved(tmp_path: Path) -> dict[str, np.ndarray]:
    pipeline, _ = _pipeline(3, True, 5)
    save_knn_head(pipeline, tmp_path / "good.npz")
    with np.load(tmp_path / "good.npz") as saved:
        return {name: saved[name] for name in saved.files}


def _params(**changes) -> np.ndarray:
    base = {
        "n_neighbors": 5,
        "weights": "uniform",
        "algorithm": "auto",
        "leaf_size": 30,
        "p": 2,
        "metric": "minkowski",
    }
    return np.asarray(json.dumps({**base, **changes}))


BROKEN = {
    "labels out of range": (lambda a: {**a, "labels": a["labels"] + 10}, "labels must index"),
    "no points": (lambda a: {k: v for k, v in a.items() if k != "points"}, "lacks points"),
    "params not json": (lambda a: {**a, "params": np.asarray("{oops")}, "params is not JSON"),
    "extra param": (lambda a: {**a, "params": _params(n_jobs=4)}, "exactly the keys"),
    "bad metric": (lambda a: {**a, "params": _params(metric="nope")}, "params refused"),
    "list param": (lambda a: {**a, "params": _params(p=[1])}, r"params\.p is \[1\]"),
    "too many neighbours": (lambda a: {**a, "params": _params(n_neighbors=10**6)}, "n_neighbors"),
    "string points": (lambda a: {**a, "points": a["points"].astype(str)}, "points holds"),
    "pca mismatch": (lambda a: {**a, "pca_components": a["pca_components"][:2]}, "pca_comp"),
    "scale mismatch": (lambda a: {**a, "scale_scale": a["scale_scale"][:3]}, "scale_mean"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_malformed_head_archive_is_refused_by_name(tmp_path, case):
    change, message = BROKEN[case]
    np.savez(tmp_path / "head.npz", **change(_saved(tmp_path)))
    with pytest.raises(BadInput, match=message) as error:
        load_knn_head(tmp_path / "head.npz")
    assert str(tmp_path / "head.npz") in str(error.value)
    assert "\n" not in str(error.value)


def test_features_of_the_wrong_width_are_refused(tmp_path):
    pipeline, probe = _pipeline(3, True, 5)
    save_knn_head(pipeline, tmp_path / "head.npz")
    with pytest.raises(BadInput, match="takes 12 features"):
        load_knn_head(tmp_path / "head.npz")(probe[:, :4])
