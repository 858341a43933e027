"""From scratch, in NumPy (float64): the notes' Phần 2–3 as small readable code.

Linear and logistic regression by gradient descent, a dense network with
backpropagation, a finite-difference gradient check, and 2-D convolution and max
pooling by loops and by im2col. No Keras here; ``keras_twin`` (imported on its own)
builds the same things in Keras to check them against.

    from dlworkflow.scratch import Network, Dense
    net = Network([Dense(2, 2, "sigmoid"), Dense(2, 1, "sigmoid")], "binary_crossentropy")
    losses = net.fit(x, y, lr=0.5, iterations=5000)
"""

from dlworkflow.scratch.activations import ACTIVATIONS, Activation, activation, sigmoid, softmax
from dlworkflow.scratch.conv import (
    KERNELS,
    conv2d,
    conv2d_loops,
    im2col,
    max_pool2d,
    max_pool2d_loops,
    named_kernel,
)
from dlworkflow.scratch.gradcheck import analytic_gradients, gradient_check, numeric_gradients
from dlworkflow.scratch.layers import Dense
from dlworkflow.scratch.losses import LOSSES, Loss, loss
from dlworkflow.scratch.network import Network
from dlworkflow.scratch.regression import (
    LinearRegressionGD,
    LogisticRegressionGD,
    normal_equation,
    with_ones,
)

__all__ = [
    "ACTIVATIONS",
    "KERNELS",
    "LOSSES",
    "Activation",
    "Dense",
    "LinearRegressionGD",
    "LogisticRegressionGD",
    "Loss",
    "Network",
    "activation",
    "analytic_gradients",
    "conv2d",
    "conv2d_loops",
    "gradient_check",
    "im2col",
    "loss",
    "max_pool2d",
    "max_pool2d_loops",
    "named_kernel",
    "normal_equation",
    "numeric_gradients",
    "sigmoid",
    "softmax",
    "with_ones",
]
