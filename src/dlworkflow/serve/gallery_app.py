"""``dlw gallery serve``: the identity gallery over HTTP, with a page.

SQLite connections belong to the thread that opened them, so the server keeps two
threads, each with its own connection and embedder: one reads (identify, verify,
lists), one writes (enroll, remove, rename, sightings). WAL lets the reader search
while an enrollment commits; it rebuilds its index when it sees the new generation.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from dlworkflow.errors import BadInput
from dlworkflow.experiments.inputs import open_image
from dlworkflow.gallery import Gallery
from dlworkflow.gallery.attendance import attendance, parse_since, to_csv
from dlworkflow.gallery.operations import (
    embedder_for,
    enroll_images,
    identify_images,
    verify_images,
)
from dlworkflow.serve.common import (
    BodyLimit,
    Limits,
    Refused,
    image_upload,
    install_errors,
    page,
    require_key,
    uploads,
    with_timeout,
)

T = TypeVar("T")
UNSAFE_NAME = ("/", "\\", "..")  # names may end up in file names of exports


class Session:
    """One thread with its own gallery connection and embedder."""

    def __init__(self, db: Path, options: dict[str, Any], role: str) -> None:
        self.executor = ThreadPoolExecutor(1, thread_name_prefix=f"gallery-{role}")
        self.local = threading.local()
        self.executor.submit(self._open, db, options).result()  # a bad DB fails here

    def _open(self, db: Path, options: dict[str, Any]) -> None:
        self.local.gallery = Gallery.open(db)
        self.local.embedder = embedder_for(self.local.gallery, **options)

    async def __call__(self, work: Callable[[Gallery, Any], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, lambda: work(self.local.gallery, self.local.embedder)
        )

    def close(self) -> None:
        self.executor.submit(lambda: self.local.gallery.close()).result()
        self.executor.shutdown()


class Rename(BaseModel):
    old: str
    new: str


def create_gallery_app(
    db: str | Path,
    api_key: str | None = None,
    limits: Limits | None = None,
    embedder_options: dict[str, Any] | None = None,
) -> FastAPI:
    """The gallery server of ``db``; changes need ``api_key``."""
    limits = limits or Limits()
    db = Path(db)
    options = embedder_options or {}
    reader, writer = Session(db, options, "reader"), Session(db, options, "writer")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        reader.close()
        writer.close()

    app = FastAPI(
        title=f"dlworkflow gallery: {db.name}",
        description="Identify, verify and enroll faces; attendance from logged sightings.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    install_errors(app)

    async def images(request: Request) -> list[tuple[str, np.ndarray]]:
        """The uploaded images decoded as RGB arrays (the form is parsed once, then kept)."""
        files, _ = await uploads(request, limits)
        if not files:
            raise BadInput("no image files in the form")
        decoded = []
        for upload in files:
            name = image_upload(upload)
            data = await upload.read()
            image = await run_in_threadpool(open_image, data, name, limits.max_pixels)
            decoded.append((name, np.asarray(image)))
        return decoded

    @app.post("/identify")
    async def identify(
        request: Request, k: int = Query(1, ge=1, le=20), log: bool = False
    ) -> dict[str, Any]:
        """Every face in the images: its box and name (or unknown) with the distance.
        ``log=true`` records the sightings for attendance (needs the API key)."""
        if log:
            require_key(request, api_key)
        found = await images(request)
        session = writer if log else reader
        sightings = await with_timeout(
            session(lambda g, e: identify_images(g, e, found, k, log)), limits
        )
        return {
            "faces": [
                {
                    "source": s.source,
                    "box": list(s.box),
                    "name": s.decision.name,
                    "distance": s.decision.distance,
                    "threshold": s.decision.threshold,
                    "candidates": [
                        {"name": m.name, "distance": m.distance} for m in s.decision.candidates
                    ],
                }
                for s in sightings
            ]
        }

    @app.post("/verify")
    async def verify(request: Request) -> dict[str, Any]:
        """Are the two uploaded images the same person?"""
        pair = await images(request)
        if len(pair) != 2:
            raise BadInput(f"{len(pair)} images sent; /verify compares exactly two")

        def work(gallery: Gallery, embedder) -> dict[str, Any]:
            threshold = gallery.threshold
            same, distance = verify_images(embedder, pair[0], pair[1], threshold)
            return {"same": same, "distance": distance, "threshold": threshold}

        return await with_timeout(reader(work), limits)

    @app.post("/enroll")
    async def enroll(request: Request) -> dict[str, Any]:
        """Add the uploaded faces (one per image) to the identity in the form's ``name``."""
        require_key(request, api_key)
        _, fields = await uploads(request, limits)
        name = _safe_name(fields.get("name", ""))
        found = await images(request)
        count = await with_timeout(writer(lambda g, e: enroll_images(g, e, name, found)), limits)
        return {"name": name, "samples": count}

    @app.delete("/identities/{name}")
    async def remove(request: Request, name: str) -> dict[str, Any]:
        require_key(request, api_key)
        removed = await writer(lambda g, e: g.remove(name))
        return {"name": name, "removed_samples": removed}

    @app.post("/rename")
    async def rename(request: Request, change: Rename) -> dict[str, Any]:
        require_key(request, api_key)
        new = _safe_name(change.new)
        await writer(lambda g, e: g.rename(change.old, new))
        return {"old": change.old, "new": new}

    @app.get("/identities")
    async def identities() -> list[dict]:
        return await reader(lambda g, e: g.identities())

    @app.get("/attendance", response_model=None)
    async def attendance_table(
        since: str | None = None, format: str = Query("json", pattern="^(json|csv)$")
    ) -> list[dict] | PlainTextResponse:
        """First and last sighting per day and identity; ``format=csv`` for a spreadsheet."""
        start = parse_since(since)
        rows = await reader(lambda g, e: attendance(g, start))
        if format == "csv":
            return PlainTextResponse(to_csv(rows), media_type="text/csv")
        return rows

    @app.get("/calibration")
    async def calibration() -> dict[str, Any]:
        return await reader(lambda g, e: {**g.calibration.to_dict(), "embedder": g.embedder_name})

    @app.get("/health")
    async def health() -> dict[str, Any]:
        count = await reader(lambda g, e: len(g.identities()))
        return {"status": "ok", "gallery": db.name, "identities": count}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> HTMLResponse:
        return page("dlworkflow.serve", "gallery.html.j2", name=db.name, keyed=api_key is not None)

    return app


def _safe_name(name: str) -> str:
    name = name.strip()
    if not name or any(part in name for part in UNSAFE_NAME) or name.startswith("."):
        raise Refused(400, f"name {name!r}: give a person's name without slashes or '..'")
    return name
