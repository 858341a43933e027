"""The scikit-learn side of feature extraction: optional standardisation and PCA, a head
grid-searched with cross-validation, and linear heads folded back into one Keras layer.

Folding matters: scaler, PCA and a linear classifier compose into one affine map, so
``model.keras`` (base + that Dense layer) gives the same scores as the pipeline, and
``dlw evaluate`` and the report work on it like on any other run. The Keras dense head
keeps its own layers behind the scaler and PCA as layers.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import keras
import numpy as np
from matplotlib.figure import Figure
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from dlworkflow.errors import BadInput
from dlworkflow.figures import plt
from dlworkflow.train.precision import float32_array
from dlworkflow.transfer.dense_head import DenseHead
from dlworkflow.transfer.head_store import load_knn_head
from dlworkflow.transfer.spec import FeatureSpec

LINEAR_CLASSES = (LogisticRegression, LinearSVC)


def make_head(kind: str, seed: int) -> Any:
    return {
        "logistic_regression": LogisticRegression(max_iter=2000),
        "linear_svm": LinearSVC(random_state=seed, max_iter=5000),
        "knn": KNeighborsClassifier(),
        "dense": DenseHead(seed=seed),
    }[kind]


def make_pipeline(spec: FeatureSpec, seed: int) -> Pipeline:
    steps: list[tuple[str, Any]] = []
    if spec.standardize:
        steps.append(("scale", StandardScaler()))
    if spec.pca is not None:
        steps.append(("pca", PCA(n_components=spec.pca, random_state=seed)))
    steps.append(("head", make_head(spec.head, seed)))
    return Pipeline(steps)


def check_grid(spec: FeatureSpec, seed: int) -> None:
    """Refuse a grid the head does not accept, by key and value, before any work."""
    head = make_head(spec.head, seed)
    grid = spec.search_grid()
    valid = sorted(head.get_params())
    for key in grid:
        if key not in valid:
            raise BadInput(
                f"transfer.features.grid.{key}: not a parameter of {type(head).__name__} "
                f"(valid: {', '.join(valid)})"
            )
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        try:
            clone(head).set_params(**params)._validate_params()
        except (ValueError, TypeError) as error:
            reason = str(error).splitlines()[0]
            raise BadInput(f"transfer.features.grid: {params} is refused: {reason}") from None


def grid_search(
    spec: FeatureSpec, x: np.ndarray, y: np.ndarray, seed: int
) -> tuple[GridSearchCV, list[dict]]:
    """Fit every grid point with stratified k-fold CV; refit the best on all of ``x``.

    Returns the search and one row per grid point (parameters, mean and std of the CV
    accuracy, rank) for the report.
    """
    grid = {f"head__{key}": values for key, values in spec.search_grid().items()}
    folds = min(spec.cv, int(np.bincount(y).min()))
    if folds < 2:
        raise BadInput(
            f"transfer.features.cv: a class has {np.bincount(y).min()} training sample(s); "
            "cross-validation needs at least 2 per class"
        )
    search = GridSearchCV(
        make_pipeline(spec, seed),
        grid,
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        scoring="accuracy",
        n_jobs=1,
    )
    search.fit(x, y)
    results = search.cv_results_
    rows = [
        {
            "params": {k.removeprefix("head__"): _plain(v) for k, v in params.items()},
            "mean_accuracy": float(results["mean_test_score"][i]),
            "std_accuracy": float(results["std_test_score"][i]),
            "rank": int(results["rank_test_score"][i]),
            "fit_seconds": float(results["mean_fit_time"][i]),
        }
        for i, params in enumerate(results["params"])
    ]
    return search, rows


def head_scores(pipeline: Pipeline, x: np.ndarray) -> np.ndarray:
    """Class scores in the shape the evaluation expects: probabilities for logistic
    regression and k-NN; for the SVM its decision values through softmax (sigmoid for
    two classes), which ranks like them but is not calibrated."""
    if hasattr(pipeline, "predict_proba") and not isinstance(pipeline[-1], LinearSVC):
        proba = pipeline.predict_proba(x)
        return proba[:, 1:] if proba.shape[1] == 2 else proba
    decision = pipeline.decision_function(x)
    return expit(decision)[:, None] if decision.ndim == 1 else softmax(decision, axis=1)


def head_predictor(features: keras.Model, head_path: Path):
    """Raw inputs → class scores for a run whose head has no layer form (k-NN): the saved
    feature extractor, then the head rebuilt from plain arrays (never unpickled)."""
    scores = load_knn_head(head_path)
    return lambda x: scores(float32_array(features.predict(x, batch_size=256, verbose=0)))


def keras_head(pipeline: Pipeline, features: keras.KerasTensor) -> keras.KerasTensor | None:
    """The fitted pipeline as layers on ``features`` (None for k-NN, which has no layer form).

    A linear head composes with the scaler and PCA into one affine map, so it becomes one
    Dense layer; the dense head gets the scaler as a Normalization layer and PCA as a
    linear Dense layer in front of its own trained layers.
    """
    head = pipeline[-1]
    scaler = pipeline.named_steps.get("scale")
    pca = pipeline.named_steps.get("pca")
    if isinstance(head, DenseHead):
        x = features
        if scaler is not None:
            x = keras.layers.Normalization(
                mean=scaler.mean_, variance=scaler.scale_**2, name="standardize"
            )(x)
        if pca is not None:
            x = _dense(pca.components_.T, -pca.mean_ @ pca.components_.T, None, "pca")(x)
        for layer in head.model_.layers:
            x = layer(x)
        return x
    if not isinstance(head, LINEAR_CLASSES):
        return None
    matrix = head.coef_.T.astype(np.float64)  # (inputs of the head, outputs)
    bias = head.intercept_.astype(np.float64)
    if pca is not None:
        bias = bias - pca.mean_ @ pca.components_.T @ matrix
        matrix = pca.components_.T @ matrix
    if scaler is not None:
        bias = bias - (scaler.mean_ / scaler.scale_) @ matrix
        matrix = matrix / scaler.scale_[:, None]
    activation = "sigmoid" if matrix.shape[1] == 1 else "softmax"
    return _dense(matrix, bias, activation, "transfer_head")(features)


def _dense(matrix: np.ndarray, bias: np.ndarray, activation: str | None, name: str):
    """A frozen Dense layer computing ``x @ matrix + bias``."""
    layer = keras.layers.Dense(matrix.shape[1], activation=activation, name=name, trainable=False)
    layer.build((None, matrix.shape[0]))
    layer.set_weights([matrix.astype(np.float32), bias.astype(np.float32)])
    return layer


def pca_figure(pca: PCA) -> Figure:
    """Cumulative explained variance against the number of components kept."""
    cumulative = np.cumsum(pca.explained_variance_ratio_)
    figure, axis = plt.subplots(figsize=(7, 4.5))
    components = np.arange(1, len(cumulative) + 1)
    axis.plot(components, cumulative, marker="." if len(components) <= 60 else None)
    axis.axhline(
        cumulative[-1],
        color="gray",
        linestyle=":",
        label=f"{pca.n_components_} components keep {cumulative[-1]:.1%}",
    )
    axis.set_xlabel("number of principal components")
    axis.set_ylabel("cumulative explained variance")
    axis.set_ylim(0, 1.02)
    axis.set_title("PCA on the training features")
    axis.legend(loc="lower right")
    return figure


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
