import keras
import pytest

from dlworkflow.errors import BadInput
from dlworkflow.models import Head, build_from_layers, build_zoo, output_activation

SOFTMAX10 = Head(10, "softmax")
# AlexNet on 227×227×3 as the notes count it: conv1–conv5, then fc6–fc8.
ALEXNET_LAYER_PARAMS = [
    34_944,
    614_656,
    885_120,
    1_327_488,
    884_992,
    37_752_832,
    16_781_312,
    4_097_000,
]


@pytest.mark.parametrize(
    ("name", "shape", "head", "params"),
    [
        ("reference_cnn", (28, 28, 1), SOFTMAX10, 600_810),
        ("notes_cnn", (28, 28, 1), SOFTMAX10, 215_370),
        ("alexnet", (227, 227, 3), Head(1000, "softmax"), 62_378_344),
        ("vgg16", (224, 224, 3), Head(1000, "softmax"), 138_357_544),
        ("pilotnet", (66, 200, 3), Head(1, "linear"), 252_219),
    ],
)
def test_zoo_parameter_counts_match_the_course(name, shape, head, params):
    assert build_zoo(name, shape, head).count_params() == params


def test_alexnet_layer_by_layer():
    model = build_zoo("alexnet", (227, 227, 3), Head(1000, "softmax"))
    counts = [layer.count_params() for layer in model.layers if layer.count_params()]
    assert counts == ALEXNET_LAYER_PARAMS
    assert model.layers[0].output.shape[1:] == (55, 55, 96)


def test_vgg16_conv_base_is_nested_and_counts_14_7m():
    model = build_zoo("vgg16", (64, 64, 3), SOFTMAX10, {"top": "small"})
    assert isinstance(model.layers[1], keras.Model)
    assert model.layers[1].count_params() == 14_714_688


def test_lab1_mlp_from_a_layer_list():
    model = build_from_layers(
        [
            {"Dense": {"units": 784, "activation": "relu"}},
            {"Dense": {"units": 10, "activation": "sigmoid"}},
        ],
        (784,),
    )
    assert model.count_params() == 623_290
    assert output_activation(model) == "sigmoid"


def test_mlp_and_lenet_fit_their_inputs():
    assert build_zoo("mlp", (8, 8, 1), SOFTMAX10, {"hidden": [32, 16]}).count_params() == (
        64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    )
    assert build_zoo("lenet5", (28, 28, 1), SOFTMAX10).output_shape == (None, 10)


def test_softmax_layer_counts_as_softmax():
    model = build_from_layers(["Flatten", {"Dense": {"units": 3}}, "Softmax"], (4, 4, 1))
    assert output_activation(model) == "softmax"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: build_zoo("resnet", (8, 8, 1), SOFTMAX10), "model.zoo: unknown model 'resnet'"),
        (
            lambda: build_zoo("mlp", (8, 8, 1), SOFTMAX10, {"hiden": [3]}),
            "model.options.hiden: not an option of 'mlp' (valid: hidden, activation, dropout)",
        ),
        (lambda: build_zoo("lenet5", (8, 8, 1), SOFTMAX10), "cannot be built for input shape"),
        (lambda: build_zoo("notes_cnn", (64,), SOFTMAX10), "needs image inputs"),
        (lambda: build_from_layers(["Flaten"], (4,)), "did you mean Flatten"),
        (lambda: build_from_layers([{"Dense": {"unit": 3}}], (4,)), "model.layers[0].Dense:"),
        (
            lambda: build_from_layers([{"Conv2D": {"filters": 3, "kernel_size": 3}}], (64,)),
            "model.layers[0] (Conv2D): does not fit its input shape (None, 64)",
        ),
        (lambda: build_from_layers([], (4,)), "the list is empty"),
        (lambda: build_from_layers([{"Dense": 3, "x": 1}], (4,)), "write a layer as"),
    ],
)
def test_bad_models_are_named(call, expected):
    with pytest.raises(BadInput) as error:
        call()
    assert expected in str(error.value)
