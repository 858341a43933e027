import keras
import pytest

from dlworkflow.errors import BadInput
from dlworkflow.train import plan_compile
from dlworkflow.train.spec import CompileSpec


def spec(**values) -> CompileSpec:
    return CompileSpec.model_validate(values)


def test_auto_loss_follows_the_task():
    assert plan_compile(spec(), "multiclass", 10, 10, "softmax").loss == (
        "sparse_categorical_crossentropy"
    )
    assert plan_compile(spec(), "binary", 2, 1, "sigmoid").loss == "binary_crossentropy"
    regression = plan_compile(spec(), "regression", 0, 1, "linear")
    assert (regression.loss, regression.metrics) == ("mse", ["mae"])


def test_one_hot_when_the_loss_wants_it():
    assert plan_compile(
        spec(loss="categorical_crossentropy"), "multiclass", 10, 10, "softmax"
    ).one_hot
    # Lab 1: one sigmoid per class with binary cross-entropy on one-hot labels.
    assert plan_compile(spec(loss="binary_crossentropy"), "multiclass", 10, 10, "sigmoid").one_hot


@pytest.mark.parametrize(
    ("loss", "task", "classes", "units", "activation", "expected"),
    [
        ("binary_crossentropy", "multiclass", 10, 10, "softmax", "with a softmax over 10 classes"),
        (
            "categorical_crossentropy",
            "multiclass",
            10,
            10,
            "sigmoid",
            "last activation is sigmoid but categorical_crossentropy expects softmax",
        ),
        ("auto", "multiclass", 10, 8, "softmax", "has 8 units but the data has 10 classes"),
        ("binary_crossentropy", "multiclass", 3, 1, "sigmoid", "fits 2 classes, the data has 3"),
        ("auto", "binary", 2, 1, "relu", "expects sigmoid probabilities"),
        ("mse", "multiclass", 10, 10, "softmax", "'mse' is a regression loss"),
        ("sparse_categorical_crossentropy", "regression", 0, 1, "linear", "classification loss"),
        ("auto", "regression", 0, 3, "linear", "regression target needs 1"),
        ("auto", "regression", 0, 1, "sigmoid", "squashes a regression output"),
        ("crossentropy", "binary", 2, 1, "sigmoid", "compile.loss: 'crossentropy' is not"),
    ],
)
def test_mismatches_are_refused(loss, task, classes, units, activation, expected):
    with pytest.raises(BadInput) as error:
        plan_compile(spec(loss=loss), task, classes, units, activation)
    assert expected in str(error.value)


def test_bad_metric_and_optimizer():
    with pytest.raises(BadInput, match="compile.metrics: 'acuracy'"):
        plan_compile(spec(metrics=["acuracy"]), "binary", 2, 1, "sigmoid")
    with pytest.raises(BadInput, match="accuracy' means nothing for regression"):
        plan_compile(spec(metrics=["accuracy"]), "regression", 0, 1, "linear")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    plan = plan_compile(spec(), "binary", 2, 1, "sigmoid")
    with pytest.raises(BadInput, match="compile.optimizer: cannot make 'adamm'"):
        plan.compile(model, spec(optimizer={"name": "adamm"}))
    with pytest.raises(BadInput, match="compile.optimizer"):
        plan.compile(model, spec(optimizer={"name": "sgd", "momentun": 0.9}))


def test_accuracy_matches_the_label_encoding():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="sigmoid")])
    plan = plan_compile(spec(loss="binary_crossentropy"), "multiclass", 3, 3, "sigmoid")
    plan.compile(model, spec(loss="binary_crossentropy"))
    # Lab 1 trap: Keras would pick binary accuracy here; argmax accuracy is the honest one.
    import numpy as np

    x = np.zeros((6, 4), np.float32)
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]
    scores = model.evaluate(x, y, verbose=0, return_dict=True)
    assert scores["accuracy"] == pytest.approx(1 / 3, abs=0.01)
