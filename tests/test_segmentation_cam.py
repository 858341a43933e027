"""Grad-CAM over a whole mask, on a model whose evidence is known by construction."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dlworkflow.errors import BadInput
from dlworkflow.interpret.mask_cam import bottleneck_layer, mask_grad_cam


def _bright_is_class_one() -> keras.Model:
    """features = [x, −x] (1×1 conv); output = sigmoid(4·features[0] − 2): bright pixels
    are class 1, so class 1's evidence is channel 0 where the image is bright."""
    inputs = keras.Input((16, 16, 1))
    features = keras.layers.Conv2D(2, 1, use_bias=False, name="features")(inputs)
    outputs = keras.layers.Conv2D(1, 1, activation="sigmoid", name="output")(features)
    model = keras.Model(inputs, outputs)
    model.get_layer("features").set_weights([np.array([[[[1.0, -1.0]]]])])
    model.get_layer("output").set_weights([np.array([[[[4.0], [0.0]]]]), np.array([-2.0])])
    return model


def test_cam_is_hot_where_the_class_evidence_is() -> None:
    model = _bright_is_class_one()
    image = np.zeros((1, 16, 16, 1), np.float32)
    image[0, 4:9, 6:12] = 1.0
    heat = mask_grad_cam(model, image, class_id=1, layer="features")[0]
    assert heat.shape == (16, 16) and heat.max() == pytest.approx(1.0)
    inside = np.zeros((16, 16), bool)
    inside[4:9, 6:12] = True
    assert heat[inside].min() == pytest.approx(1.0) and heat[~inside].max() == 0.0
    # class 0 (dark) draws on channel 0 negatively: no positive evidence from channel 0
    assert mask_grad_cam(model, image, class_id=0, layer="features")[0].max() == 0.0


def test_bottleneck_is_the_last_conv_of_smallest_grid_and_bad_classes_refused() -> None:
    from dlworkflow.models.unet import segmentation_head, unet

    model = unet((32, 32, 1), segmentation_head(3), filters=2, depth=2)
    name = bottleneck_layer(model)
    assert model.get_layer(name).output.shape[1:3] == (8, 8)
    later = [layer.name for layer in model.layers[model.layers.index(model.get_layer(name)) + 1 :]]
    assert not any(
        type(model.get_layer(n)) is keras.layers.Conv2D and model.get_layer(n).output.shape[1] == 8
        for n in later
    )
    with pytest.raises(BadInput, match="class 3 is not one of the model's 0..2"):
        mask_grad_cam(model, np.zeros((1, 32, 32, 1)), 3)
