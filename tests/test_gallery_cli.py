"""``dlw gallery`` end to end in fresh processes, on real ORL faces."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from PIL import Image

from .conftest import DATA_HOME, run_dlw
from .html_parse import ReportPage

ORL = DATA_HOME / "faces_att"


def dlw(tmp_path: Path, *args: str):
    result = run_dlw("gallery", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def test_enroll_identify_attendance_remove(tmp_path: Path):
    assert "128-d, template all" in dlw(tmp_path, "init")
    dlw(tmp_path, "enroll", "ann", str(ORL / "s1/1.pgm"), str(ORL / "s1/2.pgm"))
    dlw(tmp_path, "enroll", "bob", str(ORL / "s2/1.pgm"))
    identified = dlw(tmp_path, "identify", str(ORL / "s1/5.pgm"), str(ORL / "s3/1.pgm"), "--log")
    rows = [line for line in identified.splitlines() if "s1/5.pgm" in line or "s3/1.pgm" in line]
    assert " ann " in rows[0] and " unknown " in rows[1]
    assert "same person" in dlw(tmp_path, "verify", str(ORL / "s1/3.pgm"), str(ORL / "s1/4.pgm"))
    dlw(tmp_path, "attendance", "--csv", "seen.csv")
    seen = list(csv.DictReader((tmp_path / "seen.csv").open()))
    assert [(r["name"], r["sightings"]) for r in seen] == [("ann", "1"), ("unknown", "1")]
    assert "removed bob (1 samples); threshold too few pairs" in dlw(tmp_path, "remove", "bob")
    assert "index: flat, 2 vectors" in dlw(tmp_path, "list")


def test_bad_input_exits_2_with_one_line(tmp_path: Path):
    dlw(tmp_path, "init")
    Image.new("RGB", (100, 100), (80, 80, 80)).save(tmp_path / "wall.png")
    (tmp_path / "photo.jpg").write_text("not a photo")
    cases = [  # one per kind of failure; the library tests cover every message
        (["enroll", "ann", "wall.png", "photo.jpg"], "wall.png: no face found"),
        (["enroll", "ann", str(ORL / "s1/1.pgm"), "photo.jpg"], "cannot read image photo.jpg"),
        (["init", "--db", "x.db", "--far", "2"], "target FAR 2.0"),
    ]
    for args, message in cases:
        result = run_dlw("gallery", *args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.db").exists()


def test_evaluate_writes_metrics_and_a_page(tmp_path: Path):
    args = ["--identities", "3", "--per-identity", "2", "--enroll", "1", "--out", "eval"]
    printed = dlw(tmp_path, "evaluate", str(ORL), *args)
    assert "closed-set rank-1" in printed and "report: eval/report.html" in printed
    metrics = json.loads((tmp_path / "eval/metrics.json").read_text())
    assert metrics["identities"] == {"known": 2, "unknown": 1}
    assert metrics["images"]["known_probes"] + metrics["images"]["unknown_probes"] <= 4
    assert metrics["detection"]["images"] == 6
    assert set(metrics["thresholds"]) == {"calibrated", "default"}
    assert metrics["calibration"]["method"] == "default"  # 2 identities cannot calibrate
    html = (tmp_path / "eval/report.html").read_text()
    page = ReportPage(html)
    assert page.sections == ["summary", "thresholds", "detection"]
    assert f"Open-set recognition on {metrics['dataset'].rsplit('/', 1)[-1]}</h1>" in html
    assert page.external == [] and page.svg_count >= 2
    tables = {t["id"]: t["rows"] for t in page.tables}
    assert [row[0] for row in tables["threshold-table"][1:]] == ["calibrated", "default"]
