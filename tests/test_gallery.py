"""The gallery on synthetic vectors: SQLite truth, FAISS copy, calibration, bad input."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlworkflow.errors import BadInput
from dlworkflow.gallery import Gallery
from dlworkflow.gallery.attendance import attendance, parse_since, to_csv
from dlworkflow.gallery.calibration import calibrate, genuine_impostor, threshold_at_far
from dlworkflow.gallery.images import load_image
from dlworkflow.gallery.index import APPROXIMATE_FROM, resolve_kind
from dlworkflow.gallery.templates import distances_to_templates

DIM = 16


def people(count: int, samples: int, seed: int = 0, spread: float = 0.08) -> dict[str, np.ndarray]:
    """Identities as tight clusters around random unit centres (like face embeddings)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(count, DIM))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    return {
        f"p{i:03d}": (c + spread * rng.normal(size=(samples, DIM))).astype(np.float32)
        for i, c in enumerate(centres)
    }


def new_gallery(tmp_path: Path, **options) -> Gallery:
    return Gallery.create(tmp_path / "g.db", "synthetic", {"kind": "test"}, DIM, 0.6, **options)


def fill(gallery: Gallery, data: dict[str, np.ndarray]) -> None:
    for name, vectors in data.items():
        gallery.enroll(name, vectors, [f"{name}/{i}" for i in range(len(vectors))])


def brute_force(gallery: Gallery, queries: np.ndarray) -> list[tuple[str, float]]:
    """The nearest identity by numpy over the database rows alone."""
    vectors, labels, names = gallery.vectors()
    distances, identities = distances_to_templates(queries, vectors, labels, gallery.template)
    best = distances.argmin(axis=1)
    return [(names[identities[b]], float(distances[i, b])) for i, b in enumerate(best)]


def brute_force_distances(gallery: Gallery, queries: np.ndarray) -> np.ndarray:
    return np.array([distance for _, distance in brute_force(gallery, queries)])


def samples_count(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT COUNT(*) FROM samples").fetchone()[0]


@pytest.mark.parametrize(
    ("template", "index"), [("all", "flat"), ("mean", "flat"), ("max", "ivf"), ("all", "hnsw")]
)
def test_search_equals_brute_force_through_changes(tmp_path: Path, template, index):
    data = people(12, 5)
    gallery = new_gallery(tmp_path, template=template, index=index)
    fill(gallery, data)
    gallery.enroll("p001", data["p002"][4:], ["odd one"])  # changes p001's template
    gallery.remove("p003")
    gallery.rename("p004", "Dana")
    queries = np.concatenate([v[:2] for v in data.values()]) + 0.01
    found = [m[0] for m in gallery.search(queries)]
    expected = brute_force(gallery, queries)
    assert [m.name for m in found] == [name for name, _ in expected]
    np.testing.assert_allclose([m.distance for m in found], [d for _, d in expected], atol=1e-4)
    reopened = Gallery.open(gallery.path)  # rebuilt from SQLite alone
    assert [m[0].name for m in reopened.search(queries)] == [name for name, _ in expected]
    assert "p003" not in {row["name"] for row in reopened.identities()}
    assert reopened.sync().size == (len(reopened.vectors()[0]) if template == "all" else 11)


def test_identify_says_unknown_and_ranks_distinct_identities(tmp_path: Path):
    data = people(42, 6)  # 252 samples × 41 others ≥ 10/FAR = 10,000 impostor pairs
    gallery = new_gallery(tmp_path)
    fill(gallery, data)
    calibration = gallery.calibration
    assert calibration.method == "calibrated" and calibration.genuine_pairs == 252
    assert calibration.impostor_pairs == 252 * 41 and calibration.far <= 0.001
    candidates = np.concatenate(list(people(50, 1, seed=99).values()))
    stranger = candidates[brute_force_distances(gallery, candidates).argmax()]  # nobody near
    known = data["p007"][0] + 0.01
    decisions = gallery.decide(np.stack([known, stranger]), k=3)
    assert decisions[0].name == "p007" and decisions[0].distance < calibration.threshold
    assert decisions[1].name is None and decisions[1].distance >= calibration.threshold
    names = [m.name for m in decisions[0].candidates]
    assert len(names) == 3 == len(set(names)) and names[0] == "p007"


def test_threshold_accepts_at_most_the_target_far():
    impostor = np.random.default_rng(1).uniform(0.5, 1.5, 5000)
    for far in (0.001, 0.01, 0.1):
        threshold = threshold_at_far(impostor, far)
        assert (impostor < threshold).mean() <= far
        assert (impostor <= threshold).mean() > far - 1 / len(impostor)  # and not lower


def test_calibration_falls_back_and_is_redone_on_change(tmp_path: Path):
    data = people(3, 2)
    few = calibrate(np.concatenate(list(data.values())), np.repeat([0, 1, 2], 2), "all", 0.001, 0.6)
    assert few.method == "default" and few.threshold == 0.6 and "too few pairs" in few.note
    gallery = new_gallery(tmp_path, target_far=0.05)
    fill(gallery, people(12, 4))
    assert gallery.calibration.method == "calibrated"
    calibrated = gallery.threshold
    for name in ("p000", "p001", "p002", "p003", "p004", "p005", "p006"):
        gallery.remove(name)
        if gallery.calibration.method == "calibrated":
            calibrated = gallery.threshold  # the last one measured is kept
    after = gallery.calibration  # 80 impostor pairs measure no FAR of 0.05 (200 needed)
    assert after.method == "kept" and after.impostor_pairs == 20 * 4
    assert after.threshold == calibrated
    assert gallery.recalibrate(0.2).target_far == 0.2 and gallery.calibration.method == "calibrated"


def test_bad_vectors_write_nothing(tmp_path: Path):
    gallery = new_gallery(tmp_path)
    fill(gallery, people(2, 3))
    before = samples_count(gallery.path)
    cases = [
        (np.zeros((2, DIM + 1)), None, r"vectors of shape \(17,\) do not fit .* 16-d"),
        (np.full((1, DIM), np.nan), None, "NaN"),
        (np.zeros((1, DIM)), "other_embedder", "holds vectors of embedder 'synthetic'"),
        (np.zeros((0, DIM)), None, "no face vectors"),
    ]
    for vectors, embedder, message in cases:
        with pytest.raises(BadInput, match=message):
            gallery.enroll("p000", vectors, ["x"] * len(vectors), embedder_name=embedder)
    with pytest.raises(BadInput, match="give 1-200 printable"):
        gallery.enroll(" ", np.zeros((1, DIM)), ["x"])
    with pytest.raises(BadInput, match="no identity named 'nobody'"):
        gallery.remove("nobody")
    with pytest.raises(BadInput, match="'p001' is already in the gallery"):
        gallery.rename("p000", "p001")
    assert samples_count(gallery.path) == before


def test_bad_gallery_files_and_options(tmp_path: Path):
    new_gallery(tmp_path).close()
    with pytest.raises(BadInput, match="already exists"):
        new_gallery(tmp_path)
    with pytest.raises(BadInput, match="'median' is not one of all, mean, max"):
        Gallery.create(tmp_path / "a.db", "x", {}, DIM, 0.6, template="median")
    with pytest.raises(BadInput, match="target FAR 2"):
        Gallery.create(tmp_path / "b.db", "x", {}, DIM, 0.6, target_far=2)
    (tmp_path / "notes.db").write_text("not a database at all " * 100)
    with pytest.raises(BadInput, match="not a gallery database"):
        Gallery.open(tmp_path / "notes.db")
    with pytest.raises(BadInput, match="no gallery there"):
        Gallery.open(tmp_path / "missing.db")


def test_another_connection_sees_changes(tmp_path: Path):
    data = people(4, 3)
    writer = new_gallery(tmp_path)
    fill(writer, dict(list(data.items())[:2]))
    reader = Gallery.open(writer.path)
    fill(writer, dict(list(data.items())[2:]))
    assert reader.search(data["p003"][:1])[0][0].name == "p003"  # rebuilt: generation moved
    reader.enroll("p000", data["p000"][:1], ["again"])
    assert writer.search(data["p000"][:1])[0][0].distance < 1e-5  # and the other way


def test_attendance_first_and_last_per_day(tmp_path: Path):
    gallery = new_gallery(tmp_path)
    day = datetime(2026, 3, 2, 8, 0).timestamp()
    gallery.log([("ann", 0.3, "cam/1.jpg", None), (None, 0.9, "cam/1.jpg", None)], when=day)
    gallery.log([("ann", 0.2, "cam/2.jpg", None)], when=day + 3600)
    gallery.log([("ann", 0.4, "cam/3.jpg", None)], when=day + 86400)
    rows = attendance(gallery)
    assert [(r["day"], r["name"], r["sightings"]) for r in rows] == [
        ("2026-03-02", "ann", 2),
        ("2026-03-02", "unknown", 1),
        ("2026-03-03", "ann", 1),
    ]
    assert rows[0]["first_seen"] == "08:00:00" and rows[0]["last_seen"] == "09:00:00"
    assert rows[0]["best_distance"] == 0.2
    assert len(attendance(gallery, parse_since("2026-03-03"))) == 1
    assert to_csv(rows).splitlines()[0] == "day,name,first_seen,last_seen,sightings,best_distance"
    with pytest.raises(BadInput, match="--since: 'yesterday'"):
        parse_since("yesterday")


def test_images_refused_in_one_line(tmp_path: Path):
    Image.fromarray(np.zeros((300, 400, 3), np.uint8)).save(tmp_path / "big.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert load_image(tmp_path / "big.png").shape == (300, 400, 3)
    with pytest.raises(BadInput, match=r"400x300 = 120,000 pixels is over the cap of 100,000"):
        load_image(tmp_path / "big.png", max_pixels=100_000)
    with pytest.raises(BadInput, match="cannot read image .*broken.jpg"):
        load_image(tmp_path / "broken.jpg")
    with pytest.raises(BadInput, match="missing.png: image file does not exist"):
        load_image(tmp_path / "missing.png")


@pytest.mark.parametrize("template", ["all", "mean", "max"])
def test_calibration_pairs_are_leave_one_out(template):
    data = people(4, 3, spread=0.2)
    vectors = np.concatenate(list(data.values()))
    labels = np.repeat(np.arange(4), 3)
    genuine, impostor = genuine_impostor(vectors, labels, template)
    expected_genuine, expected_impostor = [], []
    for i, vector in enumerate(vectors):  # the definition, one sample at a time
        for identity in range(4):
            members = [j for j in range(12) if labels[j] == identity and j != i]
            if template == "all":
                distance = min(np.linalg.norm(vectors[j] - vector) for j in members)
            else:
                pooled = getattr(np, template)(vectors[members], axis=0)
                distance = np.linalg.norm(pooled - vector)
            (expected_genuine if identity == labels[i] else expected_impostor).append(distance)
    np.testing.assert_allclose(genuine, expected_genuine, atol=1e-4)
    np.testing.assert_allclose(impostor, expected_impostor, atol=1e-4)


def test_auto_index_goes_approximate_at_the_measured_size():
    assert resolve_kind("auto", APPROXIMATE_FROM - 1) == "flat"
    assert resolve_kind("auto", APPROXIMATE_FROM) == "ivf"
    assert resolve_kind("hnsw", 10) == "hnsw"
