"""The acceptance threshold, chosen from the gallery itself at a target false-accept rate.

Genuine distances are leave-one-out: each sample against its own identity's template
built from the other samples (what identify would return were that sample a probe).
Impostor distances are each sample against every other identity's template. The
threshold is the largest distance that accepts at most ``target_far`` of the impostor
pairs; a probe is accepted when its distance is strictly below it.

A FAR is only measured when about ten impostor pairs fall under it, so calibration needs
``10 / target_far`` impostor pairs: from fewer, the threshold is decided by one or two
pairs (a 5-person gallery at FAR 0.05 set 0.778 and accepted strangers that dlib's 0.6
rejects). Then it refuses and keeps the threshold in force, saying why with the numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from dlworkflow.gallery.templates import Template, distances_to_templates, pairwise, pool

MIN_GENUINE_PAIRS = 10
IMPOSTORS_PER_FAR = 10  # impostor pairs needed: this many over the target FAR
DUPLICATE_DISTANCE = 1e-3  # impostor distances below this share of the median are 0
MAX_CALIBRATION_SAMPLES = 3000  # bounds the O(n²) pair distances; sampled with a fixed seed


@dataclass(frozen=True)
class Calibration:
    threshold: float
    method: str  # "calibrated", "default", or "kept" (the previous one, with a warning)
    target_far: float
    far: float | None  # estimated on the impostor pairs (None when falling back)
    tar: float | None
    genuine_pairs: int
    impostor_pairs: int
    note: str

    def to_dict(self) -> dict:
        return asdict(self)


def genuine_impostor(
    vectors: np.ndarray, labels: np.ndarray, template: Template
) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out genuine distances and between-identity impostor distances."""
    if len(vectors) > MAX_CALIBRATION_SAMPLES:
        keep = np.sort(
            np.random.default_rng(0).choice(len(vectors), MAX_CALIBRATION_SAMPLES, False)
        )
        vectors, labels = vectors[keep], labels[keep]
    identities, member = np.unique(labels, return_inverse=True)
    rows = np.arange(len(vectors))
    if template == "all":
        distances = pairwise(vectors, vectors)
        np.fill_diagonal(distances, np.inf)  # a sample is not its own template
        to_templates = np.stack(
            [distances[:, member == k].min(axis=1) for k in range(len(identities))], axis=1
        )
        genuine = to_templates[rows, member]
    else:
        to_templates, _ = distances_to_templates(vectors, vectors, labels, template)
        genuine = np.array([_left_out(vectors, member, i, template) for i in rows])
    impostor = to_templates[member[:, None] != np.arange(len(identities))[None, :]]
    return genuine[np.isfinite(genuine)].astype(np.float64), impostor.astype(np.float64)


def _left_out(vectors: np.ndarray, member: np.ndarray, index: int, template: Template) -> float:
    """Distance of sample ``index`` to its identity's template pooled without it."""
    others = np.flatnonzero((member == member[index]) & (np.arange(len(vectors)) != index))
    if len(others) == 0:
        return float("inf")
    template_vector = pool(vectors[others], template)
    return float(np.linalg.norm(template_vector - vectors[index]))


def threshold_at_far(impostor: np.ndarray, target_far: float) -> float:
    """The largest threshold under which at most ``target_far`` of impostors fall."""
    ordered = np.sort(impostor)
    allowed = int(math.floor(target_far * len(ordered)))
    return float(ordered[min(allowed, len(ordered) - 1)])


def calibrate(
    vectors: np.ndarray,
    labels: np.ndarray,
    template: Template,
    target_far: float,
    default_threshold: float,
    previous: Calibration | None = None,
) -> Calibration:
    """Calibrate on the gallery, or keep the threshold in force saying why: ``previous``'s
    (else ``default_threshold``) when there are too few pairs for the FAR asked, or with a
    warning when the distances cannot separate anyone, e.g. the same images enrolled under
    two names (impostor distances of 0) or genuine pairs no closer than impostors."""
    genuine, impostor = genuine_impostor(vectors, labels, template)

    def result(
        threshold: float,
        method: str,
        note: str,
        rates: tuple[float | None, float | None] = (None, None),
    ) -> Calibration:
        far, tar = rates
        return Calibration(
            threshold=threshold,
            method=method,
            target_far=target_far,
            far=far,
            tar=tar,
            genuine_pairs=len(genuine),
            impostor_pairs=len(impostor),
            note=note,
        )

    needed = math.ceil(IMPOSTORS_PER_FAR / target_far - 1e-9)
    if len(genuine) < MIN_GENUINE_PAIRS or len(impostor) < needed:
        kept = previous is not None and previous.method != "default"
        threshold = previous.threshold if kept else default_threshold
        source = (
            f"the previous threshold {threshold:.4g}"
            if kept
            else (f"the embedder's default {threshold:g}")
        )
        return result(
            threshold,
            "kept" if kept else "default",
            f"too few pairs to calibrate at FAR {target_far:g}: {len(genuine)} genuine "
            f"(need {MIN_GENUINE_PAIRS}) and {len(impostor)} impostor (need "
            f"{IMPOSTORS_PER_FAR}/FAR = {needed}); keeping {source}",
        )
    threshold = threshold_at_far(impostor, target_far)
    far, tar = float((impostor < threshold).mean()), float((genuine < threshold).mean())
    # 0 up to the float32 rounding of the pairwise distances
    duplicates = int((impostor <= DUPLICATE_DISTANCE * np.median(impostor)).sum())
    if duplicates or threshold <= 0.0 or tar == 0.0:
        kept = default_threshold if previous is None else previous.threshold
        cause = (
            f"{duplicates} impostor distances are 0 (the same images enrolled under two names?)"
            if duplicates
            else "no genuine pair is closer than the impostor pairs allowed"
        )
        return result(
            kept,
            "kept",
            f"warning: calibration at FAR {target_far:g} failed: {cause}; keeping the "
            f"threshold {kept:g}",
        )
    return result(
        threshold,
        "calibrated",
        f"threshold {threshold:.4f} at target FAR {target_far:g}: FAR {far:.4%}, "
        f"TAR {tar:.2%} on {len(genuine)} genuine and {len(impostor)} impostor pairs",
        (far, tar),
    )
