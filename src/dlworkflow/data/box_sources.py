"""``data.source`` for the detection task: names and paths to a :class:`BoxDataset`.

``shapes`` (synthetic), ``raccoon`` (the offline copy in ``$DLW_DATA_HOME``, Pascal VOC,
with its author's 40-image test split), ``yolo:PATH``, ``voc:PATH`` and ``coco:FILE``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow.data.box_formats import read_coco_file, read_voc_folder, read_yolo_folder
from dlworkflow.data.boxes import BoxDataset, load_box_images
from dlworkflow.data.shapes import render_shapes
from dlworkflow.data.sources import data_home
from dlworkflow.errors import BadInput

READERS = {"yolo": read_yolo_folder, "voc": read_voc_folder, "coco": read_coco_file}
SOURCES = "shapes, raccoon, yolo:PATH, voc:PATH or coco:FILE"


def load_box_source(
    source: str, options: dict[str, Any], image_size: tuple[int, int], seed: int
) -> tuple[BoxDataset, np.ndarray | None]:
    """The dataset and, when the source fixes one, the indices of its own test split."""
    options = dict(options)
    if source == "shapes":
        if image_size[0] != image_size[1]:
            raise BadInput("data.image_size: shapes draws square scenes; give one number")
        return render_shapes(size=image_size[0], seed=seed, **_shape_options(options)), None
    if options:
        raise BadInput(f"data.options: {', '.join(options)}: only the shapes source takes options")
    if source == "raccoon":
        return load_raccoon(image_size)
    kind, _, path = source.partition(":")
    if kind not in READERS or not path:
        raise BadInput(f"data.source: '{source}' is not one of {SOURCES}")
    records, names = READERS[kind](Path(path))
    return load_box_images(records, names, image_size, source), None


def _shape_options(options: dict[str, Any]) -> dict[str, Any]:
    allowed = {"count", "max_objects", "min_size", "max_size", "noise"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise BadInput(
            f"data.options.{unknown[0]}: not an option of shapes (use {', '.join(sorted(allowed))})"
        )
    return options


def load_raccoon(image_size: tuple[int, int]) -> tuple[BoxDataset, np.ndarray]:
    """The 200 raccoon photos from their VOC XML, with ``test_labels.csv``'s 40 as test."""
    root = data_home() / "raccoon"
    if not (root / "annotations").is_dir():
        raise BadInput(f"raccoon: no raccoon/annotations in $DLW_DATA_HOME ({data_home()})")
    records, names = read_voc_folder(root)
    dataset = load_box_images(records, names, image_size, "raccoon")
    with open(root / "test_labels.csv", newline="", encoding="utf-8") as handle:
        test_files = {row["filename"] for row in csv.DictReader(handle)}
    test = np.array([i for i, r in enumerate(records) if r.path.name in test_files])
    return dataset, test


def split_boxes(
    count: int, val: float, test: float, seed: int, own_test: np.ndarray | None
) -> dict[str, np.ndarray]:
    """Shuffled train / val / test indices; a source's own test split is kept as is."""
    rng = np.random.default_rng(seed)
    pool = np.setdiff1d(np.arange(count), own_test) if own_test is not None else np.arange(count)
    pool = rng.permutation(pool)
    n_test = 0 if own_test is not None else int(round(test * count))
    n_val = int(round(val * count))
    if len(pool) - n_test - n_val < 1:
        raise BadInput(f"data.split: {count} images leave none to train on")
    return {
        "test": own_test if own_test is not None else np.sort(pool[:n_test]),
        "val": np.sort(pool[n_test : n_test + n_val]),
        "train": np.sort(pool[n_test + n_val :]),
    }
