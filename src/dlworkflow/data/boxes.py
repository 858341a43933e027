"""Images with labelled boxes: the detection task's dataset, and resizing onto one grid.

Loaders (:mod:`dlworkflow.data.box_formats`, :mod:`dlworkflow.data.shapes`) give
:class:`LabelledImage` records in each image's own pixels; :func:`load_box_images`
decodes them once at a fixed size, scaling the boxes with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from dlworkflow.errors import BadInput

MAX_IMAGE_PIXELS = 50_000_000  # refuse decompression bombs before decoding


@dataclass
class LabelledImage:
    """One image file and its boxes (``xyxy`` in the file's pixels) with class ids."""

    path: Path
    width: int
    height: int
    boxes: np.ndarray
    labels: np.ndarray


@dataclass
class BoxDataset:
    """Images of one size (N, H, W, 3) uint8, with ``xyxy`` pixel boxes and class ids.

    ``masks`` (N, H, W) holds, where a source draws them, the class id + 1 of every
    pixel (0 is background): the same scenes serve segmentation.
    """

    images: np.ndarray
    boxes: list[np.ndarray]
    labels: list[np.ndarray]
    class_names: list[str]
    names: list[str]
    masks: np.ndarray | None = None
    source: str = ""
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def subset(self, indices: np.ndarray) -> BoxDataset:
        indices = np.asarray(indices, dtype=np.int64)
        return BoxDataset(
            self.images[indices],
            [self.boxes[i] for i in indices],
            [self.labels[i] for i in indices],
            self.class_names,
            [self.names[i] for i in indices],
            None if self.masks is None else self.masks[indices],
            self.source,
            self.meta,
        )

    def mirrored(self) -> BoxDataset:
        """Every image flipped left–right, its boxes (and masks) with it."""
        width = self.images.shape[2]
        boxes = [
            np.stack([width - b[:, 2], b[:, 1], width - b[:, 0], b[:, 3]], axis=1)
            for b in self.boxes
        ]
        return BoxDataset(
            self.images[:, :, ::-1].copy(),
            boxes,
            list(self.labels),
            self.class_names,
            [f"{name}-mirrored" for name in self.names],
            None if self.masks is None else self.masks[:, :, ::-1].copy(),
            self.source,
            self.meta,
        )

    def describe(self) -> dict:
        """Counts for ``data.json`` and the survey: images, boxes, boxes per class."""
        labels = np.concatenate([np.zeros(0, np.int64), *self.labels]).astype(np.int64)
        counts = np.bincount(labels, minlength=self.num_classes)
        return {
            "source": self.source,
            "images": len(self),
            "image_shape": list(self.images.shape[1:]),
            "boxes": int(len(labels)),
            "boxes_per_class": dict(zip(self.class_names, counts.tolist(), strict=True)),
            "images_without_boxes": int(sum(len(b) == 0 for b in self.boxes)),
        }


def concatenate_boxes(first: BoxDataset, second: BoxDataset) -> BoxDataset:
    """Two datasets of the same classes and image size as one."""
    masks = None
    if first.masks is not None and second.masks is not None:
        masks = np.concatenate([first.masks, second.masks])
    return BoxDataset(
        np.concatenate([first.images, second.images]),
        first.boxes + second.boxes,
        first.labels + second.labels,
        first.class_names,
        first.names + second.names,
        masks,
        first.source,
        first.meta,
    )


def open_image(path: Path) -> Image.Image:
    """An RGB Pillow image, refusing unreadable files and oversized ones by name."""
    try:
        picture = Image.open(path)
        if picture.width * picture.height > MAX_IMAGE_PIXELS:
            raise BadInput(
                f"{path}: {picture.width}x{picture.height} pixels is over the "
                f"{MAX_IMAGE_PIXELS:,} this loader accepts"
            )
        return picture.convert("RGB")
    except (UnidentifiedImageError, OSError) as error:
        raise BadInput(f"{path}: not a readable image ({error.__class__.__name__})") from None


def load_box_images(
    records: list[LabelledImage], class_names: list[str], size: tuple[int, int], source: str
) -> BoxDataset:
    """Decode every image resized to ``size`` (height, width), boxes scaled to match.

    A plain stretch, not a letterbox: boxes stay exact and every pixel is used.
    """
    height, width = size
    images = np.empty((len(records), height, width, 3), dtype=np.uint8)
    boxes = []
    for index, record in enumerate(records):
        picture = open_image(record.path)
        images[index] = np.asarray(picture.resize((width, height), Image.BILINEAR))
        factor = np.array([width / record.width, height / record.height] * 2)
        boxes.append(record.boxes.reshape(-1, 4) * factor)
    return BoxDataset(
        images,
        boxes,
        [r.labels.astype(np.int64) for r in records],
        class_names,
        [r.path.stem for r in records],
        source=source,
    )
