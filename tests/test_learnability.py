"""Step 5: overfitting one batch passes for a sound setup and explains broken ones."""

import json

import keras
import numpy as np

from dlworkflow.train import check_learnability

from .digits import digits


def test_default_digits_setup_can_learn():
    setup = digits()
    before = [w.copy() for w in setup.model.get_weights()]
    result = check_learnability(setup.model, setup.x, setup.y)
    assert result["passed"], result["verdict"]
    assert result["loss_end"] < 0.5 * result["loss_start"]
    assert result["accuracy_end"] >= 0.9
    assert "The model can learn" in result["verdict"]
    assert all(np.array_equal(a, b) for a, b in zip(before, setup.model.get_weights(), strict=True))
    json.dumps(result)  # goes into diagnostics.json as is


def test_shuffled_labels_fail_as_unrelated_to_the_inputs():
    setup = digits()
    shuffled = np.random.default_rng(1).permutation(setup.y)
    result = check_learnability(setup.model, setup.x, shuffled)
    assert not result["passed"]
    assert "labels look unrelated to the inputs" in result["verdict"]
    assert result["checks"]["neighbour_signal_z"] < 3


def test_sigmoid_output_with_categorical_crossentropy_is_a_component_mismatch():
    """Compiled straight with Keras: plan_compile would refuse it in a config."""
    setup = digits()
    model = keras.Sequential(
        [
            keras.Input(setup.x.shape[1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    result = check_learnability(model, setup.x, np.eye(10, dtype="float32")[setup.y])
    assert not result["passed"]
    assert "the last activation is sigmoid" in result["verdict"]
    assert "activation: softmax" in result["verdict"]


def test_a_learning_rate_far_too_low_is_found_by_trying_higher_ones():
    setup = digits({"compile": {"optimizer": {"name": "adam", "lr": 1e-6}}})
    result = check_learnability(setup.model, setup.x, setup.y)
    assert not result["passed"]
    assert result["verdict"].startswith("The loss did not fall")
    assert "the learning rate 1e-06 is too low" in result["verdict"]


def test_nan_from_unscaled_inputs_names_the_scale():
    """The notes' lesson: raw 0–255 pixels blow the loss up."""
    setup = digits()
    x = setup.x.reshape(len(setup.x), -1) * 255.0
    model = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    result = check_learnability(model, x, setup.y.astype("float32"), steps=30)
    assert not result["passed"]
    assert "became NaN" in result["verdict"]
    assert "the inputs are not scaled (max |x| = 255)" in result["verdict"]
    assert "data.scale: unit" in result["verdict"]
    assert result["loss_end"] is None and result["accuracy_end"] is None


def test_constant_labels_leave_nothing_to_learn():
    setup = digits()
    result = check_learnability(setup.model, setup.x, np.zeros_like(setup.y))
    assert not result["passed"]
    assert "are class 0" in result["verdict"]


def test_the_check_leaves_training_exactly_as_without_it():
    """It trains the model itself (so fit reuses its traced step) and puts the weights and
    the optimizer's state back: a fit afterwards ends where a fit without it ends."""
    from dlworkflow.train.order import epoch_batches

    def fitted(check: bool) -> list[np.ndarray]:
        setup = digits()
        setup.model.set_weights(weights)
        if check:
            assert check_learnability(setup.model, setup.x, setup.y)["passed"]
            assert int(setup.model.optimizer.iterations.numpy()) == 0
        stream = epoch_batches(setup.x, setup.y, 32, 0, 0, 2)
        steps = -(-len(setup.x) // 32)
        setup.model.fit(stream, steps_per_epoch=steps, epochs=2, shuffle=False, verbose=0)
        return setup.model.get_weights()

    weights = digits().model.get_weights()
    for after_check, plain in zip(fitted(True), fitted(False), strict=True):
        np.testing.assert_allclose(after_check, plain, rtol=1e-5, atol=1e-6)
