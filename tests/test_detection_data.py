"""Box sources: YOLO, VOC and COCO files, bad labels named by file and line, shapes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlworkflow.data.box_formats import read_coco_file, read_voc_folder, read_yolo_folder
from dlworkflow.data.box_sources import load_box_source, split_boxes
from dlworkflow.data.shapes import render_shapes
from dlworkflow.errors import BadInput
from tests.conftest import DATA_HOME

RACCOON = DATA_HOME / "raccoon"


def write_yolo(root: Path, labels: dict[str, str], names=("cat", "dog")) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    (root / "classes.txt").write_text("\n".join(names) + "\n")
    for stem, text in labels.items():
        Image.new("RGB", (40, 20), (90, 90, 90)).save(root / "images" / f"{stem}.png")
        if text is not None:
            (root / "labels" / f"{stem}.txt").write_text(text)
    return root


def test_yolo_folder_loads_boxes_in_pixels(tmp_path: Path) -> None:
    root = write_yolo(tmp_path / "y", {"a": "0 0.5 0.5 0.5 0.5\n1 0.25 0.25 0.5 0.5\n", "b": ""})
    records, names = read_yolo_folder(root)
    assert names == ["cat", "dog"]
    np.testing.assert_allclose(records[0].boxes, [[10, 5, 30, 15], [0, 0, 20, 10]])
    assert records[0].labels.tolist() == [0, 1] and len(records[1].boxes) == 0


def test_yolo_names_from_data_yaml(tmp_path: Path) -> None:
    root = write_yolo(tmp_path / "y", {"a": "2 0.5 0.5 0.2 0.2\n"})
    (root / "classes.txt").unlink()
    (root / "data.yaml").write_text("names: {0: a, 1: b, 2: c}\n")
    assert read_yolo_folder(root)[1] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 0.5 0.5 0.2\n", "line 1: expected 5 fields"),
        ("0 0.5 0.5 0.2 0.2\n0 0.5 x 0.2 0.2\n", "line 2: '0 0.5 x 0.2 0.2' is not five numbers"),
        ("2 0.5 0.5 0.2 0.2\n", "line 1: class id 2 is not one of 0..1"),
        ("0.5 0.5 0.5 0.2 0.2\n", "line 1: class id 0.5 is not one of 0..1"),
        ("0 1.2 0.5 0.2 0.2\n", "line 1: cx = 1.2 is outside [0, 1]"),
        ("0 0.5 0.5 0 0.2\n", "line 1: width and height must be above 0"),
        ("\n0 0.95 0.5 0.2 0.2\n", "line 2: the box cx±w/2"),
        ("0 nan 0.5 0.2 0.2\n", "line 1: '0 nan 0.5 0.2 0.2' has a value that is not finite"),
    ],
)
def test_bad_yolo_lines_are_named_by_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    root = write_yolo(tmp_path / "y", {"ok": "0 0.5 0.5 0.2 0.2\n", "bad": text})
    with pytest.raises(BadInput, match="bad.txt " + __import__("re").escape(message)):
        read_yolo_folder(root)


def test_a_label_file_without_its_image_is_refused(tmp_path: Path) -> None:
    root = write_yolo(tmp_path / "y", {"a": "0 0.5 0.5 0.2 0.2\n"})
    (root / "labels" / "ghost.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    with pytest.raises(BadInput, match=r"ghost.txt: no image for this label file"):
        read_yolo_folder(root)


def test_raccoon_voc_and_yolo_labels_agree() -> None:
    voc, voc_names = read_voc_folder(RACCOON)
    yolo, yolo_names = read_yolo_folder(RACCOON)
    assert voc_names == yolo_names == ["raccoon"]
    assert len(voc) == len(yolo) == 200
    by_name = {r.path.name: r for r in yolo}
    assert sum(len(r.boxes) for r in voc) == 217
    for record in voc:
        other = by_name[record.path.name]
        assert (record.width, record.height) == (other.width, other.height)
        np.testing.assert_array_equal(record.labels, other.labels)
        # YOLO files hold 6 decimals of a fraction: within a pixel, and equal once rounded
        np.testing.assert_allclose(record.boxes, other.boxes, atol=1.0)
        np.testing.assert_array_equal(np.round(other.boxes), record.boxes)


def test_raccoon_source_keeps_the_authors_test_split() -> None:
    dataset, test = load_box_source("raccoon", {}, (32, 32), seed=0)
    assert len(dataset) == 200 and len(test) == 40
    assert sum(len(dataset.boxes[i]) for i in test) == 44
    splits = split_boxes(len(dataset), 0.1, 0.2, 0, test)
    assert len(splits["train"]) + len(splits["val"]) == 160
    assert not set(splits["train"]) & set(test.tolist())


def write_voc(root: Path, box: str, name: str = "cat", size: str = "40 20") -> Path:
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    Image.new("RGB", (40, 20)).save(root / "images" / "a.png")
    width, height = size.split()
    x1, y1, x2, y2 = box.split()
    (root / "annotations" / "a.xml").write_text(
        f"<annotation><filename>a.png</filename><size><width>{width}</width>"
        f"<height>{height}</height></size><object><name>{name}</name><bndbox><xmin>{x1}</xmin>"
        f"<ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object></annotation>"
    )
    return root


@pytest.mark.parametrize(
    ("box", "size", "message"),
    [
        ("1 2 30 15", "40 20", None),
        ("30 2 10 15", "40 20", r"a.xml: object\[1\]/bndbox: \(30, 2, 10, 15\) needs"),
        ("1 2 41 15", "40 20", r"object\[1\]/bndbox: .* xmax ≤ 40"),
        ("1 two 30 15", "40 20", r"object\[1\]/bndbox/ymin: 'two' is not a number"),
        ("1 2 30 15", "50 20", r"a.xml: <size> says 50x20 but a.png is 40x20"),
    ],
)
def test_voc_boxes_are_checked(tmp_path: Path, box: str, size: str, message: str | None) -> None:
    root = write_voc(tmp_path / "v", box, size=size)
    if message is None:
        records, names = read_voc_folder(root)
        assert names == ["cat"] and records[0].boxes.tolist() == [[1, 2, 30, 15]]
    else:
        with pytest.raises(BadInput, match=message):
            read_voc_folder(root)


def write_coco(root: Path, annotations: list) -> Path:
    (root / "images").mkdir(parents=True)
    Image.new("RGB", (40, 20)).save(root / "images" / "a.png")
    data = {
        "images": [{"id": 7, "file_name": "a.png", "width": 40, "height": 20}],
        "annotations": annotations,
        "categories": [{"id": 3, "name": "dog"}, {"id": 1, "name": "cat"}],
    }
    (root / "instances.json").write_text(json.dumps(data))
    return root / "instances.json"


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        ({"image_id": 7, "category_id": 3, "bbox": [1, 2, 10, 5]}, None),
        ({"image_id": 8, "category_id": 3, "bbox": [1, 2, 10, 5]}, r"annotations\[0\].image_id"),
        ({"image_id": 7, "category_id": 2, "bbox": [1, 2, 10, 5]}, r"category_id: 2 is not one"),
        ({"image_id": 7, "category_id": 3, "bbox": [1, 2, 50, 5]}, r"bbox: .* inside the 40x20"),
        ({"image_id": 7, "category_id": 3, "bbox": [1, 2, "w", 5]}, r"bbox: must be four numbers"),
    ],
)
def test_coco_annotations_are_checked(tmp_path: Path, annotation: dict, message) -> None:
    path = write_coco(tmp_path, [annotation])
    if message is None:
        records, names = read_coco_file(path)
        assert names == ["cat", "dog"]  # categories by id
        assert records[0].boxes.tolist() == [[1, 2, 11, 7]] and records[0].labels.tolist() == [1]
    else:
        with pytest.raises(BadInput, match=message):
            read_coco_file(path)


def test_shapes_are_seeded_and_boxes_match_the_masks() -> None:
    first = render_shapes(count=20, size=48, seed=3)
    again = render_shapes(count=20, size=48, seed=3)
    np.testing.assert_array_equal(first.images, again.images)
    assert first.names == again.names and first.class_names == ["circle", "square", "triangle"]
    for mask, boxes, labels in zip(first.masks, first.boxes, first.labels, strict=True):
        assert 1 <= len(boxes) <= 4
        for box, label in zip(boxes.astype(int), labels, strict=True):
            inside = mask[box[1] : box[3], box[0] : box[2]]
            assert (inside == label + 1).any()
            assert (inside[0] == label + 1).any() and (inside[:, -1] == label + 1).any()
        assert set(np.unique(mask)) <= {0, *(labels + 1).tolist()}
    assert not np.array_equal(render_shapes(count=2, seed=4).images, first.images[:2])


@pytest.mark.parametrize(
    ("source", "options", "message"),
    [
        ("shapes", {"count": 0}, "data.options.count: 0 must be between"),
        ("shapes", {"colour": 1}, "data.options.colour: not an option of shapes"),
        ("yolo", {}, "data.source: 'yolo' is not one of"),
        ("pets", {}, "data.source: 'pets' is not one of"),
    ],
)
def test_bad_sources_are_refused(source: str, options: dict, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        load_box_source(source, options, (32, 32), 0)


def test_mirrored_scenes_keep_boxes_on_their_shapes() -> None:
    scenes = render_shapes(count=5, size=40, seed=2)
    mirrored = scenes.mirrored()
    np.testing.assert_array_equal(mirrored.images[:, :, ::-1], scenes.images)
    for mask, boxes, labels in zip(mirrored.masks, mirrored.boxes, mirrored.labels, strict=True):
        for box, label in zip(boxes.astype(int), labels, strict=True):
            inside = mask[box[1] : box[3], box[0] : box[2]]
            assert (inside[:, 0] == label + 1).any() and (inside[:, -1] == label + 1).any()
