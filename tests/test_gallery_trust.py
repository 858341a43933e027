"""The gallery touches only its own files, and a calibration that cannot separate anyone
keeps the threshold in force with a warning instead of setting it to 0."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from dlworkflow.errors import BadInput
from dlworkflow.gallery import Gallery
from dlworkflow.gallery.calibration import Calibration, calibrate

from .test_gallery import DIM, fill, new_gallery, people


def _other_app_db(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        connection.execute("INSERT INTO notes(text) VALUES ('keep me')")
    connection.close()


def _table_named_meta(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    connection.close()


HEADER = b"SQLite format 3\x00"
FOREIGN = {
    "empty file": (lambda p: p.write_bytes(b""), "empty file"),
    "text file": (lambda p: p.write_text("hello"), "not an SQLite file"),
    "another app's database": (_other_app_db, "not a gallery"),
    "a meta table without a schema": (_table_named_meta, "not a gallery"),
    "a truncated SQLite header": (lambda p: p.write_bytes(HEADER + bytes(50)), "db"),
}


@pytest.mark.parametrize("case", sorted(FOREIGN))
def test_a_foreign_file_is_refused_untouched(tmp_path: Path, case: str):
    make, message = FOREIGN[case]
    path = tmp_path / "thing.db"
    make(path)
    before, stat = path.read_bytes(), path.stat()
    with pytest.raises(BadInput, match=message) as error:
        Gallery.open(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing.db"]  # no -wal, no -shm
    if case == "another app's database":
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        connection.close()


def test_the_same_images_under_two_names_keep_the_threshold_with_a_warning(tmp_path: Path):
    gallery = new_gallery(tmp_path, target_far=0.05)  # 10/FAR = 200 impostor pairs needed
    data = people(12, 4)
    fill(gallery, data)
    before = gallery.calibration
    assert before.method == "calibrated" and before.threshold > 0
    gallery.enroll("twin", data["p000"], [f"twin/{i}" for i in range(4)])
    after = gallery.calibration
    assert after.method == "kept" and after.threshold == before.threshold
    assert after.note.startswith("warning:") and "impostor distances are 0" in after.note
    assert gallery.decide(data["p005"][:1])[0].name == "p005"  # still recognises people


def test_genuine_pairs_no_closer_than_impostors_keep_the_threshold():
    # two identities alternating along a line: a sample's nearest other sample is always
    # the other identity, so no threshold accepts a genuine pair before an impostor
    vectors = np.zeros((60, DIM), np.float32)  # 60 impostor pairs: enough for FAR 0.2
    vectors[:, 0] = np.arange(60)
    labels = np.arange(60) % 2
    in_force = Calibration(1.5, "calibrated", 0.2, None, None, 0, 0, "")
    result = calibrate(vectors, labels, "all", 0.2, 0.6, previous=in_force)
    assert result.method == "kept" and result.threshold == 1.5
    assert "no genuine pair is closer" in result.note
    first = calibrate(vectors, labels, "all", 0.2, 0.6)
    assert first.method == "kept" and first.threshold == 0.6  # nothing before: the default
