"""dlworkflow.scratch: the NumPy lessons against finite differences, the notes' own
code and numbers, scikit-learn, SciPy and Keras."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from dlworkflow.errors import BadInput
from dlworkflow.scratch import (
    ACTIVATIONS,
    KERNELS,
    Dense,
    LinearRegressionGD,
    LogisticRegressionGD,
    Network,
    conv2d,
    conv2d_loops,
    gradient_check,
    max_pool2d,
    max_pool2d_loops,
    normal_equation,
    sigmoid,
)
from dlworkflow.scratch.backprop_example import (
    LEARNING_RATE,
    notes_network,
    scaled_data,
    worked_example,
)
from dlworkflow.scratch.data import course_file, read_columns

from .conftest import DATA_HOME

# --- activations, losses, the gradient check -----------------------------------------


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n != "softmax"])
def test_activation_derivatives_match_finite_differences(name: str):
    act = ACTIVATIONS[name]
    z = np.linspace(-4, 4, 81) + 0.013  # off the ReLU kink at 0
    h = 1e-6
    numeric = (act.forward(z + h) - act.forward(z - h)) / (2 * h)
    assert np.allclose(act.derivative(z, act.forward(z)), numeric, atol=1e-8)


def test_softmax_backward_is_its_jacobian_applied():
    act = ACTIVATIONS["softmax"]
    rng = np.random.default_rng(1)
    z, d_a = rng.normal(size=(1, 4)), rng.normal(size=(1, 4))
    a = act.forward(z)
    jacobian = np.diag(a[0]) - np.outer(a[0], a[0])
    assert np.allclose(act.backward(z, a, d_a), d_a @ jacobian)
    assert np.allclose(a.sum(), 1.0)


def test_sigmoid_is_stable_far_from_zero():
    values = sigmoid(np.array([-800.0, 0.0, 800.0]))
    assert np.all(np.isfinite(values))
    assert values.tolist() == [0.0, 0.5, 1.0]


# every activation in a hidden layer, every loss with an output layer that suits it
CASES = [
    (hidden, loss_name, output)
    for hidden in ("sigmoid", "tanh", "relu", "linear", "softmax")
    for loss_name, output in (
        ("mse", "linear"),
        ("mae", "tanh"),
        ("binary_crossentropy", "sigmoid"),
        ("categorical_crossentropy", "softmax"),
    )
]


def _problem(loss_name: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, 3))
    if loss_name == "categorical_crossentropy":
        return x, np.eye(3)[rng.integers(0, 3, 6)]
    if loss_name == "binary_crossentropy":
        return x, rng.integers(0, 2, (6, 3)).astype(float)
    return x, rng.normal(size=(6, 3))


@pytest.mark.parametrize(("hidden", "loss_name", "output"), CASES)
def test_gradient_check_passes_for_every_layer_and_loss(hidden, loss_name, output):
    rng = np.random.default_rng(2)
    network = Network([Dense(3, 4, hidden, rng=rng), Dense(4, 3, output, rng=rng)], loss_name)
    assert gradient_check(network, *_problem(loss_name)) < 1e-7


def test_gradient_check_catches_a_wrong_derivative():
    from dlworkflow.scratch.activations import Activation

    rng = np.random.default_rng(3)
    network = Network([Dense(3, 4, "tanh", rng=rng), Dense(4, 3, "linear", rng=rng)], "mse")
    tanh = network.layers[0].activation
    network.layers[0].activation = Activation("tanh", tanh.forward, lambda z, a: 1 - a, "wrong")
    assert gradient_check(network, *_problem("mse")) > 1e-2


def test_unknown_activation_and_loss_are_refused():
    with pytest.raises(BadInput, match="activation 'swish'"):
        Dense(2, 2, "swish")
    with pytest.raises(BadInput, match="loss 'hinge'"):
        Network([Dense(2, 1)], "hinge")


# --- the notes' hand-worked network (near line 4840 of the notes) ------------------------


def test_notes_backprop_numbers():
    rows = {row.name: row for row in worked_example()}
    # every number the notes print comes back from their formula on their rounded values
    for row in rows.values():
        assert abs(row.notes_arithmetic - row.notes) <= 0.5 * 10**-row.decimals + 1e-12, row.name
    # and float64 rounds to the notes' digits everywhere but where the notes halved 0.043
    assert {name for name, row in rows.items() if not row.agrees} == {
        "∂L/∂w12(1)",
        "w12(1) new",
    }
    assert rows["ŷ = a1(2)"].exact == pytest.approx(0.8668519, abs=1e-7)
    assert rows["∂L/∂w12(1)"].exact == pytest.approx(0.0215529, abs=1e-7)
    assert rows["w12(1) new"].rounded == 0.99784
    expected = [0.367, 0.206, 0.228, 0.09, 0.043, 0.045]
    names = ["∂L/∂b1(2)", "∂L/∂w11(2)", "∂L/∂w21(2)", "∂L/∂b1(1)", "∂L/∂b2(1)", "∂L/∂w11(1)"]
    assert [rows[n].rounded for n in names] == expected
    updated = ["w11(1) new", "b1(1) new", "b2(1) new", "w11(2) new", "w21(2) new", "b1(2) new"]
    assert [rows[n].rounded for n in updated] == [0.4955, -0.009, -0.0043, 0.9794, 0.4772, 0.9633]


def test_notes_data_is_min_max_scaled():
    x, y = scaled_data()
    assert x.ravel().tolist() == [0.0, 0.5, 1.0]
    assert y.ravel().tolist() == [0.0, 0.5, 1.0]


# --- regression, against the notes' own code and scikit-learn ------------------------------


def _linear_data():
    return read_columns(course_file("L1/data_linear.csv"), ["Diện tích", "Giá"])


def test_linear_gd_is_the_notes_loop():
    x, y = _linear_data()
    # the notes' L1 loop, transcribed (numOfIteration steps, learning_rate = 0.000001)
    data_x = np.hstack((np.ones((len(x), 1)), x.reshape(-1, 1)))
    w = np.array([0.0, 1.0]).reshape(-1, 1)
    cost = []
    for _ in range(100):
        r = np.dot(data_x, w) - y.reshape(-1, 1)
        cost.append(0.5 * np.sum(r * r))
        w[0] -= 0.000001 * np.sum(r)
        w[1] -= 0.000001 * np.sum(np.multiply(r, data_x[:, 1].reshape(-1, 1)))
    model = LinearRegressionGD().fit(x, y)
    assert np.allclose(model.w, w.ravel(), rtol=1e-12)
    assert np.allclose(model.costs, cost, rtol=1e-12)
    assert np.all(np.diff(model.costs) < 0)  # the cost only falls


def test_normal_equation_matches_scikit_learn():
    from sklearn.linear_model import LinearRegression

    x, y = _linear_data()
    reference = LinearRegression().fit(x.reshape(-1, 1), y)
    w = normal_equation(x, y)
    assert w[0] == pytest.approx(reference.intercept_, rel=1e-9)
    assert w[1] == pytest.approx(reference.coef_[0], rel=1e-9)
    assert w[0] + 50 * w[1] == pytest.approx(reference.predict([[50.0]])[0], rel=1e-9)
    # gradient descent's 100 notes' steps get the slope nearly right, the 50 m² price close
    model = LinearRegressionGD().fit(x, y)
    assert model.predict([50.0])[0] == pytest.approx(reference.predict([[50.0]])[0], rel=0.01)


def test_logistic_gd_is_the_notes_function():
    a, b, y = read_columns(
        course_file("L2/dataset.csv"), ["Lương", "Thời gian làm việc", "Cho vay"]
    )
    x = np.column_stack([a, b])
    # the notes' logistic_regression (lr=0.01, epochs=10000, epsilon=1e-6), transcribed
    X = np.hstack((np.ones((len(x), 1)), x))
    w = np.zeros((3, 1))
    for _ in range(2000):
        y_pred = 1 / (1 + np.exp(-np.dot(X, w)))
        gradient = np.dot(X.T, (y_pred - y.reshape(-1, 1))) / len(X)
        w -= 0.01 * gradient
    model = LogisticRegressionGD(iterations=2000).fit(x, y)
    assert np.allclose(model.w, w.ravel(), rtol=1e-10)


def test_logistic_gd_converges_to_scikit_learn():
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    x, y = make_classification(80, 2, n_informative=2, n_redundant=0, flip_y=0.2, random_state=0)
    model = LogisticRegressionGD(lr=0.5, iterations=20_000, tolerance=1e-10).fit(x, y)
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(x, y)
    assert np.allclose(model.w, [*reference.intercept_, *reference.coef_[0]], atol=1e-4)


# --- convolution and pooling, against SciPy and each other ----------------------------------


def test_conv2d_is_scipy_correlation():
    from scipy.signal import correlate2d

    rng = np.random.default_rng(4)
    image = rng.random((12, 9))
    for kernel in KERNELS.values():
        expected = correlate2d(image, kernel, mode="valid")
        assert np.allclose(conv2d(image, kernel)[:, :, 0], expected)
        assert np.allclose(conv2d_loops(image, kernel)[:, :, 0], expected)


@pytest.mark.parametrize(
    ("stride", "padding"), [(1, "valid"), (1, "same"), (2, "same"), (3, "valid")]
)
def test_im2col_equals_loops(stride: int, padding: str):
    rng = np.random.default_rng(5)
    image, kernel = rng.random((11, 8, 3)), rng.random((3, 3, 3, 4))
    fast = conv2d(image, kernel, stride, padding)
    assert np.allclose(fast, conv2d_loops(image, kernel, stride, padding))
    size = image.shape[0] if padding == "valid" else image.shape[0] + 2
    assert fast.shape[0] == (size - 3) // stride + 1  # the notes' (m − k + 2p)/s + 1
    assert np.array_equal(max_pool2d(image, 2), max_pool2d_loops(image, 2))


def test_named_kernels_do_what_they_say():
    ramp = np.tile(np.arange(10.0), (6, 1))  # brighter to the right
    assert np.allclose(conv2d(ramp, KERNELS["sobel-x"]), 8.0)
    assert np.allclose(conv2d(ramp, KERNELS["sobel-y"]), 0.0)
    assert np.allclose(conv2d(ramp, KERNELS["blur"])[:, :, 0], ramp[1:-1, 1:-1])
    assert np.allclose(conv2d(ramp, KERNELS["identity"], padding="same")[:, :, 0], ramp)
    assert np.allclose(conv2d(ramp, KERNELS["edge"]), 0.0)  # a linear ramp has no edges
    assert np.allclose(conv2d(ramp, KERNELS["sharpen"])[:, :, 0], ramp[1:-1, 1:-1])


# --- against Keras (float64, SGD, full batch) -------------------------------------------------


def _weights_close(hand: list[np.ndarray], keras_side: list[np.ndarray]) -> float:
    return max(float(np.max(np.abs(a - b))) for a, b in zip(hand, keras_side, strict=True))


def test_notes_network_matches_keras_step_for_step():
    from dlworkflow.scratch.keras_twin import train_keras

    x, y = scaled_data()
    for steps in (1, 7):
        keras_side = train_keras(notes_network(), x, y, LEARNING_RATE, steps)
        network = notes_network()
        losses = network.fit(x, y, LEARNING_RATE, steps)
        assert np.max(np.abs(np.array(losses) - keras_side.losses)) < 1e-6
        assert _weights_close(network.weights(), keras_side.weights) < 1e-6


NETWORKS = {
    "2-3-4-1 sigmoid, log loss": (
        [(2, 3, "sigmoid"), (3, 4, "sigmoid"), (4, 1, "sigmoid")],
        "binary_crossentropy",
    ),
    "tanh/relu, MSE": ([(2, 3, "tanh"), (3, 4, "relu"), (4, 1, "linear")], "mse"),
    "softmax, categorical": ([(2, 5, "relu"), (5, 3, "softmax")], "categorical_crossentropy"),
    "linear, MAE": ([(2, 3, "linear"), (3, 1, "linear")], "mae"),
}


@pytest.mark.parametrize("name", list(NETWORKS))
def test_networks_match_keras(name: str):
    from dlworkflow.scratch.keras_twin import train_keras

    shapes, loss_name = NETWORKS[name]
    rng = np.random.default_rng(6)
    x = rng.normal(size=(8, 2))
    y = {
        "binary_crossentropy": rng.integers(0, 2, (8, 1)).astype(float),
        "categorical_crossentropy": np.eye(3)[rng.integers(0, 3, 8)],
    }.get(loss_name, rng.normal(size=(8, 1)))

    def network() -> Network:
        init = np.random.default_rng(7)
        return Network([Dense(i, o, a, rng=init) for i, o, a in shapes], loss_name)

    keras_side = train_keras(network(), x, y, 0.05, 10)
    hand = network()
    losses = hand.fit(x, y, 0.05, 10)
    assert np.max(np.abs(np.array(losses) - keras_side.losses)) < 1e-6
    assert _weights_close(hand.weights(), keras_side.weights) < 1e-6


@pytest.mark.parametrize(("stride", "padding"), [(1, "valid"), (1, "same"), (2, "same")])
def test_conv2d_equals_keras_conv2d(stride: int, padding: str):
    from dlworkflow.scratch.keras_twin import keras_conv2d, keras_max_pool2d

    rng = np.random.default_rng(8)
    image, kernel = rng.random((10, 7, 2)), rng.normal(size=(3, 3, 2, 3))
    assert (
        np.max(
            np.abs(
                conv2d(image, kernel, stride, padding)
                - keras_conv2d(image, kernel, stride, padding)
            )
        )
        < 1e-12
    )
    gray = rng.random((9, 9)) * 255
    for name, fixed in KERNELS.items():
        ours = conv2d(gray, fixed, stride, padding)
        assert np.max(np.abs(ours - keras_conv2d(gray, fixed, stride, padding))) < 1e-9, name
    assert np.array_equal(max_pool2d(image), keras_max_pool2d(image))


def test_the_scratch_package_does_not_import_keras():
    code = (
        "import sys, dlworkflow.scratch, dlworkflow.scratch.lessons; print('keras' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_course_files_are_found_under_the_data_home():
    assert course_file("L4/xor.csv") == DATA_HOME / "course" / "L4" / "xor.csv"
