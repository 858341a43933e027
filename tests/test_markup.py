"""User strings (class names, identity names, paths, error messages) print as typed:
no Rich markup is interpreted (no MarkupError traceback, no hidden link) and no emoji
code is replaced. The CLI runs in-process (``main`` with argv), so no TensorFlow start."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlworkflow.gallery import Gallery

from .conftest import dlw_in_process

NASTY = ["[/x]", "[link=https://example.com]bob[/link]", "ok:-1:", "[bold]loud", "a:thumbs_up:"]


def _flat(text: str) -> str:
    return " ".join(text.split())  # tables and soft wrapping may split lines


def test_class_names_print_as_typed(tmp_path: Path, monkeypatch, capsys):
    rows = [f"{i % 7},{i % 3},{NASTY[i % len(NASTY)]}" for i in range(200)]
    (tmp_path / "t.csv").write_text("a,b,label\n" + "\n".join(rows) + "\n")
    code, out, err = dlw_in_process(
        monkeypatch,
        capsys,
        "data",
        f"csv:{tmp_path / 't.csv'}",
        "-o",
        "target=label",
        "--out",
        str(tmp_path / "figures"),
    )
    assert code == 0, err
    for name in NASTY:
        assert name in out, name
    assert "👎" not in out and "👍" not in out and "Traceback" not in err


@pytest.mark.parametrize("name", [n for n in NASTY if "/" not in n])
def test_class_folder_names_print_as_typed(tmp_path: Path, monkeypatch, capsys, name: str):
    root = tmp_path / "images"
    rng = np.random.default_rng(0)
    for folder in (name, "plain"):
        (root / folder).mkdir(parents=True)
        for index in range(10):
            pixels = rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / folder / f"{index}.png")
    code, out, err = dlw_in_process(
        monkeypatch, capsys, "data", f"folder:{root}", "--out", str(tmp_path / "figures")
    )
    assert code == 0, err
    assert name in out and "👎" not in out and "👍" not in out


@pytest.mark.parametrize("name", NASTY)
def test_identity_names_print_as_typed(tmp_path: Path, monkeypatch, capsys, name: str):
    db = tmp_path / "g.db"
    with Gallery.create(db, "synthetic", {"kind": "test"}, 4, 0.6) as gallery:
        gallery.enroll(name, np.eye(4, dtype=np.float32)[:2], ["a", "b"])
    code, out, err = dlw_in_process(monkeypatch, capsys, "gallery", "list", "--db", str(db))
    assert code == 0, err
    assert name in out
    code, out, err = dlw_in_process(
        monkeypatch, capsys, "gallery", "rename", name, name + "2", "--db", str(db)
    )
    assert code == 0, err
    assert f"renamed {name} to {name}2" in _flat(out)


@pytest.mark.parametrize("name", NASTY)
def test_error_messages_with_markup_in_paths_print_as_typed(
    tmp_path: Path, monkeypatch, capsys, name: str
):
    missing = tmp_path / f"{name}.yaml"
    code, out, err = dlw_in_process(monkeypatch, capsys, "data", f"folder:{missing}")
    assert code == 2
    assert str(missing) in _flat(err) and "Traceback" not in err
    assert "👎" not in err and "👍" not in err
