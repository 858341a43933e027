"""Bad input, as a new user or an attacker would give it, refused before any work.

Every case is one row of a table: what to call, and a pattern the one-line message must
match (naming the file, key or value). Each asserts the refusal (``BadInput`` in
process; exit code 2 and no traceback through the CLI), a single line, and that nothing
was left on disk. The CLI runs in-process (``main`` with argv) to keep the table fast.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import dlworkflow
from dlworkflow.data import load_dataset
from dlworkflow.errors import BadInput
from dlworkflow.experiments.other_data import evaluate_run
from dlworkflow.gallery import Gallery
from dlworkflow.gallery.operations import enroll_files, identify_files
from dlworkflow.interpret import explain_run

from .conftest import dlw_in_process

# --- helpers -------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root`` with its size and modification time."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
    }


def png_header(path: Path, width: int, height: int) -> Path:
    """A PNG that declares ``width``×``height`` in a few bytes: a decompression bomb to
    anything that decodes before checking the size (and truncated, to anything that does)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(64))) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def expect_refusal(call: Callable[[], object], pattern: str, watched: Path) -> str:
    before = snapshot(watched)
    with pytest.raises(BadInput) as error:
        call()
    message = str(error.value)
    assert "\n" not in message, message
    assert re.search(pattern, message), f"{pattern!r} not in {message!r}"
    assert snapshot(watched) == before, "something was written or changed"
    return message


# --- CSV files -------------------------------------------------------------------------

HEADER = "a,b,label"
GOOD_ROWS = [f"{i % 5},{i % 7},{'xy'[i % 2]}" for i in range(40)]


def _csv(tmp: Path, text: str, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    path = tmp / name
    path.write_bytes(text.encode(encoding))
    return path


def _rows(*changed: str, header: str = HEADER) -> str:
    return "\n".join([header, *changed, *GOOD_ROWS]) + "\n"


CSV_CASES: dict[str, tuple[str, dict, str]] = {
    # name: (file text, options, message pattern)
    "overflow 1e39": (_rows("1e39,1,x"), {}, r"t\.csv column 'a' row 2: 1e39 is beyond float32"),
    "overflow -1e39": (_rows("1,-1e39,x"), {}, r"column 'b' row 2: -1e39 is beyond float32"),
    "overflow 3.5e38": (_rows("3.5e38,1,x"), {}, r"row 2: 3\.5e38 is beyond float32"),
    "nan cell": (_rows("nan,1,x"), {}, r"row 2: nan is not finite"),
    "inf cell": (_rows("1,inf,x"), {}, r"column 'b' row 2: inf is not finite"),
    "text cell": (_rows("1,abc,x"), {}, r"column 'b' row 2: 'abc' is not a number"),
    "empty feature cell": (_rows("1,,x"), {}, r"column 'b' row 2: '' is not a number"),
    "blank target": (_rows("1,2,"), {}, r"t\.csv row 2: the target 'label' is blank"),
    "blank target later": (_rows("1,2,x", "3,4,  "), {}, r"row 3: the target 'label' is blank"),
    "blank regression target": (
        "a,b,y\n" + "\n".join(f"{i},{i},{i * 0.5}" for i in range(30)) + "\n1,2,\n",
        {"target": "y", "task": "regression"},
        r"row 32: the target 'y' is blank",
    ),
    "regression target overflow": (
        "a,y\n" + "\n".join(f"{i},{i * 0.5}" for i in range(30)) + "\n1,1e39\n",
        {"target": "y", "task": "regression"},
        r"row 32: '1e39' is not a float32 number",
    ),
    "duplicate header": (_rows(header="a,a,label"), {}, r"column name\(s\) 'a' more than once"),
    "duplicate header spaced": (_rows(header="a, a ,label"), {}, r"'a' more than once"),
    "duplicate target header": (
        _rows(header="label,b,label"),
        {},
        r"'label' more than once",
    ),
    "field of 200,000 characters": (_rows("1,2," + "x" * 200_000), {}, r"line 2 has a field over"),
    "field of 2,000 characters": (_rows("1," + "9" * 2000 + ",x"), {}, r"line 2 has a field over"),
    "delimiter null": (_rows(), {"delimiter": None}, r"data\.options\.delimiter: None"),
    "delimiter two characters": (_rows(), {"delimiter": "ab"}, r"delimiter: 'ab' is not one"),
    "delimiter empty": (_rows(), {"delimiter": ""}, r"delimiter: '' is not one character"),
    "delimiter newline": (_rows(), {"delimiter": "\n"}, r"delimiter: '\\n' is not one"),
    "delimiter quote": (_rows(), {"delimiter": '"'}, r"delimiter: '\"' is not one"),
    "delimiter number": (_rows(), {"delimiter": 5}, r"delimiter: 5 is not one character"),
    "max_classes -1": (_rows(), {"max_classes": -1}, r"max_classes: -1 is out of range"),
    "max_classes 0": (_rows(), {"max_classes": 0}, r"max_classes: 0 is out of range"),
    "max_classes huge": (_rows(), {"max_classes": 10**9}, r"max_classes: 1000000000 is out"),
    "max_classes text": (_rows(), {"max_classes": "ten"}, r"max_classes: 'ten' is not a whole"),
    "max_classes bool": (_rows(), {"max_classes": True}, r"max_classes: True is not a whole"),
    "max_classes float": (_rows(), {"max_classes": 2.5}, r"max_classes: 2\.5 is not a whole"),
    "short row": (_rows("1,2"), {}, r"row 2 has 2 fields, the header has 3"),
    "long row": (_rows("1,2,x,4"), {}, r"row 2 has 4 fields, the header has 3"),
    "no target option": (_rows(), {"target": None}, r"data\.options\.target: required"),
    "unknown target": (_rows(), {"target": "nope"}, r"column 'nope' not in t\.csv"),
    "unknown task": (_rows(), {"task": "banana"}, r"task: 'banana' is not auto"),
    "unknown option": (_rows(), {"sheet": 1}, r"data\.options\.sheet: not an option"),
    "header only": (HEADER + "\n", {}, r"has no data rows"),
    "empty file": ("", {}, r"has no data rows"),
    "one class": (
        HEADER + "\n" + "\n".join(f"{i},{i},x" for i in range(20)) + "\n",
        {},
        r"has only one class \('x'\)",
    ),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_bad_csv(tmp_path: Path, case: str):
    text, options, pattern = CSV_CASES[case]
    path = _csv(tmp_path, text)
    options = {"target": "label", **options}
    if options["target"] is None:
        del options["target"]
    spec = {"source": f"csv:{path}", "options": options}
    expect_refusal(lambda: load_dataset(spec), pattern, tmp_path)


def test_csv_that_is_not_utf8(tmp_path: Path):
    path = _csv(tmp_path, _rows("1,2,é"), encoding="latin-1")
    spec = {"source": f"csv:{path}", "options": {"target": "label"}}
    expect_refusal(lambda: load_dataset(spec), r"t\.csv is not UTF-8 text", tmp_path)


def test_missing_csv(tmp_path: Path):
    spec = {"source": f"csv:{tmp_path / 'none.csv'}", "options": {"target": "label"}}
    expect_refusal(lambda: load_dataset(spec), r"none\.csv does not exist", tmp_path)


# --- image folders ---------------------------------------------------------------------


def _folder(tmp: Path, extra: Callable[[Path], object] | None = None) -> Path:
    root = tmp / "images"
    rng = np.random.default_rng(0)
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        for index in range(5):
            pixels = rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{index}.png")
    if extra is not None:
        extra(root)
    return root


FOLDER_CASES: dict[str, tuple[Callable[[Path], object] | None, dict, str]] = {
    "decompression bomb": (
        lambda r: png_header(r / "dog" / "bomb.png", 100_000, 100_000),
        {},
        r"data\.source: cannot read image .*dog/bomb\.png \(Image size",
    ),
    "over the default cap": (
        lambda r: png_header(r / "cat" / "huge.png", 6000, 5000),
        {},
        r"image .*cat/huge\.png: 6000x5000 = 30,000,000 pixels is over the cap of 24,000,000",
    ),
    "over a configured cap": (None, {"max_pixels": 400}, r"cat/0\.png: 24x20 = 480 pixels"),
    "bomb under a raised cap": (
        lambda r: png_header(r / "dog" / "bomb.png", 20_000, 10_000),
        {"max_pixels": 10**9},
        r"cannot read image .*bomb\.png \(Image size \(200000000 pixels\)",
    ),
    "truncated image": (
        lambda r: png_header(r / "dog" / "cut.png", 64, 64),
        {},
        r"cannot read image .*dog/cut\.png \(image file is truncated",
    ),
    "not an image": (
        lambda r: (r / "dog" / "notes.jpg").write_text("hello"),
        {},
        r"cannot read image .*dog/notes\.jpg",
    ),
    "empty image file": (
        lambda r: (r / "cat" / "empty.png").write_bytes(b""),
        {},
        r"cannot read image .*cat/empty\.png",
    ),
    "max_pixels 0": (None, {"max_pixels": 0}, r"data\.options\.max_pixels: 0 is not a positive"),
    "max_pixels negative": (None, {"max_pixels": -5}, r"max_pixels: -5 is not a positive"),
    "max_pixels text": (None, {"max_pixels": "big"}, r"max_pixels: 'big' is not a positive"),
    "max_pixels bool": (None, {"max_pixels": True}, r"max_pixels: True is not a positive"),
    "image_size 0": (None, {"image_size": 0}, r"image_size: 0 is not a positive size"),
    "image_size negative": (None, {"image_size": -3}, r"image_size: -3 is not a positive size"),
    "image_size three": (None, {"image_size": [1, 2, 3]}, r"image_size: \[1, 2, 3\] is not"),
    "image_size text": (None, {"image_size": "big"}, r"image_size: 'big' is not a positive"),
    "color mode": (None, {"color_mode": "cmyk"}, r"color_mode: 'cmyk' is not rgb or grayscale"),
    "unknown option": (None, {"resize": "crop"}, r"data\.options\.resize: not an option"),
    "one class folder": (lambda r: shutil.rmtree(r / "dog"), {}, r"has 1 class subfolder"),
    "empty class folder": (lambda r: (r / "fox").mkdir(), {}, r"class folder .*fox holds no"),
}


@pytest.mark.parametrize("case", sorted(FOLDER_CASES))
def test_bad_image_folder(tmp_path: Path, case: str):
    extra, options, pattern = FOLDER_CASES[case]
    root = _folder(tmp_path, extra)
    spec = {"source": f"folder:{root}", "options": {"image_size": 16, **options}}
    expect_refusal(lambda: load_dataset(spec), pattern, tmp_path)


def test_missing_image_folder(tmp_path: Path):
    spec = {"source": f"folder:{tmp_path / 'none'}"}
    expect_refusal(lambda: load_dataset(spec), r"folder .*none does not exist", tmp_path)


# --- the CLI's options -----------------------------------------------------------------


def expect_exit_2(monkeypatch, capsys, watched: Path, pattern: str, *args: str) -> None:
    before = snapshot(watched)
    code, _, err = dlw_in_process(monkeypatch, capsys, *args)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(pattern, lines[0]), f"{pattern!r} not in {lines[0]!r}"
    assert "Traceback" not in err
    assert snapshot(watched) == before, "something was written or changed"


SMALL = {
    "name": "tiny",
    "data": {"source": "digits", "limit": 200},
    "model": {"zoo": "mlp", "options": {"hidden": [8]}},
    "train": {"epochs": 1, "batch_size": 32, "learnability": False},
}


def _config(tmp: Path) -> Path:
    path = tmp / "tiny.yaml"
    path.write_text(json.dumps(SMALL))  # JSON is YAML
    return path


CLI_CASES: dict[str, tuple[list[str], str]] = {
    # name: (arguments; {config} and {tmp} are filled in, message pattern)
    "run --jobs 0": (["run", "{config}", "--jobs", "0"], r"--jobs: 0 is out of range"),
    "run --jobs -3": (["run", "{config}", "--jobs", "-3"], r"--jobs: -3 is out of range"),
    "run --jobs 10000": (["run", "{config}", "--jobs", "10000"], r"--jobs: 10000 is out"),
    "run --runs-dir a file": (
        ["run", "{config}", "--runs-dir", "{tmp}/tiny.yaml"],
        r"--runs-dir: .*tiny\.yaml is not a directory",
    ),
    "run --runs-dir under a file": (
        ["run", "{config}", "--runs-dir", "{tmp}/tiny.yaml/runs"],
        r"--runs-dir: .*tiny\.yaml is not a directory",
    ),
    "run a missing config": (["run", "{tmp}/none.yaml"], r"none\.yaml"),
    "lr-find --steps 0": (["lr-find", "{config}", "--steps", "0"], r"--steps: 0 is out of range"),
    "lr-find --steps -1": (["lr-find", "{config}", "--steps", "-1"], r"--steps: -1 is out"),
    "lr-find --start 0": (["lr-find", "{config}", "--start", "0"], r"--start/--end: need 0 <"),
    "lr-find --end below --start": (
        ["lr-find", "{config}", "--start", "1", "--end", "0.1"],
        r"--start/--end",
    ),
    "data --option without =": (["data", "digits", "-o", "image_size"], r"--option: 'image_size'"),
    "data --limit 0": (["data", "digits", "--limit", "0"], r"limit"),
    "data --limit -5": (["data", "digits", "--limit", "-5"], r"limit"),
    "data unknown source": (["data", "nosuchset"], r"nosuchset"),
    "evaluate a missing run": (["evaluate", "{tmp}/none", "--data", "digits"], r"none: run folder"),
    "explain a missing run": (["explain", "{tmp}/none", "test:0"], r"none: run folder does not"),
    "report a missing run": (["report", "{tmp}/none"], r"none: run folder does not exist"),
    "model --classes 0": (["model", "mlp", "--classes", "0"], r"--classes: 0 is out of range"),
    "model --classes -3": (["model", "mlp", "--classes", "-3"], r"--classes: -3 is out of range"),
    "model --input-shape 0": (
        ["model", "mlp", "--input-shape", "28,0,1"],
        r"--input-shape: 0 is out of range",
    ),
    "model --input-shape negative": (
        ["model", "mlp", "--input-shape", "-28,28,1"],
        r"--input-shape: -28 is out of range",
    ),
    "model --input-shape huge": (
        ["model", "mlp", "--input-shape", "100000,100000,3"],
        r"--input-shape: 100000 is out of range; give a whole number from 1 to 8192",
    ),
    "model --input-shape text": (
        ["model", "mlp", "--input-shape", "a,b"],
        r"--input-shape: 'a,b' is not like 28,28,1",
    ),
    "model --rankdir": (["model", "mlp", "--rankdir", "XY"], r"--rankdir: 'XY' is not TB or LR"),
    "gallery list: no gallery": (["gallery", "list", "--db", "{tmp}/g.db"], r"g\.db: no gallery"),
    "gallery list: empty file": (
        ["gallery", "list", "--db", "{tmp}/tiny.yaml"],
        r"tiny\.yaml: not a gallery database \(not an SQLite file\)",
    ),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_bad_cli_options(tmp_path: Path, monkeypatch, capsys, case: str):
    arguments, pattern = CLI_CASES[case]
    config = _config(tmp_path)
    monkeypatch.chdir(tmp_path)  # a default runs/ would appear here
    args = [a.format(config=config, tmp=tmp_path) for a in arguments]
    expect_exit_2(monkeypatch, capsys, tmp_path, pattern, *args)


# --- crafted run folders ---------------------------------------------------------------


class Payload:
    """Unpickling this creates ``marker``: proof that a load ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real, finished digits run (one epoch of a tiny MLP)."""
    return dlworkflow.run(SMALL, runs_dir=tmp_path_factory.mktemp("runs")).folder


def _knn_claim(folder: Path) -> None:
    (folder / "transfer.json").write_text(json.dumps({"head": {"in_model": False}}))


def _pickle_head(folder: Path) -> None:
    _knn_claim(folder)
    (folder / "head.joblib").write_bytes(pickle.dumps(Payload(folder.parent / "pwned")))


def _object_npz_head(folder: Path) -> None:
    _knn_claim(folder)
    marker = folder.parent / "pwned"
    np.savez(folder / "head.npz", points=np.array([Payload(marker)], dtype=object))


def _pickle_npz_head(folder: Path) -> None:
    _knn_claim(folder)
    (folder / "head.npz").write_bytes(pickle.dumps(Payload(folder.parent / "pwned")))


RUN_CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "pickled head.joblib": (_pickle_head, r"head\.npz: missing from the run folder"),
    "object array in head.npz": (_object_npz_head, r"head\.npz: not a k-NN head archive"),
    "pickle named head.npz": (_pickle_npz_head, r"head\.npz: not a k-NN head archive"),
    "no metrics.json": (lambda f: (f / "metrics.json").unlink(), r"metrics\.json: missing"),
    "corrupt metrics.json": (
        lambda f: (f / "metrics.json").write_text("{oops"),
        r"metrics\.json: corrupt JSON",
    ),
    "metrics.json a list": (
        lambda f: (f / "metrics.json").write_text("[1, 2]"),
        r"metrics\.json: expected a JSON mapping",
    ),
    "corrupt data.json": (
        lambda f: (f / "data.json").write_bytes(b"\xff\xfe"),
        r"data\.json: corrupt JSON",
    ),
    "config.yaml with a python tag": (
        lambda f: (f / "config.yaml").write_text("!!python/object/apply:os.system ['id']\n"),
        r"config\.yaml: corrupt YAML",
    ),
    "corrupt history.csv": (
        lambda f: (f / "history.csv").write_text("epoch,loss\n1,abc\n"),
        r"history\.csv: corrupt history",
    ),
    "no model.keras": (lambda f: (f / "model.keras").unlink(), r"model\.keras: missing from"),
    "model.keras not a zip": (
        lambda f: (f / "model.keras").write_bytes(b"PK\x03\x04 not really"),
        r"model\.keras: cannot be loaded as a Keras model",
    ),
    "model.keras a pickle": (
        lambda f: (f / "model.keras").write_bytes(pickle.dumps(Payload(f.parent / "pwned"))),
        r"model\.keras: cannot be loaded as a Keras model",
    ),
}


def _crafted(tmp_path: Path, finished_run: Path, case: str) -> tuple[Path, str]:
    craft, pattern = RUN_CASES[case]
    folder = tmp_path / "run"
    shutil.copytree(finished_run, folder)
    craft(folder)
    return folder, pattern


@pytest.mark.parametrize("case", sorted(RUN_CASES))
def test_crafted_run_folder_for_evaluate(tmp_path: Path, finished_run: Path, case: str):
    folder, pattern = _crafted(tmp_path, finished_run, case)
    expect_refusal(
        lambda: evaluate_run(folder, {"source": "digits", "limit": 100}), pattern, tmp_path
    )
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("case", sorted(c for c in RUN_CASES if "head" not in c))
def test_crafted_run_folder_for_explain(tmp_path: Path, finished_run: Path, case: str):
    folder, pattern = _crafted(tmp_path, finished_run, case)
    expect_refusal(lambda: explain_run(folder, ["test:0"], ["saliency"]), pattern, tmp_path)
    assert not (tmp_path / "pwned").exists()


def _image(tmp: Path, name: str = "probe.png") -> Path:
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp / name)
    return tmp / name


EXPLAIN_CASES: dict[str, tuple[Callable[[Path], list[str]], dict, str]] = {
    # name: (images given, keyword arguments, message pattern)
    "test:-1": (lambda t: ["test:-1"], {}, r"test:-1: the test split has images 0–"),
    "test:abc": (lambda t: ["test:abc"], {}, r"test:abc: expected test:N"),
    "test:99999": (lambda t: ["test:99999"], {}, r"test:99999: the test split has images"),
    "no image": (lambda t: [], {}, r"give at least one IMAGE"),
    "missing file": (lambda t: [str(t / "none.png")], {}, r"none\.png: no such image file"),
    "decompression bomb": (
        lambda t: [str(png_header(t / "bomb.png", 100_000, 100_000))],
        {},
        r"cannot read image .*bomb\.png \(Image size",
    ),
    "over the cap": (
        lambda t: [str(_image(t))],
        {"max_pixels": 10},
        r"image .*probe\.png: 8x8 = 64 pixels is over the cap of 10",
    ),
    "max_pixels 0": (lambda t: ["test:0"], {"max_pixels": 0}, r"--max-pixels: 0 is not a pos"),
    "not an image": (
        lambda t: [str(t / "notes.png")] if (t / "notes.png").write_text("hi") else [],
        {},
        r"cannot read image .*notes\.png",
    ),
    "patch 0": (lambda t: ["test:0"], {"patch": 0}, r"--patch: 0 is out of range; .* from 1 to 8"),
    "stride 0": (lambda t: ["test:0"], {"stride": 0}, r"--stride: 0 is out of range"),
    "patch -2": (lambda t: ["test:0"], {"patch": -2}, r"--patch: -2 is out of range"),
    "patch beyond the image": (lambda t: ["test:0"], {"patch": 9}, r"--patch: 9 is out of range"),
    "stride text": (lambda t: ["test:0"], {"stride": "2"}, r"--stride: '2' is not a whole"),
    "unknown class": (lambda t: ["test:0"], {"target": "eleven"}, r"eleven"),
}


@pytest.mark.parametrize("case", sorted(EXPLAIN_CASES))
def test_bad_explain_inputs(tmp_path: Path, finished_run: Path, case: str):
    images, options, pattern = EXPLAIN_CASES[case]
    folder = tmp_path / "run"
    shutil.copytree(finished_run, folder)
    given = images(tmp_path)
    expect_refusal(lambda: explain_run(folder, given, ["saliency"], **options), pattern, tmp_path)


def test_explain_test_minus_one_prints_no_emoji(
    tmp_path: Path, finished_run: Path, monkeypatch, capsys
):
    folder = tmp_path / "run"
    shutil.copytree(finished_run, folder)
    expect_exit_2(
        monkeypatch,
        capsys,
        tmp_path,
        r"error: test:-1: the test",
        "explain",
        str(folder),
        "test:-1",
    )


# --- galleries -------------------------------------------------------------------------


@pytest.fixture
def gallery(tmp_path: Path) -> Gallery:
    with Gallery.create(tmp_path / "g.db", "synthetic", {"kind": "test"}, 4, 0.6) as made:
        made.enroll("ann", np.eye(4, dtype=np.float32)[:2], ["a", "b"])
    return Gallery.open(tmp_path / "g.db")


# The options are checked before any image is read or any face embedded, so no embedder
# is needed to see them refused (None stands where one would be).
GALLERY_CASES: dict[str, tuple[Callable[[Gallery, Path], object], str]] = {
    "identify --top-k 0": (
        lambda g, t: identify_files(g, None, [t / "probe.png"], k=0),
        r"--top-k: 0 is out of range",
    ),
    "identify --top-k -1": (
        lambda g, t: identify_files(g, None, [t / "probe.png"], k=-1),
        r"--top-k: -1 is out of range",
    ),
    "identify --top-k 10**6": (
        lambda g, t: identify_files(g, None, [t / "probe.png"], k=10**6),
        r"--top-k: 1000000 is out of range",
    ),
    "identify --max-pixels 0": (
        lambda g, t: identify_files(g, None, [t / "probe.png"], max_pixels=0),
        r"--max-pixels: 0 is not a positive",
    ),
    "enroll --every 0": (
        lambda g, t: enroll_files(g, None, "bob", [t / "probe.png"], every=0),
        r"--every: 0 is out of range",
    ),
    "enroll --max-pixels -1": (
        lambda g, t: enroll_files(g, None, "bob", [t / "probe.png"], max_pixels=-1),
        r"--max-pixels: -1 is not a positive",
    ),
    "empty name": (lambda g, t: g.enroll("", np.eye(4, dtype=np.float32)[:1], ["x"]), r"''"),
    "blank name": (lambda g, t: g.enroll("   ", np.eye(4, dtype=np.float32)[:1], ["x"]), r"''"),
    "control character in a name": (
        lambda g, t: g.enroll("a\x00b", np.eye(4, dtype=np.float32)[:1], ["x"]),
        r"identity name 'a\\x00b'",
    ),
    "name of 201 characters": (
        lambda g, t: g.enroll("n" * 201, np.eye(4, dtype=np.float32)[:1], ["x"]),
        r"give 1-200 printable",
    ),
    "vectors of the wrong width": (
        lambda g, t: g.enroll("bob", np.ones((1, 5), np.float32), ["x"]),
        r"5",
    ),
    "NaN vector": (
        lambda g, t: g.enroll("bob", np.full((1, 4), np.nan, np.float32), ["x"]),
        r"(?i)nan|finite",
    ),
    "rename to an existing name": (lambda g, t: g.rename("ann", "ann"), r"'ann' is already"),
    "remove an unknown name": (lambda g, t: g.remove("zed"), r"no identity named 'zed'"),
    "calibrate at FAR 0": (lambda g, t: g.recalibrate(0.0), r"target FAR 0\.0"),
    "calibrate at FAR 1": (lambda g, t: g.recalibrate(1.0), r"target FAR 1\.0"),
    "calibrate at FAR -1": (lambda g, t: g.recalibrate(-1.0), r"target FAR -1\.0"),
}


@pytest.mark.parametrize("case", sorted(GALLERY_CASES))
def test_bad_gallery_inputs(tmp_path: Path, gallery: Gallery, case: str):
    call, pattern = GALLERY_CASES[case]
    probe_dir = tmp_path / "probes"
    probe_dir.mkdir()
    _image(probe_dir)  # made before the snapshot, so only the call is watched
    with gallery:
        expect_refusal(lambda: call(gallery, probe_dir), pattern, tmp_path)


# --- an unfinished run folder to resume ------------------------------------------------

RESUME_CASES: dict[str, tuple[str, str]] = {
    "state.json not JSON": ("{oops", r"checkpoints/state\.json: corrupt training state"),
    "state.json unknown key": (
        json.dumps({"epochs_done": 1, "run": "code"}),
        r"state\.json: corrupt training state \(.*'run'",
    ),
    "state.json wrong generator states": (
        json.dumps({"epochs_done": 1, "seed_states": [[1, 2], [3, 4]]}),
        r"checkpoints/state\.json: 2 saved random-generator states do not fit",
    ),
}


@pytest.mark.parametrize("case", sorted(RESUME_CASES))
def test_crafted_unfinished_run_is_refused_on_resume(tmp_path: Path, finished_run: Path, case: str):
    state, pattern = RESUME_CASES[case]
    folder = tmp_path / "tiny"
    shutil.copytree(finished_run, folder)
    (folder / "metrics.json").unlink()  # unfinished: the same config resumes it
    (folder / "checkpoints").mkdir()
    shutil.copy(folder / "model.keras", folder / "checkpoints" / "last.keras")
    (folder / "checkpoints" / "state.json").write_text(state)
    expect_refusal(lambda: dlworkflow.run(SMALL, runs_dir=tmp_path), pattern, tmp_path)
