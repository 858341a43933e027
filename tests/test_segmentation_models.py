"""U-Nets (the notes' parameter count) and the per-pixel losses against Keras and NumPy."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dlworkflow.errors import BadInput
from dlworkflow.models.head import Head
from dlworkflow.models.unet import segmentation_head, unet, unet_notes
from dlworkflow.train.segmentation_losses import (
    SegmentationLoss,
    dice_loss,
    pixel_cross_entropy,
    segmentation_metrics,
)


def _conv(k: int, f: int, d: int) -> int:
    return k * (f * f * d + 1)


def test_notes_unet_has_the_notes_parameter_count() -> None:
    model = unet_notes((256, 256, 1), Head(1, "sigmoid"))
    # by hand: encoder, bottom, four "up-conv" 2×2 + two 3×3 each, conv 2, output 1×1
    encoder = sum(
        _conv(k, 3, d) + _conv(k, 3, k)
        for k, d in ((64, 1), (128, 64), (256, 128), (512, 256), (1024, 512))
    )
    decoder = sum(
        _conv(k, 2, 2 * k) + _conv(k, 3, 2 * k) + _conv(k, 3, k) for k in (512, 256, 128, 64)
    )
    by_hand = encoder + decoder + _conv(2, 3, 64) + _conv(1, 1, 2)
    assert by_hand == 31_031_685  # the figure model.summary() prints in zhixuhao/unet
    assert model.count_params() == by_hand
    assert model.output_shape == (None, 256, 256, 1)


def test_small_unet_shapes_and_sizes_checked() -> None:
    model = unet((64, 64, 3), segmentation_head(3), filters=8, depth=3)
    assert model.output_shape == (None, 64, 64, 3)
    assert model.layers[-1].activation.__name__ == "softmax"
    assert segmentation_head(2) == Head(1, "sigmoid")
    with pytest.raises(BadInput, match="multiples of 8; the data gives \\(60, 64, 3\\)"):
        unet((60, 64, 3), segmentation_head(3), depth=3)
    with pytest.raises(BadInput, match="multiples of 16"):
        unet_notes((40, 40, 1), segmentation_head(2))


def _batch(seed: int, classes: int):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, (2, 6, 5))
    if classes == 2:
        p = rng.uniform(0.05, 0.95, (2, 6, 5, 1)).astype(np.float32)
    else:
        logits = rng.normal(size=(2, 6, 5, classes))
        p = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype(np.float32)
    return y, p


@pytest.mark.parametrize("classes", [2, 4])
def test_pixel_cross_entropy_equals_keras_per_pixel_loss(classes: int) -> None:
    y, p = _batch(0, classes)
    ours = keras.ops.convert_to_numpy(pixel_cross_entropy(y, p))
    if classes == 2:
        ref = keras.losses.binary_crossentropy(y[..., None].astype("float32"), p)
    else:
        ref = keras.losses.sparse_categorical_crossentropy(y, p)
    ref = keras.ops.convert_to_numpy(ref).mean(axis=(1, 2))
    np.testing.assert_allclose(ours, ref, rtol=1e-5)


@pytest.mark.parametrize("classes", [2, 3])
def test_dice_loss_equals_numpy_and_the_sum_adds_up(classes: int) -> None:
    y, p = _batch(1, classes)
    probs = np.concatenate([1 - p, p], -1) if classes == 2 else p
    expected = []
    for image in range(2):
        dices = []
        for k in range(classes):
            t = (y[image] == k).astype(np.float64)
            q = probs[image, ..., k].astype(np.float64)
            dices.append((2 * (q * t).sum() + 1) / (q.sum() + t.sum() + 1))
        expected.append(1 - np.mean(dices))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dice_loss(y, p)), expected, rtol=1e-5)
    both = float(SegmentationLoss("pixel_ce+dice")(y, p))
    parts = float(SegmentationLoss("pixel_ce")(y, p)) + float(SegmentationLoss("dice")(y, p))
    assert both == pytest.approx(parts, rel=1e-5)
    perfect = np.eye(classes, dtype=np.float32)[y]
    perfect = perfect[..., 1:] if classes == 2 else perfect
    assert float(SegmentationLoss("dice")(y, perfect)) == pytest.approx(0.0, abs=1e-6)


def test_unknown_loss_refused_and_a_compiled_unet_saves_and_loads(tmp_path) -> None:
    with pytest.raises(BadInput, match="'focal' is not one of pixel_ce, dice, pixel_ce\\+dice"):
        SegmentationLoss("focal")
    model = unet((16, 16, 1), segmentation_head(3), filters=2, depth=2)
    model.compile(
        optimizer="adam",
        loss=SegmentationLoss("pixel_ce+dice"),
        metrics=segmentation_metrics(3, sigmoid=False),
    )
    x = np.random.default_rng(0).random((4, 16, 16, 1)).astype("float32")
    y = np.random.default_rng(1).integers(0, 3, (4, 16, 16))
    logs = model.fit(x, y, epochs=1, verbose=0).history
    assert {"loss", "pixel_accuracy", "mean_iou"} <= set(logs)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.loss.kind == "pixel_ce+dice"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
