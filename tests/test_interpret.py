"""Interpretation: sanity of each method on a model that can only look at a square."""

from __future__ import annotations

import gc
import weakref

import keras
import matplotlib
import numpy as np
import pytest
from scipy.stats import spearmanr

from dlworkflow.errors import BadInput
from dlworkflow.interpret import (
    feature_maps,
    grad_cam,
    maximise_filters,
    occlusion,
    probe_model,
    saliency,
)

SIZE, SIDE = 16, 6


def squares(count: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Black images with one white square; its quadrant is the class."""
    rng = np.random.default_rng(seed)
    x = np.zeros((count, SIZE, SIZE, 1), np.float32)
    y = rng.integers(0, 4, count)
    masks = np.zeros((count, SIZE, SIZE), bool)
    half = SIZE // 2
    for i, label in enumerate(y):
        top = (label // 2) * half + rng.integers(0, half - SIDE + 1)
        left = (label % 2) * half + rng.integers(0, half - SIDE + 1)
        x[i, top : top + SIDE, left : left + SIDE] = 1.0
        masks[i, top : top + SIDE, left : left + SIDE] = True
    return x, y, masks


@pytest.fixture(scope="module")
def square_model():
    """A CNN that can only use evidence where the square is.

    Bias-free ReLU convs are zero on the black background, and a non-negative head
    cannot count the absence of a square elsewhere as evidence, so the truth of "where
    did the model look" is known: on the square.
    """
    keras.utils.set_random_seed(0)
    conv = {"padding": "same", "activation": "relu", "use_bias": False}
    model = keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 1)),
            keras.layers.Conv2D(8, 3, name="conv1", **conv),
            keras.layers.Conv2D(8, 3, name="conv2", **conv),
            keras.layers.MaxPooling2D(4, name="pool"),
            keras.layers.Flatten(),
            keras.layers.Dense(
                4, activation="softmax", kernel_constraint=keras.constraints.NonNeg()
            ),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y, _ = squares(1000, seed=0)
    model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def test_squares():
    return squares(24, seed=1)


def mass_inside(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    return (maps * masks).sum(axis=(1, 2)) / np.maximum(maps.sum(axis=(1, 2)), 1e-12)


def test_square_model_learnt_the_task(square_model, test_squares):
    x, y, _ = test_squares
    assert (square_model.predict(x, verbose=0).argmax(axis=1) == y).mean() == 1.0


@pytest.mark.parametrize(
    ("method", "threshold"),
    [
        (lambda m, x: grad_cam(m, x), 0.7),
        (lambda m, x: grad_cam(m, x, plus=True), 0.6),
        (lambda m, x: saliency(m, x), 0.7),
        (lambda m, x: saliency(m, x, samples=16), 0.6),
        (lambda m, x: np.maximum(occlusion(m, x, fill=0.0)[0], 0.0), 0.7),
    ],
    ids=["gradcam", "gradcam++", "saliency", "smoothgrad", "occlusion"],
)
def test_methods_put_the_mass_on_the_square(square_model, test_squares, method, threshold):
    x, _, masks = test_squares
    maps = method(square_model, x)
    assert maps.shape == masks.shape
    share = np.median(mass_inside(maps, masks))
    area = masks.mean()  # 14 % of the image
    assert share >= threshold > 4 * area


def test_saliency_of_random_weights_differs(square_model, test_squares):
    """Adebayo et al. 2018: a method that ignores the weights fails this check."""
    x, y, masks = test_squares
    trained = saliency(square_model, x[:8], y[:8])
    keras.utils.set_random_seed(1)
    randomised = saliency(keras.models.clone_model(square_model), x[:8], y[:8])
    again = saliency(square_model, x[:8], y[:8])
    # on the black background both are zero (bias-free convs), so rank the square's pixels
    rank = [
        spearmanr(a[inside], b[inside])[0]
        for a, b, inside in zip(trained, randomised, masks, strict=False)
    ]
    assert np.median(rank) < 0.5
    np.testing.assert_allclose(trained, again)  # and the method itself is deterministic


def test_occlusion_probability_map_and_bad_patch(square_model, test_squares):
    x, y, masks = test_squares
    drop, probability = occlusion(square_model, x[:2], y[:2], patch=4, stride=2, fill=0.0)
    assert probability.shape == drop.shape == (2, SIZE, SIZE)
    assert probability[masks[:2]].mean() < probability[~masks[:2]].mean()  # cover it, p falls
    with pytest.raises(BadInput, match="patch 20"):
        occlusion(square_model, x[:1], patch=20)


def test_grad_cam_for_another_class_and_named_layer(square_model, test_squares):
    x, y, masks = test_squares
    own = grad_cam(square_model, x[:4], y[:4], layer="conv1")
    other = grad_cam(square_model, x[:4], (y[:4] + 1) % 4, layer="conv1")
    assert mass_inside(own, masks[:4]).mean() > mass_inside(other, masks[:4]).mean()
    with pytest.raises(BadInput, match="'dense'.*conv1, conv2, pool"):
        grad_cam(square_model, x[:1], layer="dense")


def test_feature_maps_of_a_nested_model():
    """The transfer-learning case: the conv base is a model inside the model."""
    keras.utils.set_random_seed(0)
    base = keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            keras.layers.Conv2D(4, 3, name="c1"),
            keras.layers.MaxPooling2D(name="p1"),
        ],
        name="base",
    )
    inputs = keras.Input((12, 12, 3))
    hidden = keras.layers.Conv2D(6, 3, name="c2")(base(inputs))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(hidden))
    model = keras.Model(inputs, outputs)
    image = np.random.default_rng(0).random((12, 12, 3), np.float32)
    maps = feature_maps(model, image)
    assert {name: m.shape for name, m in maps.items()} == {
        "base/c1": (10, 10, 4),
        "base/p1": (5, 5, 4),
        "c2": (3, 3, 6),
    }
    expected = keras.Model(base.inputs, base.get_layer("c1").output)([image[None]])
    np.testing.assert_allclose(maps["base/c1"], np.asarray(expected)[0], rtol=1e-5, atol=1e-6)
    probe = probe_model(model, ["c2"])
    np.testing.assert_allclose(probe(image[None])[-1], model(image[None]), rtol=1e-5, atol=1e-6)
    assert grad_cam(model, image[None]).shape == (1, 12, 12)


def test_filter_visualisation_raises_the_activation_and_is_seeded(square_model):
    probe = probe_model(square_model, ["conv2"])
    start = maximise_filters(square_model, "conv2", filters=[0, 3], steps=0)
    found = maximise_filters(square_model, "conv2", filters=[0, 3], steps=24)
    again = maximise_filters(square_model, "conv2", filters=[0, 3], steps=24)
    np.testing.assert_array_equal(found, again)
    for row, channel in enumerate([0, 3]):
        before = np.asarray(probe(start[row : row + 1])[0])[..., channel].mean()
        after = np.asarray(probe(found[row : row + 1])[0])[..., channel].mean()
        assert after > before
    assert found.min() >= 0.0 and found.max() <= 1.0
    with pytest.raises(BadInput, match="filters 0–7"):
        maximise_filters(square_model, "conv2", filters=[8])


def test_dense_only_model_is_refused_where_a_conv_is_needed():
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, activation="softmax")])
    images = np.random.default_rng(0).random((2, 8, 8, 1), np.float32)
    with pytest.raises(BadInput, match="Grad-CAM needs a 2-D conv layer"):
        grad_cam(model, images)
    with pytest.raises(BadInput, match="feature maps need a conv"):
        feature_maps(model, images[0])
    assert saliency(model, images).shape == (2, 8, 8)  # flat models take the images flattened
    assert occlusion(model, images, patch=2)[0].shape == (2, 8, 8)


def test_probes_and_steps_are_built_once_per_model_and_go_with_it():
    """The cache holds models weakly: nothing it keeps may hold on to the model."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, name="c"),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    x = np.random.default_rng(0).random((3, 8, 8, 1), np.float32)
    for method in (grad_cam, saliency, occlusion):
        method(model, x)
    maximise_filters(model, "c", steps=2)
    assert probe_model(model, ["c"]) is probe_model(model, ["c"])
    # the logits are differentiated, yet the model itself keeps its softmax
    assert model.layers[-1].activation is keras.activations.softmax
    np.testing.assert_allclose(np.asarray(model(x)).sum(axis=1), 1.0, rtol=1e-5)
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None


def test_channel_grid_is_one_mosaic_with_each_channel_scaled_to_its_range():
    """One imshow of all channels (per-tile axes made it slow), each tile min-max scaled."""
    from dlworkflow.interpret.plots import channel_grid_figure

    activation = np.stack([np.arange(16.0).reshape(4, 4) * (k + 1) for k in range(10)], axis=-1)
    figure = channel_grid_figure("conv", activation)
    (axis,) = figure.axes
    mosaic = axis.images[0].get_array()
    assert mosaic.shape == (2 * (4 + 1), 8 * (4 + 1) - 1)  # 8 columns, 1-px gaps
    second = mosaic[1:5, 5:9]  # channel 1: its own range maps to [0, 1]
    np.testing.assert_allclose(second, np.arange(16.0).reshape(4, 4) / 15.0)
    assert np.ma.getmaskarray(mosaic)[0].all()  # the gaps are blank, not drawn values


def test_heatmap_figure_blends_each_map_over_its_image():
    from dlworkflow.interpret.plots import heatmap_figure

    images = np.zeros((2, 4, 4, 1))
    images[:, :2] = 1.0  # top half white
    heat = np.zeros((2, 4, 4))
    maps = {"Grad-CAM": heat, "saliency": heat + 1.0}
    figure = heatmap_figure(images, maps, ["first", "second"], "note")
    (axis,) = figure.axes
    mosaic = np.asarray(axis.images[0].get_array())
    gap = 2
    assert mosaic.shape == (2 * (4 + gap), 3 * (4 + gap) - gap, 3)
    image_tile = mosaic[gap : gap + 4, 0:4]
    np.testing.assert_allclose(image_tile[:2], 1.0)
    np.testing.assert_allclose(image_tile[2:], 0.0)
    jet = matplotlib.colormaps["jet"]
    hottest = mosaic[gap + 3, 2 * (4 + gap)]  # saliency over a black pixel: half jet(1)
    np.testing.assert_allclose(hottest, 0.5 * np.asarray(jet(1.0)[:3]))
    texts = [text.get_text() for text in axis.texts]
    assert texts == ["first", "Grad-CAM", "saliency", "second", "Grad-CAM", "saliency"]
