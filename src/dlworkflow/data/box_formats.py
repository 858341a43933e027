"""Box labels from disk: YOLO text files, COCO JSON and Pascal VOC XML.

Every label is checked as it is read; a bad one stops the load with one line naming
the file, the line (or JSON / XML path) and what would be valid. Nothing executes code:
YAML is read safely, XML by the standard library's expat (which refuses external
entities and entity expansion bombs), and every file's size is capped before reading.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import yaml

from dlworkflow.data.boxes import LabelledImage, open_image
from dlworkflow.errors import BadInput

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
MAX_LABEL_BYTES = 1_000_000  # one YOLO .txt or VOC .xml
MAX_COCO_BYTES = 500_000_000
MAX_IMAGES = 200_000
EDGE_TOLERANCE = 1e-3  # normalised; labelling tools round boxes at the border


def _read_text(path: Path, limit: int) -> str:
    size = path.stat().st_size
    if size > limit:
        raise BadInput(f"{path}: {size:,} bytes is over the {limit:,} a label file may have")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None


def _image_size(path: Path) -> tuple[int, int]:
    picture = open_image(path)
    return picture.width, picture.height


# ---------------------------------------------------------------- YOLO


def yolo_class_names(root: Path) -> list[str]:
    """Names from ``classes.txt`` (one per line) or ``data.yaml``'s ``names``."""
    text_file, yaml_file = root / "classes.txt", root / "data.yaml"
    if text_file.is_file():
        names = [line.strip() for line in _read_text(text_file, MAX_LABEL_BYTES).splitlines()]
        names = [n for n in names if n]
    elif yaml_file.is_file():
        try:
            data = yaml.safe_load(_read_text(yaml_file, MAX_LABEL_BYTES)) or {}
        except yaml.YAMLError:
            raise BadInput(f"{yaml_file}: not valid YAML") from None
        names = data.get("names") if isinstance(data, dict) else None
        if isinstance(names, dict) and all(isinstance(k, int) for k in names):
            names = (
                [names[k] for k in sorted(names)]
                if sorted(names) == list(range(len(names)))
                else None
            )
        if not isinstance(names, list) or not all(isinstance(n, (str, int)) for n in names):
            raise BadInput(f"{yaml_file}: names: must be a list of class names (or 0..K-1 map)")
        names = [str(n) for n in names]
    else:
        raise BadInput(f"{root}: no classes.txt or data.yaml naming the classes")
    if not names:
        raise BadInput(f"{text_file if text_file.is_file() else yaml_file}: names no class")
    return names


def parse_yolo_line(line: str, where: str, num_classes: int) -> tuple[int, list[float]]:
    """``class cx cy w h`` (normalised) → class id and an ``xyxy`` box in [0, 1]."""
    fields = line.split()
    if len(fields) != 5:
        raise BadInput(f"{where}: expected 5 fields 'class cx cy w h', got {len(fields)}")
    try:
        values = [float(f) for f in fields]
    except ValueError:
        raise BadInput(f"{where}: '{line.strip()}' is not five numbers") from None
    if not all(math.isfinite(v) for v in values):
        raise BadInput(f"{where}: '{line.strip()}' has a value that is not finite")
    label, cx, cy, w, h = values
    if label != int(label) or not 0 <= label < num_classes:
        raise BadInput(
            f"{where}: class id {fields[0]} is not one of 0..{num_classes - 1} "
            f"({num_classes} classes named)"
        )
    for name, value in (("cx", cx), ("cy", cy), ("w", w), ("h", h)):
        if not 0 <= value <= 1:
            raise BadInput(
                f"{where}: {name} = {value:g} is outside [0, 1]; "
                "YOLO coordinates are fractions of the image size"
            )
    if w <= 0 or h <= 0:
        raise BadInput(f"{where}: width and height must be above 0, got w={w:g} h={h:g}")
    box = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
    if min(box) < -EDGE_TOLERANCE or max(box) > 1 + EDGE_TOLERANCE:
        raise BadInput(
            f"{where}: the box cx±w/2, cy±h/2 = [{box[0]:.4f}, {box[1]:.4f}, {box[2]:.4f}, "
            f"{box[3]:.4f}] reaches outside the image [0, 1]"
        )
    return int(label), [min(max(v, 0.0), 1.0) for v in box]


def read_yolo_folder(root: str | Path) -> tuple[list[LabelledImage], list[str]]:
    """A LabelImg / darknet / ultralytics folder: ``images/`` and ``labels/`` side by side
    (subfolders such as ``train/`` mirrored), one ``.txt`` per image; an image without a
    label file has no boxes."""
    root = Path(root)
    images_dir, labels_dir = root / "images", root / "labels"
    for folder in (images_dir, labels_dir):
        if not folder.is_dir():
            raise BadInput(
                f"{root}: no {folder.name}/ folder (a YOLO folder has images/ and labels/)"
            )
    names = yolo_class_names(root)
    images = {
        p.relative_to(images_dir).with_suffix(""): p
        for p in sorted(images_dir.rglob("*"))
        if p.suffix.lower() in IMAGE_SUFFIXES
    }
    if len(images) > MAX_IMAGES:
        raise BadInput(f"{images_dir}: {len(images):,} images is over the {MAX_IMAGES:,} allowed")
    for label_file in sorted(labels_dir.rglob("*.txt")):
        if label_file.relative_to(labels_dir).with_suffix("") not in images:
            raise BadInput(
                f"{label_file}: no image for this label file (looked for "
                f"images/{label_file.relative_to(labels_dir).with_suffix('')}.jpg/.png/…)"
            )
    records = []
    for stem, image_path in images.items():
        label_file = labels_dir / stem.with_suffix(".txt")
        boxes, labels = [], []
        if label_file.is_file():
            for number, line in enumerate(_read_text(label_file, MAX_LABEL_BYTES).splitlines(), 1):
                if line.strip():
                    label, box = parse_yolo_line(line, f"{label_file} line {number}", len(names))
                    labels.append(label)
                    boxes.append(box)
        width, height = _image_size(image_path)
        scale = np.array([width, height] * 2, dtype=np.float64)
        records.append(
            LabelledImage(
                image_path,
                width,
                height,
                np.array(boxes, dtype=np.float64).reshape(-1, 4) * scale,
                np.array(labels, dtype=np.int64),
            )
        )
    if not records:
        raise BadInput(f"{images_dir}: no images ({', '.join(IMAGE_SUFFIXES)})")
    return records, names


# ---------------------------------------------------------------- Pascal VOC


def _xml_number(element: ElementTree.Element, tag: str, where: str) -> float:
    child = element.find(tag)
    if child is None or child.text is None:
        raise BadInput(f"{where}/{tag}: missing")
    try:
        value = float(child.text)
    except ValueError:
        raise BadInput(f"{where}/{tag}: '{child.text.strip()}' is not a number") from None
    if not math.isfinite(value):
        raise BadInput(f"{where}/{tag}: '{child.text.strip()}' is not finite")
    return value


def parse_voc_file(
    path: Path, images_dir: Path, class_names: list[str] | None
) -> tuple[LabelledImage, list[str]]:
    """One labelImg / Pascal VOC XML: its image (by ``<filename>``) and boxes.

    Returns the record and the object names in file order (ids follow ``class_names``
    when given; otherwise the caller numbers the names).
    """
    try:
        root = ElementTree.fromstring(_read_text(path, MAX_LABEL_BYTES))
    except ElementTree.ParseError as error:
        raise BadInput(f"{path}: not valid XML ({error})") from None
    filename = root.findtext("filename")
    if not filename or Path(filename).name != filename:
        raise BadInput(f"{path}: <filename> must name an image file in {images_dir}")
    image_path = images_dir / filename
    if not image_path.is_file():
        raise BadInput(f"{path}: <filename> {filename}: no such image in {images_dir}")
    size = root.find("size")
    if size is None:
        raise BadInput(f"{path}: <size> missing")
    width, height = (
        _xml_number(size, "width", f"{path}: size"),
        _xml_number(size, "height", f"{path}: size"),
    )
    real = _image_size(image_path)
    if (int(width), int(height)) != real:
        raise BadInput(
            f"{path}: <size> says {int(width)}x{int(height)} but {filename} is {real[0]}x{real[1]}"
        )
    boxes, names = [], []
    for number, item in enumerate(root.findall("object"), 1):
        where = f"{path}: object[{number}]"
        name = (item.findtext("name") or "").strip()
        if not name:
            raise BadInput(f"{where}/name: missing")
        if class_names is not None and name not in class_names:
            raise BadInput(f"{where}/name: '{name}' is not one of {', '.join(class_names)}")
        box = item.find("bndbox")
        if box is None:
            raise BadInput(f"{where}/bndbox: missing")
        x1, y1, x2, y2 = (
            _xml_number(box, tag, f"{where}/bndbox") for tag in ("xmin", "ymin", "xmax", "ymax")
        )
        if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
            raise BadInput(
                f"{where}/bndbox: ({x1:g}, {y1:g}, {x2:g}, {y2:g}) needs "
                f"0 ≤ xmin < xmax ≤ {width:g} and 0 ≤ ymin < ymax ≤ {height:g}"
            )
        boxes.append([x1, y1, x2, y2])
        names.append(name)
    record = LabelledImage(
        image_path,
        int(width),
        int(height),
        np.array(boxes, dtype=np.float64).reshape(-1, 4),
        np.array([class_names.index(n) for n in names] if class_names else [], dtype=np.int64),
    )
    return record, names


def read_voc_folder(root: str | Path) -> tuple[list[LabelledImage], list[str]]:
    """``annotations/`` (or ``Annotations/``) of XML files beside ``images/`` (or
    ``JPEGImages/``); class names from ``classes.txt`` if present, else sorted."""
    root = Path(root)
    xml_dir = next((root / n for n in ("annotations", "Annotations") if (root / n).is_dir()), None)
    images_dir = next((root / n for n in ("images", "JPEGImages") if (root / n).is_dir()), None)
    if xml_dir is None or images_dir is None:
        raise BadInput(f"{root}: a VOC folder needs annotations/ and images/ (or JPEGImages/)")
    files = sorted(xml_dir.glob("*.xml"))
    if not files:
        raise BadInput(f"{xml_dir}: no .xml files")
    if len(files) > MAX_IMAGES:
        raise BadInput(f"{xml_dir}: {len(files):,} files is over the {MAX_IMAGES:,} allowed")
    class_names = yolo_class_names(root) if (root / "classes.txt").is_file() else None
    parsed = [parse_voc_file(path, images_dir, class_names) for path in files]
    if class_names is None:
        class_names = sorted({name for _, names in parsed for name in names})
        for record, names in parsed:
            record.labels = np.array([class_names.index(n) for n in names], dtype=np.int64)
    return [record for record, _ in parsed], class_names


# ---------------------------------------------------------------- COCO JSON


def read_coco_file(path: str | Path) -> tuple[list[LabelledImage], list[str]]:
    """A COCO ``instances`` JSON; images sit beside it or in an ``images/`` folder next to
    it. Class ids follow the categories sorted by id; crowd boxes are refused."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such COCO JSON file")
    try:
        data = json.loads(_read_text(path, MAX_COCO_BYTES))
    except json.JSONDecodeError as error:
        raise BadInput(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(data, dict):
        raise BadInput(
            f"{path}: the top level must be an object with images, annotations, categories"
        )
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise BadInput(f"{path}: {key}: must be a list")
    categories = {}
    for i, category in enumerate(data["categories"]):
        if not isinstance(category, dict) or not isinstance(category.get("id"), int):
            raise BadInput(f"{path}: categories[{i}]: needs an integer id and a name")
        categories[category["id"]] = str(category.get("name", category["id"]))
    order = sorted(categories)
    class_names = [categories[c] for c in order]
    folder = path.parent / "images" if (path.parent / "images").is_dir() else path.parent
    if len(data["images"]) > MAX_IMAGES:
        raise BadInput(
            f"{path}: images: {len(data['images']):,} is over the {MAX_IMAGES:,} allowed"
        )
    images: dict[int, dict] = {}
    for i, image in enumerate(data["images"]):
        where = f"{path}: images[{i}]"
        if not isinstance(image, dict) or not isinstance(image.get("id"), int):
            raise BadInput(f"{where}: needs an integer id")
        name = image.get("file_name")
        if not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts:
            raise BadInput(f"{where}.file_name: must be a path inside {folder}")
        if not (folder / name).is_file():
            raise BadInput(f"{where}.file_name: {name}: no such image in {folder}")
        width, height = _image_size(folder / name)
        images[image["id"]] = {
            "path": folder / name,
            "width": width,
            "height": height,
            "boxes": [],
            "labels": [],
        }
    for i, annotation in enumerate(data["annotations"]):
        where = f"{path}: annotations[{i}]"
        if not isinstance(annotation, dict):
            raise BadInput(f"{where}: must be an object")
        if annotation.get("image_id") not in images:
            raise BadInput(f"{where}.image_id: {annotation.get('image_id')!r} names no image")
        if annotation.get("category_id") not in categories:
            raise BadInput(
                f"{where}.category_id: {annotation.get('category_id')!r} is not one of "
                f"{', '.join(map(str, order))}"
            )
        if annotation.get("iscrowd", 0):
            raise BadInput(f"{where}.iscrowd: crowd regions are not boxes of one object")
        bbox = annotation.get("bbox")
        if not (
            isinstance(bbox, list)
            and len(bbox) == 4
            and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in bbox
            )
        ):
            raise BadInput(f"{where}.bbox: must be four numbers [x, y, width, height]")
        image = images[annotation["image_id"]]
        x, y, w, h = bbox
        if (
            w <= 0
            or h <= 0
            or x < 0
            or y < 0
            or x + w > image["width"] + 1
            or y + h > image["height"] + 1
        ):
            raise BadInput(
                f"{where}.bbox: {bbox} must have width, height > 0 and lie inside the "
                f"{image['width']}x{image['height']} image"
            )
        image["boxes"].append([x, y, min(x + w, image["width"]), min(y + h, image["height"])])
        image["labels"].append(order.index(annotation["category_id"]))
    records = [
        LabelledImage(
            image["path"],
            image["width"],
            image["height"],
            np.array(image["boxes"], dtype=np.float64).reshape(-1, 4),
            np.array(image["labels"], dtype=np.int64),
        )
        for image in images.values()
    ]
    if not records:
        raise BadInput(f"{path}: images: empty")
    return records, class_names
