"""Segmentation data: images with a class-id mask each, checked pair by pair.

Sources (``data.source`` with ``task: segmentation``): ``shapes`` (synthetic, seeded),
``unet_membrane`` (the ISBI 2012 membranes the notes' U-Net trains on, from
``$DLW_DATA_HOME/unet_membrane``) and ``folder:PATH`` (``PATH/images`` and
``PATH/masks``, a mask per image with the same file stem). Masks are class-index PNGs
(pixel value = class id) or, with ``binary: true``, 0/255 (or 0/1) masks as the notes
binarise them. Every pair is checked before anything is trained: the mask exists, has
the image's size, and holds only valid class ids; the message names the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow.data.dataset import Split, SplitsView
from dlworkflow.data.shape_masks import SHAPE_CLASSES, shape_masks
from dlworkflow.data.sources import IMAGE_SUFFIXES, _image_size, data_home
from dlworkflow.data.spec import DataSpec
from dlworkflow.data.splits import split_indices
from dlworkflow.errors import BadInput

MAX_FILES = 20_000
MAX_IMAGE_PIXELS = 40_000_000  # per image, read from the header before decoding
MAX_TOTAL_BYTES = 2_000_000_000  # all images after resizing
MEMBRANE = {  # the classic U-Net repository's layout; 255 = cell, 0 = membrane
    "images": "train/image",
    "masks": "train/label",
    "classes": ["membrane", "cell"],
    "binary": True,
    "color_mode": "grayscale",
}


@dataclass
class MaskDataset(SplitsView):
    """Splits of images (uint8 ``N×H×W×C``) and masks (uint8 class ids ``N×H×W``).

    Models see ``inputs(split)``: pixels scaled to [0, 1] as in the notes.
    """

    name: str
    class_names: list[str]
    train: Split
    val: Split | None
    test: Split | None
    files: dict[str, list[str]]  # per split, the file each sample came from (if any)

    task = "segmentation"

    @staticmethod
    def inputs(split: Split) -> np.ndarray:
        return split.x.astype(np.float32) / 255.0

    def describe(self) -> dict:
        """``data.json``: shapes, checksums and each class's share of the pixels."""
        return {
            "name": self.name,
            "task": self.task,
            "kind": "image",
            "input_shape": list(self.input_shape),
            "class_names": self.class_names,
            "preprocessing": {"scale": "unit", "offset": [0.0], "factor": [255.0]},
            "splits": {
                name: {
                    "size": len(split),
                    "x_shape": list(split.x.shape),
                    "mask_shape": list(split.y.shape),
                    "sha256": split.checksum(),
                    "class_counts": class_pixels(split.y, self.num_classes),  # pixels
                    "files": self.files.get(name, [])[:200],
                }
                for name, split in self.splits().items()
            },
        }


def class_pixels(masks: np.ndarray, num_classes: int) -> list[int]:
    """Pixels of each class over all masks."""
    return np.bincount(masks.reshape(-1), minlength=num_classes).tolist()


def load_mask_dataset(spec: DataSpec, seed: int) -> MaskDataset:
    """Load a segmentation source, subset (``limit``) and split it (seeded, not stratified)."""
    seed = spec.seed if spec.seed is not None else seed
    options = dict(spec.options)
    kind, _, argument = spec.source.partition(":")
    if spec.source == "shapes":
        _allowed("shapes", options, {"count", "size", "max_shapes", "seed"})
        images, masks = shape_masks(**{"seed": seed, **options})
        name, classes, files = "shapes", list(SHAPE_CLASSES), []
    elif spec.source == "unet_membrane":
        _allowed("unet_membrane", options, {"image_size"})
        root = data_home() / "unet_membrane"
        images, masks, files = load_mask_folder(root, **{**MEMBRANE, **options})
        name, classes = "unet_membrane", list(MEMBRANE["classes"])
    elif kind == "folder" and argument:
        _allowed("folder", options, set(_FOLDER_OPTIONS))
        root = Path(argument)
        images, masks, files = load_mask_folder(root, **options)
        name, classes = root.name, list(options.get("classes", _FOLDER_OPTIONS["classes"]))
    else:
        raise BadInput(
            f"data.source: '{spec.source}' is not a segmentation source; use shapes, "
            "unet_membrane or folder:PATH (with images/ and masks/ inside)"
        )
    index = np.arange(len(images))
    if spec.limit is not None and spec.limit < len(index):
        index = np.sort(np.random.default_rng(seed).permutation(len(index))[: spec.limit])
    kept, held = split_indices(index, spec.split.test, seed, False, "test")
    test_index = index[held]
    index = index[kept]
    val_fraction = spec.split.val / (1 - spec.split.test)
    kept, held = split_indices(index, val_fraction, seed + 1, False, "val")
    parts = {"train": index[kept], "val": index[held], "test": test_index}
    splits = {k: Split(images[v], masks[v]) if len(v) else None for k, v in parts.items()}
    return MaskDataset(
        name=name,
        class_names=classes,
        train=splits["train"],
        val=splits["val"],
        test=splits["test"],
        files={k: [files[i] for i in v] for k, v in parts.items()} if files else {},
    )


def _allowed(source: str, options: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise BadInput(
            f"data.options.{unknown[0]}: not an option of '{source}' "
            f"(valid: {', '.join(sorted(allowed)) or 'none'})"
        )


_FOLDER_OPTIONS: dict[str, Any] = {
    "images": "images",
    "masks": "masks",
    "classes": ["background", "foreground"],
    "binary": False,
    "image_size": None,
    "color_mode": "rgb",
}


def load_mask_folder(
    root: Path,
    images: str = "images",
    masks: str = "masks",
    classes: list[str] | None = None,
    binary: bool = False,
    image_size: int | list[int] | None = None,
    color_mode: str = "rgb",
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every image of ``root/images`` with the mask of the same stem in ``root/masks``.

    ``image_size`` resizes both (bilinear for the image, nearest for the mask, so no
    new class ids appear); without it all pairs must share one size.
    """
    classes = _FOLDER_OPTIONS["classes"] if classes is None else classes
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        raise BadInput(f"data.options.classes: {classes!r} is not a list of class names")
    if len(classes) < 2 or len(set(classes)) != len(classes) or len(classes) > 256:
        raise BadInput(f"data.options.classes: {classes!r} must be 2 to 256 distinct class names")
    if binary and len(classes) != 2:
        raise BadInput(f"data.options.binary: a binary mask has 2 classes, not {len(classes)}")
    if color_mode not in ("rgb", "grayscale"):
        raise BadInput(f"data.options.color_mode: '{color_mode}' is not rgb or grayscale")
    size = None if image_size is None else _image_size(image_size)
    image_dir, mask_dir = root / images, root / masks
    for key, folder in (("images", image_dir), ("masks", mask_dir)):
        if not folder.is_dir():
            raise BadInput(f"data.options.{key}: folder {folder} does not exist")
    image_files = _image_files(image_dir)
    mask_files = {p.stem: p for p in _image_files(mask_dir)}
    if not image_files:
        raise BadInput(f"data.source: {image_dir} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    if len(image_files) > MAX_FILES:
        raise BadInput(
            f"data.source: {image_dir} holds {len(image_files)} images; at most {MAX_FILES:,}"
        )
    stems = {p.stem for p in image_files}
    orphans = sorted(set(mask_files) - stems)
    if orphans:
        raise BadInput(f"data.source: mask {mask_files[orphans[0]]} has no image in {image_dir}")
    pixels, labels = [], []
    total = 0
    for file in image_files:
        mask_file = mask_files.get(file.stem)
        if mask_file is None:
            raise BadInput(f"data.source: image {file} has no mask {mask_dir / file.stem}.*")
        image = read_image(file, "RGB" if color_mode == "rgb" else "L", size, nearest=False)
        mask = read_image(mask_file, "L", size, nearest=True, raw_mode=True)
        if image.shape[:2] != mask.shape:
            raise BadInput(
                f"data.source: mask {mask_file} is {mask.shape[1]}×{mask.shape[0]}, its image "
                f"{file.name} is {image.shape[1]}×{image.shape[0]}; they must match"
            )
        labels.append(_class_ids(mask, mask_file, len(classes), binary))
        pixels.append(image)
        total += image.nbytes
        if total > MAX_TOTAL_BYTES:
            raise BadInput(
                f"data.options.image_size: the images exceed {MAX_TOTAL_BYTES:,} bytes; "
                "set a smaller image_size"
            )
    shapes = {p.shape for p in pixels}
    if len(shapes) > 1:
        raise BadInput(
            f"data.options.image_size: the images of {image_dir} differ in size "
            f"({', '.join(sorted(str(s[:2]) for s in shapes)[:3])}); set image_size"
        )
    x = np.stack(pixels)
    x = x[..., np.newaxis] if x.ndim == 3 else x
    return x, np.stack(labels), [str(p.relative_to(root)) for p in image_files]


def _image_files(folder: Path) -> list[Path]:
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files, key=lambda p: _natural(p.name))


def _natural(name: str) -> tuple:
    """``2.png`` before ``10.png``."""
    stem = Path(name).stem
    return (0, int(stem), name) if stem.isdigit() else (1, 0, name)


def read_image(
    path: Path, mode: str, size: tuple[int, int] | None, nearest: bool, raw_mode: bool = False
) -> np.ndarray:
    """Decode one image (header checked against the pixel cap first)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise BadInput(
                    f"data.source: {path} has {image.width}×{image.height} pixels; "
                    f"at most {MAX_IMAGE_PIXELS:,}"
                )
            if not (raw_mode and image.mode in ("L", "P")):  # a palette PNG keeps its ids
                image = image.convert(mode)
            if size is not None:
                resample = Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR
                image = image.resize((size[1], size[0]), resample)
            return np.asarray(image, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise BadInput(f"data.source: cannot read image {path}: {error}") from error


def _class_ids(mask: np.ndarray, path: Path, num_classes: int, binary: bool) -> np.ndarray:
    """Class ids of one mask; values outside the classes are named with the file."""
    values = np.unique(mask)
    if binary:
        if not set(values.tolist()) <= {0, 1, 255}:
            raise BadInput(
                f"data.source: mask {path} holds values {_listed(values, {0, 1, 255})}; "
                "a binary mask holds only 0 and 255 (or 0 and 1)"
            )
        return (mask > 0).astype(np.uint8)
    if values.max() >= num_classes:
        raise BadInput(
            f"data.source: mask {path} holds class ids {_listed(values, range(num_classes))} "
            f"but data.options.classes names {num_classes} (ids 0..{num_classes - 1}); "
            "set binary: true for 0/255 masks"
        )
    return mask.astype(np.uint8)


def _listed(values: np.ndarray, valid) -> str:
    bad = [int(v) for v in values if int(v) not in set(valid)]
    return ", ".join(map(str, bad[:5])) + (" …" if len(bad) > 5 else "")
