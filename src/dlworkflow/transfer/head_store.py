"""A fitted k-NN head on disk as plain arrays and JSON parameters, never a pickle.

A run folder is untrusted input (students pass them around), and unpickling one
(``joblib.load``) runs whatever code it names. ``head.npz`` holds only numbers and one
JSON string, is read with ``allow_pickle=False``, and the classifier is rebuilt by
fitting a fresh :class:`~sklearn.neighbors.KNeighborsClassifier` on the stored points:
k-NN's fit only stores them, so the rebuilt head predicts exactly like the saved one.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from dlworkflow.atomic import write_npz
from dlworkflow.errors import BadInput

# the parameters that rebuild the classifier; all are strings or numbers in JSON
KNN_PARAMS = ("n_neighbors", "weights", "algorithm", "leaf_size", "p", "metric")
ARRAYS = ("points", "labels", "classes")
OPTIONAL = ("scale_mean", "scale_scale", "pca_mean", "pca_components")


def save_knn_head(pipeline: Pipeline, path: Path) -> None:
    """Write the scaler, PCA and k-NN of ``pipeline`` as arrays (atomically)."""
    head: KNeighborsClassifier = pipeline[-1]
    params = {key: head.get_params()[key] for key in KNN_PARAMS}
    if head.metric_params or callable(head.weights) or not isinstance(head.metric, str):
        raise ValueError("only string metrics and weights without metric_params are stored")
    arrays: dict[str, np.ndarray] = {
        "points": np.asarray(head._fit_X, dtype=np.float64),
        "labels": np.asarray(head._y, dtype=np.int64),
        "classes": np.asarray(head.classes_, dtype=np.int64),
        "params": np.asarray(json.dumps(params)),
    }
    scaler = pipeline.named_steps.get("scale")
    if scaler is not None:
        arrays.update(scale_mean=scaler.mean_, scale_scale=scaler.scale_)
    pca = pipeline.named_steps.get("pca")
    if pca is not None:
        if pca.whiten:
            raise ValueError("a whitening PCA is not stored")
        arrays.update(pca_mean=pca.mean_, pca_components=pca.components_)
    write_npz(path, **arrays)


def load_knn_head(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    """Features → class probabilities, rebuilt from ``head.npz``; BadInput naming the
    file when it is missing, not an archive of plain arrays, or inconsistent."""
    if not path.is_file():
        raise BadInput(f"{path}: missing from the run folder (the k-NN head of a transfer run)")
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise BadInput(f"{path}: not a k-NN head archive of plain arrays ({error})") from None
    missing = [name for name in (*ARRAYS, "params") if name not in arrays]
    if missing:
        raise BadInput(f"{path}: lacks {', '.join(missing)}")
    params = _params(path, arrays["params"])
    points, labels, classes = (arrays[name] for name in ARRAYS)
    width = _check_shapes(path, arrays, points, labels, classes, params)
    knn = KNeighborsClassifier(**params).fit(points, classes[labels])
    transform = _transform(arrays)

    def scores(features: np.ndarray) -> np.ndarray:
        if features.ndim != 2 or features.shape[1] != width:
            raise BadInput(
                f"{path}: the head takes {width} features, the model gives {features.shape[1:]}"
            )
        proba = knn.predict_proba(transform(np.asarray(features, dtype=np.float64)))
        return proba[:, 1:] if proba.shape[1] == 2 else proba

    return scores


def _params(path: Path, raw: np.ndarray) -> dict[str, Any]:
    try:
        params = json.loads(str(raw))
    except ValueError:
        raise BadInput(f"{path}: params is not JSON") from None
    if not isinstance(params, dict) or sorted(params) != sorted(KNN_PARAMS):
        raise BadInput(f"{path}: params must have exactly the keys {', '.join(KNN_PARAMS)}")
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float, type(None))):
            raise BadInput(f"{path}: params.{key} is {value!r}; a string or number is needed")
    try:
        KNeighborsClassifier(**params)._validate_params()
    except (ValueError, TypeError) as error:
        raise BadInput(f"{path}: params refused: {str(error).splitlines()[0]}") from None
    return params


def _check_shapes(
    path: Path,
    arrays: dict[str, np.ndarray],
    points: np.ndarray,
    labels: np.ndarray,
    classes: np.ndarray,
    params: dict[str, Any],
) -> int:
    """The number of features the head takes, after checking every array fits."""
    for name, array in arrays.items():
        if name != "params" and array.dtype.kind not in "fiu":
            raise BadInput(f"{path}: {name} holds {array.dtype}, not numbers")
    if points.ndim != 2 or labels.shape != (len(points),) or classes.ndim != 1:
        raise BadInput(f"{path}: points, labels and classes have inconsistent shapes")
    if not len(classes) or labels.min(initial=0) < 0 or labels.max(initial=0) >= len(classes):
        raise BadInput(f"{path}: labels must index classes")
    if not 1 <= params["n_neighbors"] <= len(points):
        raise BadInput(f"{path}: n_neighbors must be between 1 and the {len(points)} points")
    width = points.shape[1]
    if "pca_components" in arrays:
        components, mean = arrays["pca_components"], arrays.get("pca_mean")
        if components.ndim != 2 or components.shape[0] != width or mean is None:
            raise BadInput(f"{path}: pca_components do not give {width} columns")
        if mean.shape != (components.shape[1],):
            raise BadInput(f"{path}: pca_mean does not match pca_components")
        width = components.shape[1]
    if "scale_mean" in arrays and not (
        arrays["scale_mean"].shape == arrays.get("scale_scale", np.empty(0)).shape == (width,)
    ):
        raise BadInput(f"{path}: scale_mean and scale_scale must both have {width} entries")
    return width


def _transform(arrays: dict[str, np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """StandardScaler then PCA, in scikit-learn's own order of operations."""

    def apply(x: np.ndarray) -> np.ndarray:
        if "scale_mean" in arrays:
            x = (x - arrays["scale_mean"]) / arrays["scale_scale"]
        if "pca_components" in arrays:
            components = arrays["pca_components"]
            x = x @ components.T - arrays["pca_mean"].reshape(1, -1) @ components.T
        return x

    return apply
