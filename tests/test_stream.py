"""Streamed image folders (data.stream, data.cache) and the folder layouts: pre-split
folders and path,label listings; the streamed pixels against the in-memory path's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from dlworkflow.data import load_dataset
from dlworkflow.data.stream import ImageFiles
from dlworkflow.errors import BadInput
from dlworkflow.imagefile import ORIENTATION, open_image
from dlworkflow.train.order import epoch_batches

from .conftest import run_dlw

CLASSES = ["cat", "dog", "fox"]


def _picture(rng: np.random.Generator, label: int, height: int, width: int) -> np.ndarray:
    """A smooth picture (JPEG keeps it close) whose colour says its class."""
    rows, cols = np.mgrid[0:height, 0:width]
    base = np.stack([rows * 4, cols * 4, (rows + cols) * 2], axis=-1) % 120
    return (base + label * 60 + rng.integers(0, 8, (height, width, 3))).astype(np.uint8)


def _classes(root: Path, per_class: int, seed: int = 0, suffixes=(".png", ".jpg")) -> Path:
    rng = np.random.default_rng(seed)
    for label, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True)
        for index in range(per_class):
            pixels = _picture(rng, label, 18 + index % 5, 22 + index % 3)
            Image.fromarray(pixels).save(root / name / f"{index}{suffixes[index % len(suffixes)]}")
    return root


def _load(source: str, stream: bool, **extra) -> object:
    spec = {"source": source, "options": {"image_size": 16}, "stream": stream, **extra}
    return load_dataset({"split": {"val": 0.25, "test": 0.25}, **spec})


@pytest.mark.parametrize("color_mode", ["rgb", "grayscale"])
def test_streamed_pixels_match_the_in_memory_path(tmp_path: Path, color_mode: str):
    root = _classes(tmp_path / "pictures", 8)
    options = {"image_size": [12, 16], "color_mode": color_mode}
    spec = {"source": f"folder:{root}", "options": options, "split": {"val": 0.25, "test": 0.25}}
    memory = load_dataset({**spec, "stream": False})
    streamed = load_dataset({**spec, "stream": True})
    assert isinstance(streamed.train.x, ImageFiles)
    assert (
        streamed.input_shape
        == memory.input_shape
        == (12, 16, 1 if color_mode == "grayscale" else 3)
    )
    assert streamed.preprocessing == memory.preprocessing
    for name, split in memory.splits().items():
        other = streamed.splits()[name]
        np.testing.assert_array_equal(other.y, split.y)  # same files, same order
        difference = np.abs(other.x[:].astype(int) - split.x.astype(int))
        assert difference.max() <= 12 and difference.mean() <= 1.5  # JPEG decoders, rounding
    described = streamed.describe()["splits"]["train"]
    assert described["x_shape"] == list(memory.train.x.shape) and described["x_dtype"] == "uint8"


def test_streamed_training_batches_equal_the_array_batches(tmp_path: Path):
    """PNGs at their own size decode exactly: a streamed epoch is the array epoch, batch
    for batch, in the same seeded order (so resume works the same)."""
    rng = np.random.default_rng(1)
    root = tmp_path / "png"
    for label, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True)
        for index in range(7):
            Image.fromarray(_picture(rng, label, 16, 16)).save(root / name / f"{index}.png")
    memory, streamed = _load(f"folder:{root}", False), _load(f"folder:{root}", True)
    arrays = memory.preprocessing.apply(memory.train.x), memory.train.y
    files = streamed.preprocessing.apply(streamed.train.x), streamed.train.y
    assert isinstance(files[0], ImageFiles) and files[0].dtype == np.float32
    left = list(epoch_batches(*arrays, 4, seed=3, first_epoch=1, epochs=3))
    right = list(epoch_batches(*files, 4, seed=3, first_epoch=1, epochs=3))
    assert len(left) == len(right) == 2 * 3  # two epochs of 11 samples in batches of 4
    for (xa, ya), (xb, yb) in zip(left, right, strict=True):
        np.testing.assert_allclose(np.asarray(xb), np.asarray(xa), atol=1e-6)
        np.testing.assert_array_equal(np.asarray(yb), np.asarray(ya))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_as_pillow_does(tmp_path: Path, orientation: int):
    pixels = _picture(np.random.default_rng(2), 0, 12, 20)
    pixels[:3, :5] = 255  # a bright corner shows which way the picture was turned
    path = tmp_path / "photo.png"
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    Image.fromarray(pixels).save(path, exif=exif)
    expected = np.asarray(open_image(path))  # the in-memory path: exif_transpose
    from dlworkflow.data.stream import check_files

    headers = check_files([path])
    assert headers.tolist() == [[orientation, 20, 12]]
    files = ImageFiles((str(path),), headers, expected.shape[:2], 3)
    np.testing.assert_array_equal(files[0], expected)


def test_presplit_folders_are_used_as_given(tmp_path: Path):
    root = tmp_path / "flowers"
    _classes(root / "train", 6, seed=0)
    _classes(root / "valid", 2, seed=1)
    _classes(root / "test", 3, seed=2)
    for stream in (False, True):
        dataset = _load(f"folder:{root}", stream)
        assert dataset.class_names == CLASSES and dataset.own_test_set
        sizes = {name: len(split) for name, split in dataset.splits().items()}
        assert sizes == {"train": 18, "val": 6, "test": 9}
        assert dataset.val.y.tolist() == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_a_listing_of_paths_and_labels(tmp_path: Path, suffix: str):
    _classes(tmp_path / "pics", 6)
    sep = "\t" if suffix == ".tsv" else ","
    rows = [f"path{sep}label{sep}split"]
    for name in CLASSES:
        for index in range(6):
            split = "test" if index == 5 else ("validation" if index == 4 else "train")
            extension = ".png" if index % 2 == 0 else ".jpg"
            rows.append(f"pics/{name}/{index}{extension}{sep}{name}{sep}{split}")
    listing = tmp_path / f"labels{suffix}"
    listing.write_text("\n".join(rows) + "\n")
    dataset = _load(f"list:{listing}", True)
    assert dataset.class_names == CLASSES
    assert {n: len(s) for n, s in dataset.splits().items()} == {"train": 12, "val": 3, "test": 3}
    assert dataset.test.x.paths[0] == str((tmp_path / "pics/cat/5.jpg").resolve())
    unsplit = tmp_path / f"plain{suffix}"
    unsplit.write_text("\n".join(r.rsplit(sep, 1)[0] for r in rows) + "\n")
    pooled = _load(f"list:{unsplit}", False)  # no split column: drawn as for any source
    assert sum(len(s) for s in pooled.splits().values()) == 18


def test_cache_keeps_decoded_images_between_reads(tmp_path: Path):
    root = _classes(tmp_path / "pictures", 6)
    plain = _load(f"folder:{root}", True)
    cached = _load(f"folder:{root}", True, cache=str(tmp_path / "cache"))
    np.testing.assert_array_equal(cached.train.x[:], plain.train.x[:])
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1  # the training split's, filled
    cached.test.x[:2]
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2  # each split its own
    batches = list(
        epoch_batches(cached.train.x, cached.train.y, 5, seed=0, first_epoch=0, epochs=1)
    )
    seen = np.concatenate([np.asarray(x) for x, _ in batches])
    order = np.random.default_rng([0, 0]).permutation(len(plain.train))
    np.testing.assert_array_equal(seen, plain.train.x[order])


def test_auto_streams_only_above_the_size_threshold(tmp_path: Path, monkeypatch):
    from dlworkflow.data import stream

    root = _classes(tmp_path / "pictures", 6)
    assert isinstance(_load(f"folder:{root}", "auto").train.x, np.ndarray)
    monkeypatch.setattr(stream, "STREAM_BYTES", 18 * 16 * 16 * 3 * 4 - 1)  # a byte under
    assert isinstance(_load(f"folder:{root}", "auto").train.x, ImageFiles)


# --- bad input: one line naming the key or file ----------------------------------------


def _presplit(tmp_path: Path) -> Path:
    root = tmp_path / "split"
    _classes(root / "train", 4)
    _classes(root / "test", 2, seed=3)
    return root


def _listing(tmp_path: Path, rows: list[str], header: str = "path,label") -> Path:
    _classes(tmp_path / "pics", 4)
    path = tmp_path / "list.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _picture_path(name: str, index: int) -> str:
    """Where :func:`_classes` wrote picture ``index`` of class ``name`` (PNG and JPEG alternate)."""
    return f"pics/{name}/{index}{'.png' if index % 2 == 0 else '.jpg'}"


def _always_a() -> list[str]:
    return [f"{_picture_path(n, i)},1,{i % 2}" for n in CLASSES for i in range(4)]


GOOD_ROWS = [f"pics/{name}/{i}.png" + f",{name}" for name in CLASSES for i in (0, 2)]


def test_a_multilabel_listing_gives_a_label_matrix(tmp_path: Path):
    """``path,a,b[,split]`` with 0/1 cells: a multilabel dataset of images, streamed or not."""
    rows = [
        f"{_picture_path(name, i)},{int(name != 'cat')},{i % 2},{'test' if i == 3 else 'train'}"
        for name in CLASSES
        for i in range(4)
    ]
    listing = _listing(tmp_path, rows, "path,not_cat,odd,split")
    for stream in (False, True):
        dataset = load_dataset(
            {"source": f"list:{listing}", "options": {"image_size": 16}, "stream": stream,
             "split": {"val": 0.0}}
        )  # fmt: skip
        assert dataset.task == "multilabel" and dataset.class_names == ["not_cat", "odd"]
        assert dataset.test.y.tolist() == [[0, 1], [1, 1], [1, 1]]
        assert dataset.train.y.shape == (9, 2) and len(dataset.train.x) == 9


def _split_listing(tmp_path: Path, last_row: str) -> str:
    rows = [f"{row},train" for row in GOOD_ROWS]
    return f"list:{_listing(tmp_path, [*rows, last_row], 'path,label,split')}"


def _mismatch(tmp_path: Path) -> str:
    root = _presplit(tmp_path)
    (root / "test" / "fox").rename(root / "test" / "wolf")
    return f"folder:{root}"


def _empty_split(tmp_path: Path) -> str:
    root = _presplit(tmp_path)
    for file in (root / "test" / "dog").iterdir():
        file.unlink()
    return f"folder:{root}"


def _stray(tmp_path: Path) -> str:
    root = _presplit(tmp_path)
    (root / "extra").mkdir()
    return f"folder:{root}"


def _two_vals(tmp_path: Path) -> str:
    root = _presplit(tmp_path)
    _classes(root / "val", 2)
    _classes(root / "valid", 2)
    return f"folder:{root}"


def _truncated(tmp_path: Path) -> str:
    root = _classes(tmp_path / "pics", 4)
    whole = (root / "dog" / "1.jpg").read_bytes()
    (root / "dog" / "1.jpg").write_bytes(whole[: len(whole) // 2])
    return f"folder:{root}"


def _tiff(tmp_path: Path) -> str:
    root = _classes(tmp_path / "pics", 4)
    Image.new("RGB", (8, 8)).save(root / "cat" / "9.tif")
    return f"folder:{root}"


BAD = {
    "missing folder": (lambda t: f"folder:{t / 'nowhere'}", {}, "nowhere does not exist"),
    "class mismatch train/test": (_mismatch, {}, "lacks fox; has wolf that train/ lacks"),
    "empty split": (_empty_split, {}, "dog holds no images"),
    "stray folder beside train/": (_stray, {}, "extra is not a split folder"),
    "two validation folders": (_two_vals, {}, "has val and valid/"),
    "path escaping the listing": (
        lambda t: f"list:{_listing(t, [*GOOD_ROWS, '../outside.png,cat'])}",
        {},
        "list.csv row 8: '../outside.png' leads outside",
    ),
    "absolute path in the listing": (
        lambda t: f"list:{_listing(t, [*GOOD_ROWS, '/etc/passwd,cat'])}",
        {},
        "'/etc/passwd' leads outside",
    ),
    "missing file in the listing": (
        lambda t: f"list:{_listing(t, [*GOOD_ROWS, 'pics/cat/99.png,cat'])}",
        {},
        "row 8: image file pics/cat/99.png does not exist",
    ),
    "unknown label": (
        lambda t: _split_listing(t, "pics/cat/1.jpg,cow,test"),
        {},
        "row 8: label 'cow' (test) is not among the training rows' labels",
    ),
    "bad split value": (
        lambda t: _split_listing(t, "pics/cat/1.jpg,cat,holdout"),
        {},
        "split 'holdout' is not one of",
    ),
    "listing without label column": (
        lambda t: f"list:{_listing(t, ['pics/cat/0.png'], 'path')}",
        {},
        "label column(s) none",
    ),
    "multilabel listing, a cell not 0/1": (
        lambda t: f"list:{_listing(t, ['pics/cat/0.png,1,0', 'pics/dog/0.png,yes,1'], 'path,a,b')}",
        {},
        "list.csv row 3 column 'a': 'yes' is not 0 or 1",
    ),
    "label beside other label columns": (
        lambda t: f"list:{_listing(t, ['pics/cat/0.png,cat,1'], 'path,label,b')}",
        {},
        "label column(s) label, b",
    ),
    "multilabel listing, one label always on": (
        lambda t: f"list:{_listing(t, _always_a(), 'path,a,b')}",
        {},
        "label 'a' is 1 in every one of the",
    ),
    "bad stream value": (lambda t: "digits", {"stream": "sometimes"}, "data.stream"),
    "stream on a non-image source": (lambda t: "digits", {"stream": True}, "data.stream: applies"),
    "bad cache value": (lambda t: f"folder:{_classes(t / 'p', 4)}", {"cache": ""}, "data.cache"),
    "truncated JPEG, streamed": (_truncated, {"stream": True}, "dog/1.jpg"),
    "TIFF, streamed": (_tiff, {"stream": True}, "9.tif is TIFF; streamed folders take"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_is_one_line_naming_it(tmp_path: Path, case: str):
    make, extra, message = BAD[case]
    spec = {"source": make(tmp_path), "options": {"image_size": 8}, **extra}
    with pytest.raises(BadInput) as error:
        load_dataset(spec)
    text = str(error.value)
    assert message in text and "\n" not in text
    assert text.startswith(("data.source", "data.stream", "data.cache"))


@pytest.mark.parametrize("case", ["class mismatch train/test", "truncated JPEG, streamed"])
def test_bad_input_exits_2_before_a_run_folder(tmp_path: Path, case: str):
    make, extra, message = BAD[case]
    config = {"data": {"source": make(tmp_path), "options": {"image_size": 8}, **extra}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = run_dlw("run", "c.yaml", cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr.replace("\n", "")
    assert not (tmp_path / "runs").exists()


# --- end to end -----------------------------------------------------------------------

SMALL_CNN = [
    {"Conv2D": {"filters": 4, "kernel_size": 3, "activation": "relu"}},
    "GlobalAveragePooling2D",
    {"Dense": {"units": 3, "activation": "softmax"}},
]


@pytest.mark.slow
def test_dlw_run_on_a_streamed_folder_of_jpegs(tmp_path: Path):
    root = _classes(tmp_path / "photos", 70, suffixes=(".jpg",))  # 210 generated JPEGs
    config = {
        "name": "streamed",
        "data": {
            "source": f"folder:{root}",
            "options": {"image_size": 16},
            "stream": True,
            "augment": {"horizontal_flip": True},
        },
        "model": {"layers": SMALL_CNN},
        "train": {"epochs": 2, "batch_size": 16, "learnability": False},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = run_dlw("run", "c.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "runs" / "streamed"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2 and 0.0 <= metrics["accuracy"] <= 1.0
    assert (folder / "report.html").is_file() and (folder / "figures" / "samples.png").is_file()
    data = json.loads((folder / "data.json").read_text())
    assert data["splits"]["train"]["size"] + data["splits"]["test"]["size"] < 210


@pytest.mark.slow
def test_a_streamed_run_never_reads_a_whole_split_at_once(tmp_path: Path, monkeypatch):
    """Every step takes a bounded sample or iterates: no read of more images than the
    learnability batch, whatever the split's size."""
    from dlworkflow.data import stream
    from dlworkflow.experiments.runner import run

    largest = []
    read = ImageFiles.read

    def watched(self: ImageFiles, indices: np.ndarray) -> np.ndarray:
        largest.append(len(indices))
        return read(self, indices)

    monkeypatch.setattr(ImageFiles, "read", watched)
    monkeypatch.setattr(stream, "SAMPLE_IMAGES", 8)
    root = _classes(tmp_path / "photos", 30)
    config = {
        "name": "bounded",
        "data": {"source": f"folder:{root}", "options": {"image_size": 16}, "stream": True},
        "model": {"layers": SMALL_CNN},
        "train": {"epochs": 1, "batch_size": 8, "learnability": False},
    }
    finished = run(config, runs_dir=tmp_path / "runs")
    assert (finished.folder / "report.html").is_file()
    assert largest and max(largest) <= 16
