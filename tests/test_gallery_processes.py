"""Real processes against one gallery file: a SIGKILL mid-enrollment, two writers at once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from dlworkflow.gallery import Gallery

DIM, BATCH = 128, 20

ENROLLER = f"""
import sys
import numpy as np
from dlworkflow.gallery import Gallery

path, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(sum(map(ord, prefix)))  # seeded per writer
gallery = Gallery.open(path)
for i in range(count):
    vectors = rng.normal(size=({BATCH}, {DIM})).astype("float32")
    gallery.enroll(f"{{prefix}}{{i:04d}}", vectors, [f"{{prefix}}/{{j}}" for j in range({BATCH})])
    print(i, flush=True)
"""


def start(path: Path, prefix: str, count: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", ENROLLER, str(path), prefix, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def check_consistent(path: Path) -> int:
    """Whole enrollments only, one calibration per change, index equal to SQLite on reopen."""
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = [c for (c,) in connection.execute(
            "SELECT COUNT(s.id) FROM identities i LEFT JOIN samples s ON s.identity_id = i.id "
            "GROUP BY i.id"
        )]  # fmt: skip
        generation = int(
            connection.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0]
        )
        calibrations = connection.execute("SELECT COUNT(*) FROM calibrations").fetchone()[0]
    assert set(counts) <= {BATCH}  # no identity half-enrolled, none left empty
    assert generation == 1 + len(counts) and calibrations == len(counts)
    gallery = Gallery.open(path)
    vectors, labels, names = gallery.vectors()
    assert gallery.sync().size == len(vectors) == BATCH * len(counts)
    probes = vectors[::BATCH] + 0.001
    assert [m[0].name for m in gallery.search(probes)] == [names[i] for i in labels[::BATCH]]
    gallery.close()
    return len(counts)


def test_sigkill_mid_enrollment_leaves_whole_enrollments(tmp_path: Path):
    path = tmp_path / "g.db"
    Gallery.create(path, "synthetic", {"kind": "test"}, DIM, 0.6).close()
    process = start(path, "p", 10_000)
    assert process.stdout is not None
    done = [process.stdout.readline() for _ in range(15)]  # 15 enrollments committed
    time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL and done[-1].strip() == "14"
    enrolled = check_consistent(path)
    assert 15 <= enrolled < 10_000


def test_two_processes_enrolling_at_once_lose_nothing(tmp_path: Path):
    path = tmp_path / "g.db"
    Gallery.create(path, "synthetic", {"kind": "test"}, DIM, 0.6).close()
    processes = [start(path, prefix, 10) for prefix in ("a", "b")]
    for process in processes:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
    assert check_consistent(path) == 20
    names = {row["name"] for row in Gallery.open(path).identities()}
    assert names == {f"{p}{i:04d}" for p in "ab" for i in range(10)}
    assert np.isfinite(Gallery.open(path).threshold)
