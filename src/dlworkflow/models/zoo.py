"""Named architectures from the course, each sized to the data and the task's head.

Every builder takes the input shape and the output :class:`Head` first and its own
options after; ``build_zoo`` checks the options by the builder's signature so a
misspelt one is named instead of ignored.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras import layers

from dlworkflow.errors import BadInput
from dlworkflow.models.builder import keras_reason
from dlworkflow.models.head import Head
from dlworkflow.models.unet import unet, unet_notes


def _output(head: Head) -> layers.Dense:
    # float32 under a mixed-precision policy too: full-precision probabilities and loss
    return layers.Dense(head.units, activation=head.activation, name="output", dtype="float32")


def mlp(
    input_shape: tuple[int, ...],
    head: Head,
    hidden: Sequence[int] = (128,),
    activation: str = "relu",
    dropout: float = 0.0,
) -> keras.Model:
    """Dense layers over the flattened input (Lab 1's 784→784→10 is ``hidden: [784]``)."""
    model = keras.Sequential([keras.Input(shape=input_shape)], name="mlp")
    if len(input_shape) > 1:
        model.add(layers.Flatten())
    for units in hidden:
        model.add(layers.Dense(units, activation=activation))
        if dropout:
            model.add(layers.Dropout(dropout))
    model.add(_output(head))
    return model


def lenet5(input_shape: tuple[int, ...], head: Head, activation: str = "tanh") -> keras.Model:
    """LeCun 1998 (first convolution padded so 28×28 works like the original 32×32)."""
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(6, 5, padding="same", activation=activation),
            layers.AveragePooling2D(2),
            layers.Conv2D(16, 5, activation=activation),
            layers.AveragePooling2D(2),
            layers.Flatten(),
            layers.Dense(120, activation=activation),
            layers.Dense(84, activation=activation),
            _output(head),
        ],
        name="lenet5",
    )


def reference_cnn(
    input_shape: tuple[int, ...], head: Head, activation: str = "sigmoid"
) -> keras.Model:
    """The seeds' MNIST CNN: conv3×32 ×2, pool, dense 128 (600,810 params on 28×28×1)."""
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, 3, activation=activation),
            layers.Conv2D(32, 3, activation=activation),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(128, activation=activation),
            _output(head),
        ],
        name="reference_cnn",
    )


def notes_cnn(input_shape: tuple[int, ...], head: Head, activation: str = "relu") -> keras.Model:
    """The notes' MNIST CNN: conv5×16 same, pool, conv5×32 same, pool, fc128 (215,370)."""
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(16, 5, padding="same", activation=activation),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 5, padding="same", activation=activation),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(128, activation=activation),
            _output(head),
        ],
        name="notes_cnn",
    )


def fast_cnn(
    input_shape: tuple[int, ...], head: Head, dropout: float = 0.25, activation: str = "relu"
) -> keras.Model:
    """A small MNIST net: conv3×32 ×2, pool, conv3×64 ×2, pool, dropout, output (75,242
    params on 28×28×1). Under Adam with a one-cycle schedule to 3e-3, batch 128, it reached
    99.44 % MNIST test accuracy after 6 float32 epochs on a 2-core CPU (188 s);
    ``examples/mnist_fast.yaml`` uses the Keras example's smaller net, which passes 99 %
    sooner."""
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, 3, activation=activation),
            layers.Conv2D(32, 3, activation=activation),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation=activation),
            layers.Conv2D(64, 3, activation=activation),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(dropout),
            _output(head),
        ],
        name="fast_cnn",
    )


def alexnet(input_shape: tuple[int, ...], head: Head, dropout: float = 0.5) -> keras.Model:
    """Krizhevsky 2012 as the notes count it (62,378,344 params on 227×227×3, 1000 classes)."""
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(96, 11, strides=4, activation="relu"),
            layers.MaxPooling2D(3, strides=2),
            layers.Conv2D(256, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(3, strides=2),
            layers.Conv2D(384, 3, padding="same", activation="relu"),
            layers.Conv2D(384, 3, padding="same", activation="relu"),
            layers.Conv2D(256, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(3, strides=2),
            layers.Flatten(),
            layers.Dense(4096, activation="relu"),
            layers.Dropout(dropout),
            layers.Dense(4096, activation="relu"),
            layers.Dropout(dropout),
            _output(head),
        ],
        name="alexnet",
    )


def vgg16(input_shape: tuple[int, ...], head: Head, top: str = "classic") -> keras.Model:
    """Untrained VGG16 conv base (Keras Applications, 14,714,688 params) plus a head.

    ``top: classic`` is the paper's 4096-4096 head (138,357,544 params at 224×224 with
    1000 classes); ``top: small`` is the notes' fine-tuning head (Dense 256, Dropout 0.5).
    """
    if top not in ("classic", "small"):
        raise BadInput(f"model.options.top: '{top}' is not classic or small")
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=input_shape)
    inputs = keras.Input(shape=input_shape)
    x = layers.Flatten()(base(inputs))
    widths, drop = ((4096, 4096), 0.0) if top == "classic" else ((256,), 0.5)
    for units in widths:
        x = layers.Dense(units, activation="relu")(x)
        if drop:
            x = layers.Dropout(drop)(x)
    return keras.Model(inputs, _output(head)(x), name="vgg16")


def pilotnet(
    input_shape: tuple[int, ...], head: Head, activation: str = "elu", dropout: float = 0.5
) -> keras.Model:
    """NVIDIA's steering-angle CNN from the notes (252,219 params on 66×200×3)."""
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(24, 5, strides=2, activation=activation),
            layers.Conv2D(36, 5, strides=2, activation=activation),
            layers.Conv2D(48, 5, strides=2, activation=activation),
            layers.Conv2D(64, 3, activation=activation),
            layers.Conv2D(64, 3, activation=activation),
            layers.Dropout(dropout),
            layers.Flatten(),
            layers.Dense(100, activation=activation),
            layers.Dropout(dropout),
            layers.Dense(50, activation=activation),
            layers.Dense(10, activation=activation),
            _output(head),
        ],
        name="pilotnet",
    )


ZOO: dict[str, Callable[..., keras.Model]] = {
    "mlp": mlp,
    "lenet5": lenet5,
    "reference_cnn": reference_cnn,
    "notes_cnn": notes_cnn,
    "fast_cnn": fast_cnn,
    "alexnet": alexnet,
    "vgg16": vgg16,
    "pilotnet": pilotnet,
    "unet_notes": unet_notes,  # segmentation (task: segmentation)
    "unet": unet,
}


def build_zoo(
    name: str, input_shape: tuple[int, ...], head: Head, options: dict[str, Any] | None = None
) -> keras.Model:
    """Build zoo model ``name``; unknown names, options or unfit input shapes are named."""
    if name not in ZOO:
        raise BadInput(f"model.zoo: unknown model '{name}'; use one of {', '.join(ZOO)}")
    builder = ZOO[name]
    options = dict(options or {})
    allowed = list(inspect.signature(builder).parameters)[2:]
    for key in options:
        if key not in allowed:
            raise BadInput(
                f"model.options.{key}: not an option of '{name}' (valid: {', '.join(allowed)})"
            )
    if len(input_shape) != 3 and name != "mlp":
        raise BadInput(
            f"model.zoo: '{name}' needs image inputs (height, width, channels), "
            f"the data gives {input_shape}; use zoo: mlp or image data"
        )
    try:
        return builder(input_shape, head, **options)
    except ValueError as error:
        raise BadInput(
            f"model.zoo: '{name}' cannot be built for input shape {input_shape}: "
            f"{keras_reason(error)}"
        ) from None
