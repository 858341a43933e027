"""A small Keras dense head as a scikit-learn classifier, so ``GridSearchCV`` can tune it
like the other heads (and clone it per fold) and the pipeline can hold it.

Dense (relu) → Dropout → softmax (sigmoid for two classes), trained with Adam on the
cached features. Its parameters are checked by scikit-learn's own validation, as the
library's estimators are, so a bad grid is refused before any fit.
"""

from __future__ import annotations

from numbers import Integral, Real

import keras
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from dlworkflow.train.precision import float32_array


class DenseHead(ClassifierMixin, BaseEstimator):
    _parameter_constraints = {
        "units": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "seed": [Integral],
    }

    def __init__(
        self,
        units: int = 256,
        dropout: float = 0.5,
        lr: float = 0.001,
        epochs: int = 30,
        batch_size: int = 32,
        seed: int = 0,
    ) -> None:
        self.units = units
        self.dropout = dropout
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.seed = seed

    def fit(self, x: np.ndarray, y: np.ndarray) -> DenseHead:
        self._validate_params()
        self.classes_ = np.unique(y)
        binary = len(self.classes_) == 2
        keras.utils.set_random_seed(self.seed)
        self.model_ = keras.Sequential(
            [
                keras.Input((x.shape[1],)),
                keras.layers.Dense(self.units, activation="relu", name="head_dense"),
                keras.layers.Dropout(self.dropout, name="head_dropout"),
                keras.layers.Dense(
                    1 if binary else len(self.classes_),
                    activation="sigmoid" if binary else "softmax",
                    name="output",
                ),
            ],
            name="dense_head",
        )
        self.model_.compile(
            optimizer=keras.optimizers.Adam(self.lr),
            loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy",
        )
        targets = np.searchsorted(self.classes_, y)
        self.model_.fit(
            x.astype(np.float32), targets, epochs=self.epochs, batch_size=self.batch_size, verbose=0
        )
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "model_")
        scores = float32_array(
            self.model_.predict(x.astype(np.float32), batch_size=1024, verbose=0)
        )
        return np.hstack([1 - scores, scores]) if scores.shape[1] == 1 else scores

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(x), axis=1)]
