"""Image-level gallery operations: enroll, identify, verify, each callable from Python.

Everything is embedded before the database is touched, so a bad image (no face, two
faces, a corrupt file) stops the enrollment with nothing written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlworkflow.errors import BadInput
from dlworkflow.gallery.embedders import Box, Embedder, Face, make_embedder
from dlworkflow.gallery.gallery import Decision, Gallery
from dlworkflow.gallery.images import MAX_PIXELS, is_video, load_image, video_frames
from dlworkflow.gallery.templates import pairwise
from dlworkflow.imagefile import check_max_pixels
from dlworkflow.ranges import whole_number

MAX_TOP_K = 100  # candidates shown per face


@dataclass
class Sighting:
    """One face found in one image, and who it is (or unknown)."""

    source: str
    box: Box
    decision: Decision


def embedder_for(gallery: Gallery, **options) -> Embedder:
    """The gallery's own embedder (detector options apply to dlib only)."""
    return make_embedder(gallery.embedder_spec, **options)


def enroll_files(
    gallery: Gallery,
    embedder: Embedder,
    name: str,
    paths: list[str | Path],
    every: int = 5,
    max_pixels: int = MAX_PIXELS,
) -> int:
    """Enroll ``name`` from images (one face each) and videos (every ``every``-th frame)."""
    whole_number(every, "--every", 1)
    check_max_pixels(max_pixels, "--max-pixels")
    vectors, sources, boxes = [], [], []
    for path in paths:
        if is_video(path):
            faces = track_video(embedder, path, every, max_pixels)
            vectors += [face.vector for _, face in faces]
            sources += [f"{path}#frame={number}" for number, _ in faces]
            boxes += [face.box for _, face in faces]
            continue
        found = one_face(embedder, load_image(path, max_pixels), str(path))
        vectors.append(found.vector)
        sources.append(str(path))
        boxes.append(found.box)
    return gallery.enroll(
        name, np.asarray(vectors, np.float32), sources, boxes, embedder_name=embedder.name
    )


def enroll_images(
    gallery: Gallery, embedder: Embedder, name: str, images: list[tuple[str, np.ndarray]]
) -> int:
    """Enroll ``name`` from decoded images ``(source, RGB array)``, one face each."""
    faces = [one_face(embedder, image, source) for source, image in images]
    return gallery.enroll(
        name,
        np.asarray([face.vector for face in faces], np.float32),
        [source for source, _ in images],
        [face.box for face in faces],
        embedder_name=embedder.name,
    )


def one_face(embedder: Embedder, image: np.ndarray, source: str) -> Face:
    found = embedder.faces(image)
    if len(found) != 1:
        what = "no face" if not found else f"{len(found)} faces"
        raise BadInput(f"{source}: {what} found; enrollment needs exactly one per image")
    return found[0]


def track_video(
    embedder: Embedder, path: str | Path, every: int = 5, max_pixels: int = MAX_PIXELS
) -> list[tuple[int, Face]]:
    """One face per sampled frame: the best detection, then the one overlapping it most."""
    kept: list[tuple[int, Face]] = []
    for number, frame in video_frames(path, every, max_pixels):
        found = embedder.faces(frame)
        if not found:
            continue
        if kept:
            previous = kept[-1][1].box
            overlaps = [_iou(previous, face.box) for face in found]
            if max(overlaps) > 0:
                kept.append((number, found[int(np.argmax(overlaps))]))
                continue
        kept.append((number, found[0]))  # faces come best detection first
    if not kept:
        raise BadInput(f"{path}: no face in any sampled frame (every {every})")
    return kept


def identify_files(
    gallery: Gallery,
    embedder: Embedder,
    paths: list[str | Path],
    k: int = 1,
    log: bool = False,
    max_pixels: int = MAX_PIXELS,
) -> list[Sighting]:
    """Every face in every image, identified; ``log`` records them for attendance."""
    check_max_pixels(max_pixels, "--max-pixels")
    whole_number(k, "--top-k", 1, MAX_TOP_K)  # before any image is read
    images = ((str(path), load_image(path, max_pixels)) for path in paths)
    return identify_images(gallery, embedder, images, k, log)


def identify_images(
    gallery: Gallery,
    embedder: Embedder,
    images: Iterable[tuple[str, np.ndarray]],
    k: int = 1,
    log: bool = False,
) -> list[Sighting]:
    """Every face in decoded images ``(source, RGB array)``, identified (and logged)."""
    whole_number(k, "--top-k", 1, MAX_TOP_K)
    sightings = []
    for path, image in images:
        faces = embedder.faces(image)
        if not faces:
            continue
        vectors = gallery.check_vectors(np.stack([f.vector for f in faces]), embedder.name)
        for face, decision in zip(faces, gallery.decide(vectors, k), strict=True):
            sightings.append(Sighting(str(path), face.box, decision))
    if log and sightings:
        gallery.log([(s.decision.name, s.decision.distance, s.source, s.box) for s in sightings])
    return sightings


def verify_files(
    embedder: Embedder,
    first: str | Path,
    second: str | Path,
    threshold: float,
    max_pixels: int = MAX_PIXELS,
) -> tuple[bool, float]:
    """Same person? Compares the best face of each image; (same, distance)."""
    pair = [(str(path), load_image(path, max_pixels)) for path in (first, second)]
    return verify_images(embedder, pair[0], pair[1], threshold)


def verify_images(
    embedder: Embedder,
    first: tuple[str, np.ndarray],
    second: tuple[str, np.ndarray],
    threshold: float,
) -> tuple[bool, float]:
    """:func:`verify_files` for decoded images ``(source, RGB array)``."""
    vectors = []
    for path, image in (first, second):
        faces = embedder.faces(image)
        if not faces:
            raise BadInput(f"{path}: no face found")
        vectors.append(faces[0].vector)
    distance = float(pairwise(vectors[0][None], vectors[1][None])[0, 0])
    return distance < threshold, distance


def _iou(a: Box, b: Box) -> float:
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
