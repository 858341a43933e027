"""``dlw gallery evaluate``: open-set recognition measured on a folder of identities.

Identities are split (seeded) into known and unknown; ``enroll`` images of each known
person go into a fresh gallery and every other image probes it. Unknown people are
the strangers a softmax classifier would wrongly name, so the open-set rates and the
threshold's false accepts are measured on them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_curve

from dlworkflow import runfolder
from dlworkflow.atomic import write_json
from dlworkflow.errors import BadInput
from dlworkflow.gallery.calibration import threshold_at_far
from dlworkflow.gallery.embedders import Embedder
from dlworkflow.gallery.gallery import Gallery
from dlworkflow.gallery.images import load_image
from dlworkflow.gallery.templates import Template, pairwise
from dlworkflow.pages import inline_figure
from dlworkflow.pages.notebook import html_block, html_table

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".pgm", ".bmp", ".tif", ".tiff", ".webp")
REPORTED_FARS = (0.01, 0.001)


class GalleryEvaluation(dict):
    """What :func:`evaluate_gallery` returns: ``metrics.json`` as a plain dict, shown in a
    notebook as the summary, the threshold table and the figures saved in ``folder``."""

    folder: Path | None = None

    def _repr_html_(self) -> str:
        from dlworkflow.gallery.page import DISTANCES, ROC_DET  # it draws them

        def pct(value: float) -> str:
            return f"{100 * value:.2f} %"

        summary = [("closed-set rank-1 (known probes)", pct(self["closed_set_rank1"]))]
        summary += [
            (f"open-set DIR at FAR {far}", pct(r["dir"])) for far, r in self["open_set"].items()
        ]
        summary += [
            (f"verification TAR at FAR {far}", pct(tar))
            for far, tar in self["verification"]["tar_at_far"].items()
        ]
        summary.append(("face detection rate", pct(self["detection"]["rate"])))
        thresholds = [
            (name, f"{r['threshold']:.4f}", *(pct(r[key]) for key in RATE_KEYS))
            for name, r in self["thresholds"].items()
        ]
        figures = self.folder / runfolder.FIGURES if self.folder else None
        return html_block(
            f"Open-set recognition: {self['embedder']} on {Path(self['dataset']).name}",
            html_table(summary, ("measure", "value")),
            html_table(thresholds, ("threshold", "distance", *RATE_KEYS)),
            *(inline_figure(figures / name, name) for name in (ROC_DET, DISTANCES) if figures),
        )


RATE_KEYS = ("open_set_dir", "open_set_far", "pair_tar", "pair_far")


@dataclass
class Split:
    enroll: dict[str, list[Path]]  # known identity -> its enrollment images
    known_probes: list[tuple[str, Path]]
    unknown_probes: list[tuple[str, Path]]


def identity_folders(root: str | Path) -> dict[str, list[Path]]:
    """``root/person/*.jpg`` as {person: images}, sorted."""
    root = Path(root)
    if not root.is_dir():
        raise BadInput(f"{root}: dataset folder does not exist (want person/*.jpg)")
    people = {
        folder.name: sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for folder in sorted(root.iterdir())
        if folder.is_dir()
    }
    people = {name: images for name, images in people.items() if images}
    if len(people) < 3:
        raise BadInput(f"{root}: {len(people)} identity folders with images; need at least 3")
    return people


def split_identities(
    people: dict[str, list[Path]],
    known_fraction: float = 0.75,
    enroll: int = 3,
    seed: int = 0,
    identities: int | None = None,
    per_identity: int | None = None,
) -> Split:
    """Seeded split into known (``enroll`` images enrolled, the rest probes) and unknown."""
    if not 0.0 < known_fraction < 1.0:
        raise BadInput(f"--known: {known_fraction} is not a fraction between 0 and 1")
    if enroll < 1:
        raise BadInput(f"--enroll: {enroll} is not a positive number of images")
    rng = np.random.default_rng(seed)
    names = [str(n) for n in rng.permutation(sorted(people))][: identities or None]
    if len(names) < 3:
        raise BadInput(f"--identities: {identities} leaves fewer than 3 identities")
    known_count = min(max(1, round(known_fraction * len(names))), len(names) - 1)
    chosen = {n: [people[n][i] for i in rng.permutation(len(people[n]))][: per_identity or None]
              for n in names}  # fmt: skip
    short = [n for n in names[:known_count] if len(chosen[n]) <= enroll]
    if short:
        raise BadInput(
            f"--enroll: {enroll} images leave no probe for {short[0]} "
            f"({len(chosen[short[0]])} images); enroll fewer"
        )
    return Split(
        enroll={n: chosen[n][:enroll] for n in names[:known_count]},
        known_probes=[(n, p) for n in names[:known_count] for p in chosen[n][enroll:]],
        unknown_probes=[(n, p) for n in names[known_count:] for p in chosen[n]],
    )


def embed_best_faces(
    embedder: Embedder, paths: list[Path]
) -> tuple[dict[Path, np.ndarray], list[str], list[float]]:
    """Best face vector per image, the images with no face, and seconds per image."""
    vectors, failures, seconds = {}, [], []
    for path in paths:
        start = time.perf_counter()
        faces = embedder.faces(load_image(path))
        seconds.append(time.perf_counter() - start)
        if faces:
            vectors[path] = faces[0].vector
        else:
            failures.append(str(path))
    return vectors, failures, seconds


def open_set_rates(
    known_correct: np.ndarray, known_distance: np.ndarray, unknown_distance: np.ndarray
) -> dict:
    """Detection-and-identification rate at each reported FAR of the unknown probes."""
    rates = {}
    for far in REPORTED_FARS:
        threshold = threshold_at_far(unknown_distance, far)
        rates[f"{far:g}"] = {
            "threshold": threshold,
            "dir": float((known_correct & (known_distance < threshold)).mean()),
            "far": float((unknown_distance < threshold).mean()),
            "resolvable": bool(len(unknown_distance) * far >= 1),
        }
    return rates


def rates_at(
    threshold: float,
    known_correct: np.ndarray,
    known_distance: np.ndarray,
    unknown_distance: np.ndarray,
    genuine: np.ndarray,
    impostor: np.ndarray,
) -> dict:
    """What one threshold does: open-set DIR/FAR on probes, TAR/FAR on verification pairs."""
    return {
        "threshold": float(threshold),
        "open_set_dir": float((known_correct & (known_distance < threshold)).mean()),
        "open_set_far": float((unknown_distance < threshold).mean()),
        "pair_tar": float((genuine < threshold).mean()),
        "pair_far": float((impostor < threshold).mean()),
    }


def verification_pairs(vectors: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor distances over all pairs of probe images."""
    distances = pairwise(vectors, vectors)
    upper = np.triu_indices(len(vectors), 1)
    same = (labels[:, None] == labels[None, :])[upper]
    return distances[upper][same], distances[upper][~same]


def tar_at_far(genuine: np.ndarray, impostor: np.ndarray) -> dict:
    y = np.r_[np.ones(len(genuine)), np.zeros(len(impostor))]
    fpr, tpr, _ = roc_curve(y, -np.r_[genuine, impostor])
    return {
        f"{far:g}": float(tpr[np.searchsorted(fpr, far, side="right") - 1]) for far in REPORTED_FARS
    }


def evaluate_gallery(
    root: str | Path,
    out_dir: str | Path,
    embedder: Embedder,
    known_fraction: float = 0.75,
    enroll: int = 3,
    seed: int = 0,
    identities: int | None = None,
    per_identity: int | None = None,
    template: Template = "all",
    target_far: float = 0.001,
) -> GalleryEvaluation:
    """Run the protocol, write ``metrics.json``, figures and ``report.html`` to ``out_dir``."""
    from dlworkflow.gallery.page import write_page

    out_dir = Path(out_dir)
    split = split_identities(
        identity_folders(root), known_fraction, enroll, seed, identities, per_identity
    )
    enroll_paths = [p for paths in split.enroll.values() for p in paths]
    probes = split.known_probes + split.unknown_probes
    vectors, failures, seconds = embed_best_faces(embedder, enroll_paths + [p for _, p in probes])

    database = out_dir / "gallery.db"
    for stale in out_dir.glob("gallery.db*"):
        stale.unlink()
    gallery = Gallery.create(
        database, embedder.name, embedder.spec(), embedder.dim, embedder.default_threshold,
        template=template, target_far=target_far,
    )  # fmt: skip
    with gallery:
        for name, paths in split.enroll.items():
            kept = [p for p in paths if p in vectors]
            if kept:
                gallery.enroll(name, np.stack([vectors[p] for p in kept]), [str(p) for p in kept])
        calibration = gallery.calibration
        found = [(n, p) for n, p in probes if p in vectors]
        known_set = set(split.enroll)
        matches = gallery.search(np.stack([vectors[p] for _, p in found]), k=1)

    is_known = np.array([n in known_set for n, _ in found])
    top_name = np.array([m[0].name for m in matches])
    top_distance = np.array([m[0].distance for m in matches])
    truth = np.array([n for n, _ in found])
    known_correct = top_name[is_known] == truth[is_known]
    known_distance, unknown_distance = top_distance[is_known], top_distance[~is_known]
    genuine, impostor = verification_pairs(np.stack([vectors[p] for _, p in found]), truth)
    thresholds = {
        "calibrated": rates_at(
            calibration.threshold, known_correct, known_distance, unknown_distance, genuine,
            impostor,
        ),
        "default": rates_at(
            embedder.default_threshold, known_correct, known_distance, unknown_distance, genuine,
            impostor,
        ),
    }  # fmt: skip
    metrics = {
        "dataset": str(root),
        "embedder": embedder.name,
        "template": template,
        "seed": seed,
        "identities": {
            "known": len(split.enroll),
            "unknown": len({n for n, _ in split.unknown_probes}),
        },
        "images": {
            "enrolled": sum(p in vectors for p in enroll_paths),
            "known_probes": int(is_known.sum()),
            "unknown_probes": int((~is_known).sum()),
        },
        "detection": {
            "images": len(enroll_paths) + len(probes),
            "failures": failures,
            "rate": 1.0 - len(failures) / (len(enroll_paths) + len(probes)),
        },
        "seconds_per_image": {
            "p50": float(np.percentile(seconds, 50)),
            "p95": float(np.percentile(seconds, 95)),
        },
        "closed_set_rank1": float(known_correct.mean()),
        "open_set": open_set_rates(known_correct, known_distance, unknown_distance),
        "verification": {
            "genuine_pairs": len(genuine),
            "impostor_pairs": len(impostor),
            "tar_at_far": tar_at_far(genuine, impostor),
        },
        "calibration": calibration.to_dict(),
        "thresholds": thresholds,
    }
    write_json(out_dir / runfolder.METRICS, metrics)
    write_page(out_dir, metrics, genuine, impostor, known_correct, known_distance, unknown_distance)
    result = GalleryEvaluation(metrics)
    result.folder = out_dir
    return result
