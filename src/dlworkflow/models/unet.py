"""U-Nets: the notes' network (seed 003, section 15) and a small one for a CPU.

Both end in a 1×1 convolution per pixel: one sigmoid channel for two classes (the
notes' binary masks) or a softmax over the classes. The head comes in as a
:class:`Head` like every zoo model's.
"""

from __future__ import annotations

import keras
from keras import layers

from dlworkflow.errors import BadInput
from dlworkflow.models.head import Head


def segmentation_head(num_classes: int) -> Head:
    """One sigmoid channel for two classes (as in the notes), else a softmax per pixel."""
    return Head(1, "sigmoid") if num_classes == 2 else Head(num_classes, "softmax")


def _pixel_output(head: Head) -> layers.Conv2D:
    return layers.Conv2D(head.units, 1, activation=head.activation, name="output")


def _check_divisible(input_shape: tuple[int, ...], levels: int, name: str) -> None:
    step = 2**levels
    if len(input_shape) != 3 or input_shape[0] % step or input_shape[1] % step:
        raise BadInput(
            f"model.zoo: '{name}' halves the image {levels} times, so height and width must "
            f"be multiples of {step}; the data gives {input_shape} (set data.options.image_size)"
        )


def unet_notes(input_shape: tuple[int, ...], head: Head, dropout: float = 0.5) -> keras.Model:
    """The notes' U-Net (zhixuhao/unet): 64→1024 filters, dropout at the bottom, 2×2
    up-sampling then a 2×2 convolution, skip concatenations, a 2-filter 3×3 convolution
    before the 1×1 output (31,031,685 params on 256×256×1 with one sigmoid)."""
    _check_divisible(input_shape, 4, "unet_notes")

    def conv(filters: int, size: int = 3):
        return layers.Conv2D(
            filters, size, activation="relu", padding="same", kernel_initializer="he_normal"
        )

    inputs = keras.Input(shape=input_shape)
    skips = []
    x = inputs
    for level, filters in enumerate((64, 128, 256, 512)):
        x = conv(filters)(conv(filters)(x))
        if level == 3:
            x = layers.Dropout(dropout)(x)
        skips.append(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(dropout)(conv(1024)(conv(1024)(x)))
    for filters, skip in zip((512, 256, 128, 64), reversed(skips), strict=True):
        up = conv(filters, 2)(layers.UpSampling2D(2)(x))
        x = layers.concatenate([skip, up], axis=3)
        x = conv(filters)(conv(filters)(x))
    x = conv(2)(x)
    return keras.Model(inputs, _pixel_output(head)(x), name="unet_notes")


def unet(
    input_shape: tuple[int, ...],
    head: Head,
    filters: int = 16,
    depth: int = 3,
    dropout: float = 0.0,
) -> keras.Model:
    """A small U-Net: per level two 3×3 conv + batch norm + ReLU, ``filters`` doubling
    with depth, transposed 2×2 convolutions up (the notes' "up-conv") and skips."""
    if not 1 <= depth <= 6 or filters < 1:
        raise BadInput(f"model.options: depth {depth} must be 1..6 and filters {filters} >= 1")
    _check_divisible(input_shape, depth, "unet")

    def block(x, width: int):
        for _ in range(2):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization(momentum=0.9)(x)  # settles in few epochs
            x = layers.ReLU()(x)
        return x

    inputs = keras.Input(shape=input_shape)
    skips = []
    x = inputs
    for level in range(depth):
        x = block(x, filters * 2**level)
        skips.append(x)
        x = layers.MaxPooling2D(2)(x)
    x = block(x, filters * 2**depth)
    if dropout:
        x = layers.Dropout(dropout)(x)
    for level in reversed(range(depth)):
        x = layers.Conv2DTranspose(filters * 2**level, 2, strides=2, padding="same")(x)
        x = block(layers.concatenate([skips[level], x]), filters * 2**level)
    return keras.Model(inputs, _pixel_output(head)(x), name="unet")


SEGMENTATION_ZOO = {"unet_notes": unet_notes, "unet": unet}
