"""``dlw gallery …``: the open-set identity gallery (each command is one library call)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from dlworkflow.cli.common import app, backend, out

gallery_app = typer.Typer(
    no_args_is_help=True,
    help="Open-set recognition: enroll people, identify or refuse faces, calibrate, evaluate.",
)
app.add_typer(gallery_app, name="gallery")

Database = Annotated[Path, typer.Option("--db", help="The gallery's SQLite file.")]
Detector = Annotated[str, typer.Option(help="dlib face detector: hog (fast) or cnn.")]
Upsample = Annotated[int, typer.Option(help="Upsample the image 0-3 times to find small faces.")]
Cropped = Annotated[
    bool, typer.Option("--cropped", help="Images are already tight faces: skip detection.")
]
MaxPixels = Annotated[int, typer.Option("--max-pixels", help="Refuse larger images.")]
DEFAULT_DB = Path("gallery.db")


def _open(db: Path):
    from dlworkflow.gallery import Gallery

    return Gallery.open(db)


def _embedder(gallery, detector: str, upsample: int, cropped: bool):
    """The gallery's embedder; Keras ones start the backend with its logs muted."""
    from dlworkflow.gallery.operations import embedder_for

    keras_kind = gallery.embedder_spec.get("kind") == "keras"
    options = {} if keras_kind else {"detector": detector, "upsample": upsample, "cropped": cropped}
    with backend() if keras_kind else nullcontext():
        return embedder_for(gallery, **options)


@gallery_app.command("init")
def init_command(
    db: Database = DEFAULT_DB,
    embedder: Annotated[str, typer.Option(help="dlib (faces) or keras (a model layer).")] = "dlib",
    model: Annotated[
        Path | None, typer.Option(help="For keras: model.keras or a dlworkflow run folder.")
    ] = None,
    layer: Annotated[str | None, typer.Option(help="For keras: the embedding layer.")] = None,
    template: Annotated[str, typer.Option(help="Per identity: all, mean or max.")] = "all",
    index: Annotated[str, typer.Option(help="auto, flat, hnsw or ivf.")] = "auto",
    far: Annotated[float, typer.Option(help="Target false-accept rate.")] = 0.001,
) -> None:
    """Create an empty gallery bound to one embedder."""
    from dlworkflow.errors import BadInput
    from dlworkflow.gallery import Gallery
    from dlworkflow.gallery.embedders import DlibFaces, KerasEmbedder

    if embedder == "dlib":
        chosen = DlibFaces()
    elif embedder == "keras":
        if model is None:
            raise BadInput("--model: give the model.keras file or run folder for --embedder keras")
        with backend():
            chosen = KerasEmbedder(model, layer)
    else:
        raise BadInput(f"--embedder: '{embedder}' is not dlib or keras")
    gallery = Gallery.create(
        db, chosen.name, chosen.spec(), chosen.dim, chosen.default_threshold, template, index, far
    )  # type: ignore[arg-type]
    gallery.close()
    settings = f"{chosen.name}, {chosen.dim}-d, template {template}, index {index}"
    out.print(f"gallery: {escape(str(db))} ({escape(settings)})")


@gallery_app.command("enroll")
def enroll_command(
    name: Annotated[str, typer.Argument(help="The person's identity.")],
    files: Annotated[list[Path], typer.Argument(help="Images (one face each) or videos.")],
    db: Database = DEFAULT_DB,
    every: Annotated[int, typer.Option(help="Videos: use every k-th frame.")] = 5,
    detector: Detector = "hog",
    upsample: Upsample = 0,
    cropped: Cropped = False,
    max_pixels: MaxPixels = 24_000_000,
) -> None:
    """Enroll NAME from images or video frames (all or nothing)."""
    from dlworkflow.gallery.operations import enroll_files

    with _open(db) as gallery:
        embedder = _embedder(gallery, detector, upsample, cropped)
        count = enroll_files(gallery, embedder, name, files, every, max_pixels)
        calibration = gallery.calibration
    out.print(f"{escape(name)}: {count} samples; threshold {escape(calibration.note)}")


@gallery_app.command("identify")
def identify_command(
    files: Annotated[list[Path], typer.Argument(help="Images; every face in each is identified.")],
    db: Database = DEFAULT_DB,
    top_k: Annotated[int, typer.Option("--top-k", help="Candidates to show per face.")] = 1,
    log: Annotated[bool, typer.Option("--log", help="Record sightings for attendance.")] = False,
    detector: Detector = "hog",
    upsample: Upsample = 0,
    cropped: Cropped = False,
    max_pixels: MaxPixels = 24_000_000,
) -> None:
    """Who is in each image (or "unknown" above the threshold)."""
    from dlworkflow.gallery.operations import identify_files

    with _open(db) as gallery:
        embedder = _embedder(gallery, detector, upsample, cropped)
        sightings = identify_files(gallery, embedder, files, top_k, log, max_pixels)
        threshold = gallery.threshold
    table = Table(title=f"identified (threshold {threshold:.4f})")
    for column in ("image", "box", "identity", "distance", "candidates"):
        table.add_column(column)
    for s in sightings:
        table.add_row(
            escape(s.source),
            ",".join(map(str, s.box)),
            escape(s.decision.name or "unknown"),
            f"{s.decision.distance:.4f}",
            escape("  ".join(f"{m.name} {m.distance:.3f}" for m in s.decision.candidates)),
        )
    out.print(table)
    seen = {s.source for s in sightings}
    for path in files:
        if str(path) not in seen:
            out.print(f"{escape(str(path))}: no face")


@gallery_app.command("verify")
def verify_command(
    first: Annotated[Path, typer.Argument(help="An image.")],
    second: Annotated[Path, typer.Argument(help="Another image.")],
    db: Database = DEFAULT_DB,
    detector: Detector = "hog",
    upsample: Upsample = 0,
    cropped: Cropped = False,
) -> None:
    """Same person? (the gallery's embedder and calibrated threshold)"""
    from dlworkflow.gallery.operations import verify_files

    with _open(db) as gallery:
        embedder = _embedder(gallery, detector, upsample, cropped)
        threshold = gallery.threshold
    same, distance = verify_files(embedder, first, second, threshold)
    verdict = "same person" if same else "different people"
    out.print(f"{verdict}: distance {distance:.4f} (threshold {threshold:.4f})")


@gallery_app.command("remove")
def remove_command(name: str, db: Database = DEFAULT_DB) -> None:
    """Forget an identity and its samples."""
    with _open(db) as gallery:
        count = gallery.remove(name)
        note = gallery.calibration.note
    out.print(f"removed {escape(name)} ({count} samples); threshold {escape(note)}")


@gallery_app.command("rename")
def rename_command(old: str, new: str, db: Database = DEFAULT_DB) -> None:
    """Rename an identity."""
    with _open(db) as gallery:
        gallery.rename(old, new)
    out.print(f"renamed {escape(old)} to {escape(new)}")


@gallery_app.command("list")
def list_command(db: Database = DEFAULT_DB) -> None:
    """Identities, their sample counts, and the current threshold."""
    from datetime import datetime

    with _open(db) as gallery:
        rows, calibration, index = gallery.identities(), gallery.calibration, gallery.sync()
        title = escape(f"{gallery.path}: {gallery.embedder_name}, template {gallery.template}")
    table = Table(title=title)
    for column in ("identity", "samples", "enrolled", "updated"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            escape(row["name"]),
            str(row["samples"]),
            datetime.fromtimestamp(row["created"]).isoformat(" ", "seconds"),
            datetime.fromtimestamp(row["updated"]).isoformat(" ", "seconds"),
        )
    out.print(table)
    out.print(f"index: {index.kind}, {index.size} vectors")
    out.print(f"threshold ({calibration.method}): {escape(calibration.note)}")


@gallery_app.command("calibrate")
def calibrate_command(
    db: Database = DEFAULT_DB,
    far: Annotated[float | None, typer.Option(help="New target false-accept rate.")] = None,
) -> None:
    """Recompute the threshold from the gallery (optionally at a new target FAR)."""
    with _open(db) as gallery:
        calibration = gallery.recalibrate(far)
    out.print(f"threshold ({calibration.method}): {escape(calibration.note)}")


@gallery_app.command("evaluate")
def evaluate_command(
    dataset: Annotated[Path, typer.Argument(help="A folder of person/*.jpg (e.g. faces_att).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Result folder.")] = Path(
        "runs/gallery-eval"
    ),
    known: Annotated[float, typer.Option(help="Fraction of identities enrolled.")] = 0.75,
    enroll: Annotated[int, typer.Option(help="Images enrolled per known identity.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the identity and image split.")] = 0,
    identities: Annotated[int | None, typer.Option(help="Use only N identities.")] = None,
    per_identity: Annotated[int | None, typer.Option(help="Use only N images each.")] = None,
    template: Annotated[str, typer.Option(help="all, mean or max.")] = "all",
    far: Annotated[float, typer.Option(help="Target FAR of the calibration.")] = 0.001,
    detector: Detector = "hog",
    upsample: Upsample = 0,
    cropped: Cropped = False,
) -> None:
    """Closed- and open-set rates, TAR@FAR, ROC/DET, calibrated vs default threshold."""
    from dlworkflow.gallery.embedders import DlibFaces
    from dlworkflow.gallery.evaluation import evaluate_gallery

    metrics = evaluate_gallery(
        dataset, out_dir, DlibFaces(detector, upsample, cropped), known, enroll, seed,
        identities, per_identity, template, far,  # type: ignore[arg-type]
    )  # fmt: skip
    table = Table(title=escape(f"{dataset}: open-set evaluation"))
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("closed-set rank-1", f"{metrics['closed_set_rank1']:.2%}")
    for rate, result in metrics["open_set"].items():
        table.add_row(f"open-set DIR @ FAR {rate}", f"{result['dir']:.2%}")
    for rate, tar in metrics["verification"]["tar_at_far"].items():
        table.add_row(f"verification TAR @ FAR {rate}", f"{tar:.2%}")
    for name, result in metrics["thresholds"].items():
        table.add_row(
            f"{name} threshold {result['threshold']:.4f}",
            f"pair FAR {result['pair_far']:.3%}, TAR {result['pair_tar']:.2%}",
        )
    table.add_row("detection failures", str(len(metrics["detection"]["failures"])))
    out.print(table)
    out.print(f"calibration: {escape(metrics['calibration']['note'])}")
    out.print(f"report: {escape(str(out_dir / 'report.html'))}")


@gallery_app.command("attendance")
def attendance_command(
    db: Database = DEFAULT_DB,
    since: Annotated[str | None, typer.Option(help="From this date/time on.")] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Also write a CSV.")] = None,
) -> None:
    """Who was seen when: first/last sighting per identity per day."""
    from dlworkflow.atomic import write_text
    from dlworkflow.gallery.attendance import COLUMNS, attendance, parse_since, to_csv

    start = parse_since(since)
    with _open(db) as gallery:
        rows = attendance(gallery, start)
    table = Table(title="attendance")
    for column in COLUMNS:
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(str(row[c])) for c in COLUMNS))
    out.print(table)
    if csv_path:
        out.print(f"csv: {escape(str(write_text(csv_path, to_csv(rows))))}")
