"""Which image files a source names, with their labels and given splits.

Three layouts: the course's ``dataset/<class>/*.jpg`` (one pool, split later);
pre-split folders ``train/``, ``val/``|``valid/``|``validation/``, ``test/``, each with
the same class subfolders (the notes' layout, used as given); and a CSV/TSV listing
``path,label`` — or ``path,label1,label2,…`` with 0/1 cells for multilabel data —
(optional ``split`` column) whose paths are relative to the listing's folder and may not
leave it (the listing may come from someone else).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlworkflow.data.csv_rows import column, read_rows
from dlworkflow.data.multilabel import zero_one
from dlworkflow.errors import BadInput

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".pgm", ".ppm", ".tif", ".tiff", ".webp"}
SPLIT_FOLDERS = {"train": ("train",), "val": ("val", "valid", "validation"), "test": ("test",)}
SPLIT_NAMES = {name: split for split, names in SPLIT_FOLDERS.items() for name in names}
KEY = "data.source"


@dataclass
class ImageListing:
    """Files and labels per split (integer class ids, or 0/1 rows ``(n, labels)`` for a
    multilabel listing): ``train`` always (the whole pool when the source gives no
    splits), ``val`` and ``test`` when the source gives them."""

    name: str
    class_names: list[str]
    splits: dict[str, tuple[list[Path], np.ndarray]]


def folder_listing(root: Path) -> ImageListing:
    """A folder of class subfolders, or of split folders that each hold them."""
    if not root.is_dir():
        raise BadInput(f"{KEY}: folder {root} does not exist")
    if (root / "train").is_dir():
        return _presplit(root)
    names, files, labels = _class_folders(root, None)
    return ImageListing(root.name, names, {"train": (files, labels)})


def _presplit(root: Path) -> ImageListing:
    entries = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    stray = [name for name in entries if name not in SPLIT_NAMES]
    if stray:
        raise BadInput(
            f"{KEY}: {root / stray[0]} is not a split folder; a pre-split folder holds "
            "train/, val/ (or valid/, validation/) and test/, each with class subfolders"
        )
    vals = [name for name in entries if SPLIT_NAMES[name] == "val"]
    if len(vals) > 1:
        raise BadInput(f"{KEY}: {root} has {' and '.join(vals)}/; keep one validation folder")
    names, files, labels = _class_folders(root / "train", None)
    splits = {"train": (files, labels)}
    for split, folder in (("val", vals[0] if vals else None), ("test", "test")):
        if folder is not None and folder in entries:
            _, files, labels = _class_folders(root / folder, names)
            splits[split] = (files, labels)
    return ImageListing(root.name, names, splits)


def _class_folders(
    root: Path, expected: list[str] | None
) -> tuple[list[str], list[Path], np.ndarray]:
    """Class names, files and labels of ``root/<class>/*``; ``expected`` (train's class
    names) must be exactly the classes of a val or test folder."""
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    names = [d.name for d in class_dirs]
    if expected is None and len(class_dirs) < 2:
        raise BadInput(
            f"{KEY}: {root} has {len(class_dirs)} class subfolder(s); "
            "a classification dataset needs at least 2 (one subfolder per class)"
        )
    if expected is not None and names != expected:
        missing = sorted(set(expected) - set(names))
        extra = sorted(set(names) - set(expected))
        said = "; ".join(
            part
            for part in (
                f"lacks {', '.join(missing)}" if missing else "",
                f"has {', '.join(extra)} that train/ lacks" if extra else "",
            )
            if part
        )
        raise BadInput(f"{KEY}: {root} {said}; every split needs train/'s class folders")
    files: list[Path] = []
    labels: list[int] = []
    for label, class_dir in enumerate(class_dirs):
        found = sorted(
            p for p in class_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not found:
            raise BadInput(
                f"{KEY}: class folder {class_dir} holds no images "
                f"({', '.join(sorted(IMAGE_SUFFIXES))})"
            )
        files.extend(found)
        labels.extend([label] * len(found))
    return names, files, np.asarray(labels, np.int64)


def label_columns(header: list[str]) -> list[str]:
    """The columns of a listing that hold labels: all but ``path`` and ``split``. One,
    named ``label``, is a class per row; several (``path,a,b,c``, 0/1 each) are the labels
    of a multilabel dataset."""
    return [name for name in header if name not in ("path", "split")]


def list_listing(path: Path) -> ImageListing:
    """A CSV (or ``.tsv``) listing ``path,label[,split]``; every path relative to the
    listing's folder, inside it, naming an existing file."""
    header, rows = read_rows(path, KEY, "\t" if path.suffix.lower() == ".tsv" else ",")
    column(header, "path", path, KEY)  # refused with a clear line when missing
    labels = label_columns(header)
    if labels != ["label"] and (len(labels) < 2 or "label" in labels):
        raise BadInput(
            f"{KEY}: {path.name} has the label column(s) {', '.join(labels) or 'none'}; a "
            "listing has the columns path and label, or path and two or more 0/1 label "
            "columns for multilabel data (and optionally split)"
        )
    if labels != ["label"]:
        return _multilabel_listing(path, header, rows, labels)
    label_at = header.index("label")
    entries: list[tuple[str, Path, str]] = []
    for number, row in enumerate(rows, start=2):
        where = f"{KEY}: {path.name} row {number}"
        split, file = _split_and_file(path, header, row, where)
        label = row[label_at].strip()
        if not label:
            raise BadInput(f"{where}: the label is blank")
        entries.append((split, file, label))
    names = sorted({label for split, _, label in entries if split == "train"})
    if not names:
        raise BadInput(f"{KEY}: {path.name} has no rows of the train split")
    if len(names) < 2:
        raise BadInput(
            f"{KEY}: {path.name}'s training rows have {len(names)} label(s); a "
            "classification dataset needs at least 2"
        )
    index = {name: i for i, name in enumerate(names)}
    splits: dict[str, tuple[list[Path], list[int]]] = {}
    for number, (split, file, label) in enumerate(entries, start=2):
        if label not in index:
            raise BadInput(
                f"{KEY}: {path.name} row {number}: label '{label}' ({split}) is not among the "
                f"training rows' labels ({', '.join(names)})"
            )
        files, ids = splits.setdefault(split, ([], []))
        files.append(file)
        ids.append(index[label])
    return ImageListing(
        path.stem,
        names,
        {split: (files, np.asarray(ids, np.int64)) for split, (files, ids) in splits.items()},
    )


def _multilabel_listing(
    path: Path, header: list[str], rows: list[list[str]], labels: list[str]
) -> ImageListing:
    """``path,a,b,c[,split]`` rows with a 0/1 cell per label."""
    columns = [header.index(name) for name in labels]
    splits: dict[str, tuple[list[Path], list[list[int]]]] = {}
    for number, row in enumerate(rows, start=2):
        where = f"{KEY}: {path.name} row {number}"
        split, file = _split_and_file(path, header, row, where)
        cells = [zero_one(row[at], f"{where} column '{header[at]}'") for at in columns]
        files, ids = splits.setdefault(split, ([], []))
        files.append(file)
        ids.append(cells)
    if "train" not in splits:
        raise BadInput(f"{KEY}: {path.name} has no rows of the train split")
    return ImageListing(
        path.stem,
        labels,
        {split: (files, np.asarray(ids, np.int64)) for split, (files, ids) in splits.items()},
    )


def _split_and_file(path: Path, header: list[str], row: list[str], where: str) -> tuple[str, Path]:
    """A row's split (train when the listing has no split column) and its image file,
    which must lie inside the listing's folder."""
    text = row[header.index("path")].strip()
    if not text:
        raise BadInput(f"{where}: the path is blank")
    base = path.parent.resolve()
    file = (base / text).resolve()
    if Path(text).is_absolute() or not file.is_relative_to(base):
        raise BadInput(
            f"{where}: '{text}' leads outside {base}; paths are relative to the "
            "listing's folder and stay inside it"
        )
    if not file.is_file():
        raise BadInput(f"{where}: image file {text} does not exist")
    if "split" not in header:
        return "train", file
    given = row[header.index("split")].strip()
    if given.lower() not in SPLIT_NAMES:
        raise BadInput(f"{where}: split '{given}' is not one of {', '.join(SPLIT_NAMES)}")
    return SPLIT_NAMES[given.lower()], file
