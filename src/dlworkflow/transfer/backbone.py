"""The pretrained part: a Keras Applications model, a saved model or a dlworkflow run, cut
at a layer, fitted to the images' size, with the input preprocessing it was trained on.

Resizing and preprocessing are layers of the model (built-in ones, so ``model.keras``
loads anywhere without custom objects), which is what lets ``dlw evaluate`` replay them
on raw pixels.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from dlworkflow.errors import BadInput
from dlworkflow.modelfile import load_model_file
from dlworkflow.runfolder import MODEL, read_run
from dlworkflow.transfer.spec import BackboneSpec, Pooling

# name → (keras.applications class, preprocess_input mode, default input side)
APPLICATIONS: dict[str, tuple[str, str, int]] = {
    "vgg16": ("VGG16", "caffe", 224),
    "vgg19": ("VGG19", "caffe", 224),
    "resnet50": ("ResNet50", "caffe", 224),
    "resnet50v2": ("ResNet50V2", "tf", 224),
    "mobilenet": ("MobileNet", "tf", 224),
    "mobilenetv2": ("MobileNetV2", "tf", 224),
    "inceptionv3": ("InceptionV3", "tf", 299),
    "xception": ("Xception", "tf", 299),
    "densenet121": ("DenseNet121", "torch", 224),
    "efficientnetb0": ("EfficientNetB0", "none", 224),
    "efficientnetb1": ("EfficientNetB1", "none", 240),
    "convnexttiny": ("ConvNeXtTiny", "none", 224),
}

# Keras' preprocess_input modes as (x[..., order] − offset) / factor on 0–255 RGB input.
_IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)
_MODES: dict[str, tuple[tuple[int, ...], tuple[float, ...], tuple[float, ...]]] = {
    "caffe": ((2, 1, 0), _IMAGENET_BGR_MEAN, (1.0, 1.0, 1.0)),
    "tf": ((0, 1, 2), (127.5,) * 3, (127.5,) * 3),
    "torch": ((0, 1, 2), (123.675, 116.28, 103.53), (58.395, 57.12, 57.375)),
    "unit": ((0, 1, 2), (0.0,) * 3, (255.0,) * 3),
}
_MODE_TEXT = {
    "caffe": "RGB→BGR, minus the ImageNet mean per channel (Keras 'caffe' mode)",
    "tf": "scaled to [−1, 1] (Keras 'tf' mode)",
    "torch": "to [0, 1], then standardised with the ImageNet mean and std ('torch' mode)",
    "unit": "scaled to [0, 1]",
    "none": "none outside the model (the backbone rescales inside)",
}


@dataclass
class Preprocess:
    """``(x[..., order] − offset) / factor`` per channel; ``mode`` names it for the report."""

    mode: str
    order: tuple[int, ...]
    offset: tuple[float, ...]
    factor: tuple[float, ...]

    def describe(self) -> dict:
        text = _MODE_TEXT.get(self.mode, "the backbone run's recorded scaling")
        return {
            "mode": self.mode,
            "text": text,
            "offset": list(self.offset),
            "factor": list(self.factor),
            "channel_order": list(self.order),
        }


@dataclass
class Backbone:
    base: keras.Model  # from the backbone's input to the cut layer
    source: str
    cut: str
    preprocess: Preprocess
    pretrained_on: str | None
    identity: dict = field(default_factory=dict)  # what makes its features what they are

    @property
    def input_shape(self) -> tuple:
        return tuple(self.base.input_shape[1:])


def load_backbone(spec: BackboneSpec, image_shape: tuple[int, ...], seed: int) -> Backbone:
    """Load, cut and size the backbone for images of ``image_shape``, or say why not."""
    if len(image_shape) != 3:
        raise BadInput(
            f"transfer.backbone: needs image data (height, width, channels); the data gives "
            f"{image_shape}"
        )
    size = tuple(spec.input_size or image_shape[:2])
    name = spec.source.lower()
    if name in APPLICATIONS:
        model, mode, identity, pretrained_on = _application(spec, name, size, image_shape[2], seed)
        preprocess = _mode(spec.preprocessing or mode)
    else:
        if spec.weights is not None:
            raise BadInput(
                f"transfer.backbone.weights: applies to Keras Applications only; "
                f"'{spec.source}' brings its own weights"
            )
        model, preprocess, identity, pretrained_on = _saved(spec)
    cut = spec.cut or _default_cut(model)
    base = _cut(model, cut)
    base = _fit_size(base, spec, size, image_shape)
    return Backbone(
        base=base,
        source=spec.source,
        cut=cut,
        preprocess=preprocess,
        pretrained_on=spec.pretrained_on or pretrained_on,
        identity={**identity, "cut": cut, "size": list(size), "preprocess": preprocess.describe()},
    )


def feature_model(
    backbone: Backbone, image_shape: tuple[int, ...], pooling: Pooling
) -> keras.Model:
    """Raw pixels → resize → preprocess → base → pooled feature vector."""
    inputs = keras.Input(image_shape, name="image")
    x = inputs
    height, width = backbone.input_shape[:2]
    if (height, width) != tuple(image_shape[:2]):
        x = keras.layers.Resizing(height, width, name="resize")(x)
    if backbone.preprocess.mode != "none":
        x = preprocess_layer(backbone.preprocess, image_shape[2])(x)
    x = backbone.base(x)
    if len(x.shape) == 4:
        x = {
            "flatten": keras.layers.Flatten(name="flatten"),
            "avg": keras.layers.GlobalAveragePooling2D(name="global_avg_pool"),
            "max": keras.layers.GlobalMaxPooling2D(name="global_max_pool"),
        }[pooling](x)
    return keras.Model(inputs, x, name="features")


def preprocess_layer(preprocess: Preprocess, channels: int) -> keras.layers.Conv2D:
    """The per-channel affine map (and channel reordering) as a frozen 1×1 convolution.

    A built-in layer with fixed weights, so the saved model needs no custom code.
    """
    layer = keras.layers.Conv2D(channels, 1, name="backbone_preprocess", trainable=False)
    layer.build((None, None, None, channels))
    kernel = np.zeros((1, 1, channels, channels), np.float32)
    factor = np.broadcast_to(np.asarray(preprocess.factor, np.float32), (channels,))
    offset = np.broadcast_to(np.asarray(preprocess.offset, np.float32), (channels,))
    order = preprocess.order if len(preprocess.order) == channels else tuple(range(channels))
    for out, source in enumerate(order):
        kernel[0, 0, source, out] = 1.0 / factor[out]
    layer.set_weights([kernel, -offset / factor])
    return layer


def _mode(mode: str) -> Preprocess:
    if mode == "none":
        return Preprocess("none", (0, 1, 2), (0.0,) * 3, (1.0,) * 3)
    return Preprocess(mode, *_MODES[mode])


def _application(
    spec: BackboneSpec, name: str, size: tuple, channels: int, seed: int
) -> tuple[keras.Model, str, dict, str | None]:
    class_name, mode, _ = APPLICATIONS[name]
    weights = spec.weights or "imagenet"
    if channels != 3:
        raise BadInput(
            f"transfer.backbone: {name} takes 3-channel RGB images, the data has {channels} "
            "channel(s); load the images in colour (data.options.color_mode: rgb)"
        )
    if weights == "imagenet" and os.environ.get("DLW_OFFLINE"):
        raise BadInput(
            f"transfer.backbone.weights: imagenet needs Keras to download {name}'s weights "
            "and DLW_OFFLINE is set; use weights: none, or unset DLW_OFFLINE"
        )
    keras.utils.set_random_seed(seed)  # weights: none starts from a seeded initialisation
    try:
        model = getattr(keras.applications, class_name)(
            include_top=False,
            weights=None if weights == "none" else "imagenet",
            input_shape=(*size, 3),
        )
    except ValueError as error:
        raise BadInput(
            f"transfer.backbone: {name} cannot take {size[0]}×{size[1]} images "
            f"({str(error).splitlines()[0]}); set transfer.backbone.input_size, e.g. "
            f"[{APPLICATIONS[name][2]}, {APPLICATIONS[name][2]}]"
        ) from None
    identity = {"application": name, "weights": weights}
    if weights == "none":
        identity["seed"] = seed
    return model, mode, identity, "imagenet" if weights == "imagenet" else None


def _saved(spec: BackboneSpec) -> tuple[keras.Model, Preprocess, dict, str | None]:
    """``run:FOLDER`` (model and recorded scaling of a dlworkflow run) or a ``.keras`` file."""
    is_run = spec.source.startswith("run:")
    path = Path(spec.source.removeprefix("run:"))
    model_path = path / MODEL if is_run else path
    known = ", ".join(sorted(APPLICATIONS))
    model = load_model_file(
        model_path,
        f"transfer.backbone.source does not exist; give a Keras Applications name ({known}), "
        "run:RUN_FOLDER or the path of a saved .keras model",
    )
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    pretrained_on = None
    preprocess = _mode(spec.preprocessing or "unit")
    if is_run and spec.preprocessing is None:
        record = read_run(path)
        recorded = record.preprocessing
        channels = len(recorded.offset)
        preprocess = Preprocess(
            f"run ({recorded.scale})", tuple(range(channels)), recorded.offset, recorded.factor
        )
        pretrained_on = record.data.get("name")
    return model, preprocess, {"model_sha256": digest}, pretrained_on


def _default_cut(model: keras.Model) -> str:
    """The end of the convolutional base (the last layer with a spatial output), else the
    layer before the output layer."""
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    spatial = [layer for layer in layers if len(layer.output.shape) == 4]
    if spatial:
        return spatial[-1].name
    if len(layers) < 2:
        raise BadInput(
            f"transfer.backbone: '{model.name}' has a single layer; there is no head to cut off"
        )
    return layers[-2].name


def _cut(model: keras.Model, cut: str) -> keras.Model:
    names = [layer.name for layer in model.layers]
    if cut not in names:
        shown = ", ".join(names[-40:])
        more = f" (the last 40 of {len(names)})" if len(names) > 40 else ""
        raise BadInput(
            f"transfer.backbone.cut: '{model.name}' has no layer '{cut}'; candidates{more}: {shown}"
        )
    return keras.Model(model.inputs, model.get_layer(cut).output, name=f"{model.name}_base")


def _fit_size(
    base: keras.Model, spec: BackboneSpec, size: tuple, image_shape: tuple
) -> keras.Model:
    """The base as is when it takes ``size``; rebuilt at ``size`` when the user asked for
    it and the layers allow it (convolutions do, Flatten → Dense does not)."""
    expected = tuple(base.input_shape[1:])
    shown = "×".join(str(s) for s in expected)
    images = "×".join(str(s) for s in image_shape)
    if expected[2] is not None and expected[2] != image_shape[2]:
        raise BadInput(
            f"transfer.backbone: the backbone takes {shown} inputs but the images are {images}; "
            "the number of channels must match (grey vs colour)"
        )
    if None in expected[:2] or tuple(expected[:2]) == tuple(size):
        return base
    if spec.input_size is None:
        raise BadInput(
            f"transfer.backbone: the backbone takes {shown} inputs but the images are {images}; "
            f"set transfer.backbone.input_size: [{expected[0]}, {expected[1]}] to resize them "
            "in the model"
        )
    try:
        inputs = keras.Input((*size, image_shape[2]))
        structured = [inputs] if isinstance(base.input, list) else inputs
        rebuilt = keras.models.clone_model(base, input_tensors=structured)
        rebuilt.set_weights(base.get_weights())
    except (ValueError, TypeError) as error:
        raise BadInput(
            f"transfer.backbone.input_size: the backbone up to '{base.layers[-1].name}' takes "
            f"{shown} and cannot be rebuilt for {size[0]}×{size[1]} "
            f"({str(error).splitlines()[0][:120]}); use input_size: [{expected[0]}, "
            f"{expected[1]}] or cut earlier"
        ) from None
    return rebuilt
