"""Box ops against independent references: TensorFlow's NMS and crop_and_resize."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from dlworkflow.detection import (
    batched_nms,
    convert_boxes,
    crop_and_resize,
    decode_boxes,
    encode_boxes,
    make_anchors,
    nms,
    pairwise_iou,
    roi_align,
    roi_pool,
)


def random_boxes(rng: np.random.Generator, n: int, extent: float = 100.0) -> np.ndarray:
    corner = rng.uniform(0, extent, (n, 2))
    size = rng.uniform(extent / 50, extent / 3, (n, 2))
    return np.concatenate([corner, corner + size], axis=1)


def test_iou_against_a_hand_computed_pair() -> None:
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[5, 5, 15, 15], [20, 20, 30, 30], [0, 0, 10, 10]])
    assert pairwise_iou(a, b)[0] == pytest.approx([25 / 175, 0.0, 1.0])


@pytest.mark.parametrize("fmt", ["xywh", "cxcywh"])
def test_iou_is_the_same_in_every_format(fmt: str) -> None:
    rng = np.random.default_rng(0)
    a, b = random_boxes(rng, 30), random_boxes(rng, 20)
    expected = pairwise_iou(a, b)
    got = pairwise_iou(convert_boxes(a, "xyxy", fmt), convert_boxes(b, "xyxy", fmt), fmt)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    np.testing.assert_allclose(convert_boxes(convert_boxes(a, "xyxy", fmt), fmt, "xyxy"), a)


def test_iou_equals_tensorflow_nms_pairwise_rule() -> None:
    """tf.image.non_max_suppression_overlaps with the IoU matrix reproduces its own NMS."""
    rng = np.random.default_rng(1)
    boxes = random_boxes(rng, 200)
    scores = rng.uniform(size=200)
    overlaps = pairwise_iou(boxes, boxes)
    via_overlaps = tf.image.non_max_suppression_overlaps(overlaps, scores, 200, 0.4).numpy()
    direct = tf.image.non_max_suppression(boxes[:, [1, 0, 3, 2]], scores, 200, 0.4).numpy()
    np.testing.assert_array_equal(via_overlaps, direct)


def test_zero_area_boxes_have_iou_zero() -> None:
    assert pairwise_iou([[1, 1, 1, 1]], [[1, 1, 1, 1]])[0, 0] == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
@pytest.mark.parametrize("pair_cap", [None, 0], ids=["pairs", "sweep"])
def test_nms_equals_tensorflow(
    seed: int, threshold: float, pair_cap: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if pair_cap is not None:  # force the per-box sweep used when pairs would not fit
        monkeypatch.setattr("dlworkflow.detection.suppression.MAX_CANDIDATE_PAIRS", pair_cap)
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng, 500)
    scores = rng.uniform(size=500).astype(np.float32)
    expected = tf.image.non_max_suppression(
        boxes[:, [1, 0, 3, 2]].astype(np.float32), scores, 500, threshold, score_threshold=0.2
    ).numpy()
    got = nms(boxes.astype(np.float32), scores, threshold, score_threshold=0.2)
    np.testing.assert_array_equal(got, expected)
    limited = nms(boxes, scores, threshold, max_output=7)
    np.testing.assert_array_equal(limited, nms(boxes, scores, threshold)[:7])


def test_per_class_nms_equals_tensorflow_combined_nms() -> None:
    rng = np.random.default_rng(3)
    n, classes = 300, 4
    boxes = random_boxes(rng, n, extent=1.0).astype(np.float32)
    scores = rng.uniform(0.01, 1, n).astype(np.float32)
    labels = rng.integers(0, classes, n)
    per_class = np.zeros((1, n, classes), dtype=np.float32)
    per_class[0, np.arange(n), labels] = scores  # each box scores only in its own class
    result = tf.image.combined_non_max_suppression(
        boxes[None, :, None, [1, 0, 3, 2]],
        per_class,
        max_output_size_per_class=n,
        max_total_size=n,
        iou_threshold=0.5,
        score_threshold=0.0,
        clip_boxes=False,
    )
    count = int(result.valid_detections[0])
    kept = batched_nms(boxes, scores, labels, 0.5)
    assert len(kept) == count
    np.testing.assert_allclose(scores[kept], result.nmsed_scores[0, :count].numpy())
    np.testing.assert_array_equal(labels[kept], result.nmsed_classes[0, :count].numpy())
    np.testing.assert_allclose(
        boxes[kept][:, [1, 0, 3, 2]], result.nmsed_boxes[0, :count].numpy(), atol=1e-6
    )


def test_per_class_nms_lets_overlapping_classes_both_stay() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10.5], [0, 0, 10, 10]])
    kept = batched_nms(boxes, np.array([0.9, 0.8, 0.7]), np.array([0, 0, 1]))
    np.testing.assert_array_equal(kept, [0, 2])


def test_anchors_cover_every_cell_with_every_shape() -> None:
    anchors = make_anchors((3, 4), stride=8, scales=(16, 32), ratios=(0.5, 1, 2))
    assert anchors.shape == (3 * 4 * 6, 4)
    grid = anchors.reshape(3, 4, 6, 4)
    centre = (grid[..., :2] + grid[..., 2:]) / 2
    np.testing.assert_allclose(centre[2, 1, :, 0], 1.5 * 8)  # column 1
    np.testing.assert_allclose(centre[2, 1, :, 1], 2.5 * 8)  # row 2
    size = grid[0, 0, :, 2:] - grid[0, 0, :, :2]
    np.testing.assert_allclose(size[:, 0] * size[:, 1], [256] * 3 + [1024] * 3)
    np.testing.assert_allclose(size[:, 1] / size[:, 0], [0.5, 1, 2] * 2)


def test_encode_decode_round_trip_and_values() -> None:
    rng = np.random.default_rng(4)
    anchors, boxes = random_boxes(rng, 50), random_boxes(rng, 50)
    variances = (0.1, 0.1, 0.2, 0.2)
    deltas = encode_boxes(boxes, anchors, variances)
    np.testing.assert_allclose(decode_boxes(deltas, anchors, variances), boxes, atol=1e-9)
    one = encode_boxes(np.array([[2, 4, 6, 12]]), np.array([[0, 0, 4, 4]]))
    np.testing.assert_allclose(one, [[0.5, 1.5, 0.0, np.log(2)]])


def _tf_crops(features: np.ndarray, boxes: np.ndarray, index: np.ndarray, size) -> np.ndarray:
    height, width = features.shape[1:3]
    normalised = boxes[:, [1, 0, 3, 2]] / np.array([height - 1, width - 1] * 2)
    return tf.image.crop_and_resize(features, normalised, index, size).numpy()


def test_crop_and_resize_equals_tensorflow() -> None:
    rng = np.random.default_rng(5)
    features = rng.normal(size=(2, 12, 15, 3)).astype(np.float32)
    boxes = np.concatenate([random_boxes(rng, 6, 10.0), [[-3, -2, 16, 13]]])  # one overhangs
    index = np.array([0, 1, 0, 1, 1, 0, 1])
    for size in [(5, 4), (1, 1), (7, 7)]:
        np.testing.assert_allclose(
            crop_and_resize(features, boxes, index, size),
            _tf_crops(features, boxes, index, size),
            atol=1e-5,
        )


def test_roi_align_and_pool_equal_tensorflow_crop_then_pool() -> None:
    rng = np.random.default_rng(6)
    features = rng.normal(size=(2, 16, 16, 4)).astype(np.float32)
    boxes, index = random_boxes(rng, 5, 14.0), np.array([0, 1, 1, 0, 1])
    crops = _tf_crops(features, boxes, index, (14, 14))
    average = tf.nn.avg_pool2d(crops, 2, 2, "VALID").numpy()
    biggest = tf.nn.max_pool2d(crops, 2, 2, "VALID").numpy()
    np.testing.assert_allclose(roi_align(features, boxes, index, (7, 7), 2), average, atol=1e-5)
    np.testing.assert_allclose(roi_pool(features, boxes, index, (7, 7), 2), biggest, atol=1e-5)
