"""Segmentation data: shapes, mask folders (checked pair by pair), the membranes, augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlworkflow.data.augment import AugmentSpec, augment_pair, augment_pairs
from dlworkflow.data.mask_survey import mask_survey_figures, overlay, pixel_frequencies
from dlworkflow.data.masks import load_mask_dataset, load_mask_folder
from dlworkflow.data.shape_masks import shape_masks
from dlworkflow.data.spec import DataSpec
from dlworkflow.errors import BadInput
from tests.conftest import DATA_HOME


def test_shapes_are_seeded_and_hold_every_class() -> None:
    images, masks = shape_masks(count=30, size=32, seed=3)
    again, again_masks = shape_masks(count=30, size=32, seed=3)
    other, _ = shape_masks(count=30, size=32, seed=4)
    assert images.shape == (30, 32, 32, 3) and masks.shape == (30, 32, 32)
    assert np.array_equal(images, again) and np.array_equal(masks, again_masks)
    assert not np.array_equal(images, other)
    assert set(np.unique(masks)) == {0, 1, 2}
    # a shape's pixels differ from the ground: the mask is visible in the image
    for image, mask in zip(images[:5], masks[:5], strict=True):
        ground = image[mask == 0].mean(axis=0)
        inside = image[mask > 0].mean(axis=0)
        assert np.abs(inside - ground).max() > 20


def _pair_folder(
    root: Path, sizes=((16, 16),) * 4, values=(0, 1, 2), images="images", masks="masks"
) -> Path:
    rng = np.random.default_rng(0)
    (root / images).mkdir(parents=True)
    (root / masks).mkdir(parents=True)
    for i, (h, w) in enumerate(sizes):
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(
            root / images / f"{i}.png"
        )
        mask = rng.choice(np.asarray(values, np.uint8), (h, w))
        Image.fromarray(mask).save(root / masks / f"{i}.png")
    return root


def test_folder_pairs_load_with_class_ids_and_configurable_names(tmp_path: Path) -> None:
    root = _pair_folder(tmp_path, images="train/image", masks="train/label")
    x, y, files = load_mask_folder(
        root, images="train/image", masks="train/label", classes=["a", "b", "c"]
    )
    assert x.shape == (4, 16, 16, 3) and y.shape == (4, 16, 16)
    assert files == [f"train/image/{i}.png" for i in range(4)]
    expected = np.asarray(Image.open(root / "train/label/2.png"))
    assert np.array_equal(y[2], expected)


def test_binary_masks_and_resizing_keep_class_ids(tmp_path: Path) -> None:
    root = _pair_folder(tmp_path, sizes=((20, 30),) * 3, values=(0, 255))
    x, y, _ = load_mask_folder(root, binary=True, image_size=[10, 12], color_mode="grayscale")
    assert x.shape == (3, 10, 12, 1)
    assert set(np.unique(y)) == {0, 1}


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        ("missing_mask", {}, r"image .*images/1.png has no mask .*masks/1\.\*"),
        ("orphan_mask", {}, r"mask .*masks/9.png has no image"),
        ("size", {}, r"mask .*masks/2.png is 8×8, its image 2.png is 16×16; they must match"),
        ("value", {}, r"mask .*masks/3.png holds class ids 7 but data.options.classes names 3"),
        ("none", {"binary": True, "classes": ["a", "b"]}, r"mask .*masks/0.png holds values 2"),
        ("none", {"classes": ["a"]}, "must be 2 to 256 distinct class names"),
        ("none", {"classes": "abc"}, "'abc' is not a list of class names"),
        ("none", {"binary": True}, "a binary mask has 2 classes, not 3"),
        ("none", {"masks": "labels"}, r"data.options.masks: folder .*labels does not exist"),
        ("broken", {}, r"cannot read image .*masks/0.png"),
    ],
)
def test_bad_pairs_are_refused_naming_the_file(
    tmp_path: Path, change: str, kwargs: dict, message: str
) -> None:
    root = _pair_folder(tmp_path)
    masks = root / "masks"
    if change == "missing_mask":
        (masks / "1.png").unlink()
    elif change == "orphan_mask":
        Image.fromarray(np.zeros((16, 16), np.uint8)).save(masks / "9.png")
    elif change == "size":
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(masks / "2.png")
    elif change == "value":
        Image.fromarray(np.full((16, 16), 7, np.uint8)).save(masks / "3.png")
    elif change == "broken":
        (masks / "0.png").write_bytes(b"not a png")
    options = {"classes": ["a", "b", "c"], **kwargs}
    with pytest.raises(BadInput, match=message):
        load_mask_folder(root, **options)


def test_membranes_load_binarised_and_hold_out_pairs() -> None:
    spec = DataSpec(
        source="unet_membrane", options={"image_size": 64}, split={"val": 0.1, "test": 0.2}
    )
    dataset = load_mask_dataset(spec, seed=1)
    sizes = {name: len(split) for name, split in dataset.splits().items()}
    assert sizes == {"train": 21, "val": 3, "test": 6}
    assert dataset.input_shape == (64, 64, 1)
    assert dataset.class_names == ["membrane", "cell"]
    held = set(dataset.files["test"])
    assert not held & set(dataset.files["train"])
    # the share of cell pixels is close to the full-size masks' (255 = cell)
    full = np.asarray(Image.open(DATA_HOME / "unet_membrane/train/label/0.png")) > 127
    name = "train/image/0.png"
    split = next(k for k, files in dataset.files.items() if name in files)
    mask = dataset.splits()[split].y[dataset.files[split].index(name)]
    assert abs(mask.mean() - full.mean()) < 0.02
    shares = pixel_frequencies(dataset)
    assert 0.6 < shares["train"][1] < 0.9


def test_sources_and_options_are_checked() -> None:
    with pytest.raises(BadInput, match="not a segmentation source"):
        load_mask_dataset(DataSpec(source="digits"), seed=0)
    with pytest.raises(BadInput, match=r"data.options.colour: not an option of 'shapes'"):
        load_mask_dataset(DataSpec(source="shapes", options={"colour": 1}), seed=0)
    with pytest.raises(BadInput, match=r"data.options.count: 0 is not an integer >= 1"):
        load_mask_dataset(DataSpec(source="shapes", options={"count": 0}), seed=0)


def _coded_pair(seed: int, size=(24, 24)) -> tuple[np.ndarray, np.ndarray]:
    """An image whose every channel spells its mask (value 40·class + 10·channel)."""
    mask = np.random.default_rng(seed).integers(0, 3, size).astype(np.uint8)
    image = np.stack([mask * 40 + 10 * c for c in range(3)], axis=-1).astype(np.uint8)
    return image, mask


@pytest.mark.parametrize("size", [(24, 24), (20, 28)])
def test_flips_and_turns_move_image_and_mask_identically(size: tuple[int, int]) -> None:
    image, mask = _coded_pair(0, size)
    spec = AugmentSpec(crop=None)
    rng = np.random.default_rng(5)
    changed = 0
    for _ in range(12):
        out_image, out_mask = augment_pair(image, mask, spec, rng)
        assert out_image.shape[:2] == out_mask.shape
        assert np.array_equal(out_image[..., 1], out_mask * 40 + 10)
        changed += not np.array_equal(out_mask, mask)
    assert changed >= 6


def test_crops_move_image_and_mask_identically() -> None:
    mask = np.zeros((32, 32), np.uint8)
    mask[8:20, 10:26] = 1  # a block: bilinear and nearest agree away from its edges
    image = np.repeat((mask * 200)[..., np.newaxis], 3, axis=-1)
    spec = AugmentSpec(flip=False, rotate=False, crop=0.5)
    rng = np.random.default_rng(2)
    for _ in range(10):
        out_image, out_mask = augment_pair(image, mask, spec, rng)
        assert out_mask.shape == (32, 32) and set(np.unique(out_mask)) <= {0, 1}
        agree = ((out_image[..., 0] > 100) == (out_mask == 1)).mean()
        assert agree > 0.97


def test_augment_pairs_keeps_originals_and_is_seeded() -> None:
    pairs = [_coded_pair(s) for s in range(4)]
    images, masks = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
    spec = AugmentSpec(copies=2)
    x, y = augment_pairs(images, masks, spec, seed=1)
    x2, y2 = augment_pairs(images, masks, spec, seed=1)
    assert x.shape == (12, 24, 24, 3) and np.array_equal(x[:4], images)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)


def test_survey_figures_and_overlay(tmp_path: Path) -> None:
    dataset = load_mask_dataset(DataSpec(source="shapes", options={"count": 20, "size": 32}), 0)
    paths = mask_survey_figures(dataset, tmp_path)
    assert [p.name for p in paths] == ["class_pixels.svg", "mask_samples.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
    image, mask = dataset.train.x[0], dataset.train.y[0]
    tinted = overlay(image, mask, 3)
    assert np.allclose(tinted[mask == 0], image[mask == 0] / 255)
    assert not np.allclose(tinted[mask > 0], image[mask > 0] / 255)
