"""The identity gallery: SQLite as the truth, a FAISS index as its searchable copy.

Open rebuilds the index from SQLite (no index file can drift from the database);
each change is one transaction that also recalibrates the threshold, and patches the
in-memory index when nothing else wrote in between (otherwise the next search
rebuilds it). Vectors from another embedder or of another dimension are refused.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dlworkflow.errors import BadInput
from dlworkflow.gallery import store
from dlworkflow.gallery.calibration import Calibration, calibrate
from dlworkflow.gallery.index import KINDS, IndexKind, VectorIndex
from dlworkflow.gallery.templates import TEMPLATES, Template, pool

DEFAULT_TARGET_FAR = 0.001


@dataclass(frozen=True)
class Match:
    name: str
    distance: float


@dataclass
class Decision:
    """The answer for one probe vector: the best identity, or unknown above the threshold."""

    name: str | None  # None: unknown
    distance: float
    threshold: float
    candidates: list[Match] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return self.name is not None


class Gallery:
    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path, self.connection = path, connection
        meta = store.read_meta(connection, path)
        self.embedder_name: str = meta["embedder"]
        self.embedder_spec: dict = meta["embedder_spec"]
        self.dim: int = int(meta["dim"])
        self.template: Template = meta["template"]
        self.index_kind: IndexKind = meta["index"]
        self.default_threshold: float = float(meta["default_threshold"])
        self._index: VectorIndex | None = None
        self._index_generation = -1
        self._owner: dict[int, int] = {}  # index id -> identity id
        self._names: dict[int, str] = {}

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | Path,
        embedder_name: str,
        embedder_spec: dict,
        dim: int,
        default_threshold: float,
        template: Template = "all",
        index: IndexKind = "auto",
        target_far: float = DEFAULT_TARGET_FAR,
    ) -> Gallery:
        path = Path(path)
        if path.exists():
            raise BadInput(f"{path}: already exists; open it, or remove it to start over")
        if template not in TEMPLATES:
            raise BadInput(f"template: '{template}' is not one of {', '.join(TEMPLATES)}")
        if index not in KINDS:
            raise BadInput(f"index: '{index}' is not one of {', '.join(KINDS)}")
        _check_far(target_far)
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = store.connect(path)
        store.create_schema(
            connection,
            {
                "embedder": embedder_name,
                "embedder_spec": embedder_spec,
                "dim": int(dim),
                "template": template,
                "index": index,
                "default_threshold": float(default_threshold),
                "target_far": float(target_far),
            },
        )
        return cls(path, connection)

    @classmethod
    def open(cls, path: str | Path) -> Gallery:
        path = Path(path)
        if not path.is_file():
            raise BadInput(f"{path}: no gallery there (create one with `dlw gallery init`)")
        store.check_gallery_file(path)
        gallery = cls(path, store.connect(path))
        gallery.sync()
        return gallery

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Gallery:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------------

    @property
    def target_far(self) -> float:
        row = self.connection.execute("SELECT value FROM meta WHERE key='target_far'").fetchone()
        return float(json.loads(row[0]))

    @property
    def calibration(self) -> Calibration:
        row = self.connection.execute(
            "SELECT record FROM calibrations ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return Calibration(
                self.default_threshold, "default", self.target_far, None, None, 0, 0,
                f"empty gallery; using the embedder's default {self.default_threshold:g}",
            )  # fmt: skip
        return Calibration(**json.loads(row[0]))

    @property
    def threshold(self) -> float:
        return self.calibration.threshold

    def identities(self) -> list[dict]:
        """Each identity with its sample count and first/last enrollment time."""
        rows = self.connection.execute(
            "SELECT i.name, COUNT(s.id), i.created, MAX(s.created) FROM identities i "
            "LEFT JOIN samples s ON s.identity_id = i.id GROUP BY i.id ORDER BY i.name"
        ).fetchall()
        return [
            {"name": name, "samples": count, "created": created, "updated": updated}
            for name, count, created, updated in rows
        ]

    def vectors(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """All samples: vectors, identity index per sample, identity names."""
        rows = self.connection.execute(
            "SELECT s.vector, i.name FROM samples s JOIN identities i ON i.id = s.identity_id "
            "ORDER BY s.id"
        ).fetchall()
        names = sorted({name for _, name in rows})
        position = {name: index for index, name in enumerate(names)}
        labels = np.array([position[name] for _, name in rows], np.int64)
        return store.from_blobs([blob for blob, _ in rows], self.dim), labels, names

    # -- changing ----------------------------------------------------------------------

    def enroll(
        self,
        name: str,
        vectors: np.ndarray,
        sources: list[str],
        boxes: list[tuple[int, int, int, int] | None] | None = None,
        embedder_name: str | None = None,
    ) -> int:
        """Add ``vectors`` to ``name`` (created if new) in one transaction; return its count."""
        name = _check_name(name)
        vectors = self.check_vectors(vectors, embedder_name)
        if len(vectors) == 0:
            raise BadInput(f"enroll '{name}': no face vectors to enroll")
        if len(sources) != len(vectors):
            raise ValueError("one source per vector")
        boxes = boxes or [None] * len(vectors)
        now = time.time()
        with self._write() as (connection, patch):
            connection.execute(
                "INSERT OR IGNORE INTO identities(name, created) VALUES (?, ?)", (name, now)
            )
            identity = connection.execute(
                "SELECT id FROM identities WHERE name = ?", (name,)
            ).fetchone()[0]
            ids = [
                connection.execute(
                    "INSERT INTO samples(identity_id, vector, source, box, created) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (identity, store.to_blob(v), str(s), json.dumps(b), now),
                ).lastrowid
                for v, s, b in zip(vectors, sources, boxes, strict=True)
            ]
            patch.append(("add", identity, name, np.asarray(ids, np.int64), vectors))
            count = connection.execute(
                "SELECT COUNT(*) FROM samples WHERE identity_id = ?", (identity,)
            ).fetchone()[0]
        return int(count)

    def remove(self, name: str) -> int:
        """Forget ``name`` and its samples; return how many samples went."""
        with self._write() as (connection, patch):
            identity = self._identity_id(name)
            ids = np.array(
                [r[0] for r in connection.execute(
                    "SELECT id FROM samples WHERE identity_id = ?", (identity,)
                )],
                np.int64,
            )  # fmt: skip
            connection.execute("DELETE FROM identities WHERE id = ?", (identity,))
            patch.append(("remove", identity, name, ids, None))
        return len(ids)

    def rename(self, old: str, new: str) -> None:
        new = _check_name(new)
        with self._write() as (connection, patch):
            identity = self._identity_id(old)
            if connection.execute("SELECT 1 FROM identities WHERE name = ?", (new,)).fetchone():
                raise BadInput(f"rename: '{new}' is already in the gallery")
            connection.execute("UPDATE identities SET name = ? WHERE id = ?", (new, identity))
            patch.append(("rename", identity, new, None, None))

    def recalibrate(self, target_far: float | None = None) -> Calibration:
        """Recompute the threshold now (and keep ``target_far`` for later changes)."""
        if target_far is not None:
            _check_far(target_far)
        with self._write() as (connection, _):
            if target_far is not None:
                connection.execute(
                    "UPDATE meta SET value = ? WHERE key = 'target_far'", (json.dumps(target_far),)
                )
        return self.calibration

    def log(
        self, events: list[tuple[str | None, float, str, object]], when: float | None = None
    ) -> None:
        """Record identification events (name or None, distance, source, box) for attendance.

        ``when`` (a Unix time; default now) lets sightings from recorded footage keep theirs.
        """
        now = time.time() if when is None else when
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            self.connection.executemany(
                "INSERT INTO events(time, name, distance, source, box) VALUES (?, ?, ?, ?, ?)",
                [(now, n, float(d), str(s), json.dumps(b)) for n, d, s, b in events],
            )
            self.connection.execute("COMMIT")
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise

    # -- searching ---------------------------------------------------------------------

    def search(self, vectors: np.ndarray, k: int = 1) -> list[list[Match]]:
        """The ``k`` nearest identities per probe vector, nearest first."""
        vectors = self.check_vectors(vectors)
        index = self.sync()
        per_identity = k if self.template != "all" else k * 8 + 16
        distances, ids = index.search(vectors, per_identity)
        results = []
        for row_distances, row_ids in zip(distances, ids, strict=True):
            best: dict[int, float] = {}
            for distance, entry in zip(row_distances, row_ids, strict=True):
                if entry >= 0:
                    owner = self._owner[int(entry)]
                    best.setdefault(owner, float(distance))
            ranked = sorted(best.items(), key=lambda item: item[1])[:k]
            results.append([Match(self._names[owner], d) for owner, d in ranked])
        return results

    def decide(self, vectors: np.ndarray, k: int = 1) -> list[Decision]:
        """Identify each vector: its nearest identity if closer than the threshold."""
        threshold = self.threshold
        decisions = []
        for matches in self.search(vectors, k):
            best = matches[0] if matches else Match("", float("inf"))
            accepted = best.distance < threshold
            decisions.append(
                Decision(best.name if accepted else None, best.distance, threshold, matches)
            )
        return decisions

    def check_vectors(self, vectors: np.ndarray, embedder_name: str | None = None) -> np.ndarray:
        if embedder_name is not None and embedder_name != self.embedder_name:
            raise BadInput(
                f"{self.path}: holds vectors of embedder '{self.embedder_name}', "
                f"not '{embedder_name}'"
            )
        vectors = np.asarray(vectors, np.float32)
        if vectors.ndim == 1:
            vectors = vectors[None]
        if vectors.ndim != 2 or (len(vectors) and vectors.shape[1] != self.dim):
            raise BadInput(
                f"{self.path}: vectors of shape {vectors.shape[1:]} do not fit this gallery "
                f"of {self.dim}-d vectors ({self.embedder_name})"
            )
        if not np.isfinite(vectors).all():
            raise BadInput(f"{self.path}: vectors contain NaN or infinity")
        return vectors

    def sync(self) -> VectorIndex:
        """The index, rebuilt from SQLite if anything (another process too) changed it."""
        if self._index is None or store.generation(self.connection) != self._index_generation:
            self._rebuild()
        assert self._index is not None
        return self._index

    # -- internals ---------------------------------------------------------------------

    def _identity_id(self, name: str) -> int:
        row = self.connection.execute("SELECT id FROM identities WHERE name = ?", (name,))
        found = row.fetchone()
        if found is None:
            raise BadInput(f"{self.path}: no identity named '{name}'")
        return int(found[0])

    @contextmanager
    def _write(self) -> Iterator[tuple[sqlite3.Connection, list[tuple]]]:
        """One transaction that also recalibrates, then patches the index if in step."""
        patches: list[tuple] = []
        with store.transaction(self.connection) as connection:
            before = store.generation(connection)
            yield connection, patches
            self._store_calibration(before + 1)
        if self._index is None or self._index_generation != before:
            self._index = None  # someone else wrote in between: rebuild on the next search
            return
        for change in patches:
            if self._index is not None:
                self._patch(change)
        if self._index is not None:
            self._index_generation = before + 1

    def _store_calibration(self, generation: int) -> None:
        vectors, labels, _ = self.vectors()
        result = calibrate(
            vectors,
            labels,
            self.template,
            self.target_far,
            self.default_threshold,
            previous=self.calibration,
        )
        self.connection.execute(
            "INSERT INTO calibrations(created, generation, record) VALUES (?, ?, ?)",
            (time.time(), generation, json.dumps(result.to_dict())),
        )

    def _rebuild(self) -> None:
        self.connection.execute("BEGIN")  # one snapshot for the rows and the generation
        try:
            current = store.generation(self.connection)
            self._names = dict(self.connection.execute("SELECT id, name FROM identities"))
            rows = self.connection.execute(
                "SELECT id, identity_id, vector FROM samples ORDER BY id"
            ).fetchall()
        finally:
            self.connection.execute("COMMIT")
        vectors = store.from_blobs([r[2] for r in rows], self.dim)
        owners = np.array([r[1] for r in rows], np.int64)
        if self.template == "all":
            ids = np.array([r[0] for r in rows], np.int64)
            self._owner = dict(zip(ids.tolist(), owners.tolist(), strict=True))
        else:
            ids = np.unique(owners)
            if len(ids):
                vectors = np.stack([pool(vectors[owners == i], self.template) for i in ids])
            self._owner = {int(i): int(i) for i in ids}
        self._index = VectorIndex(self.dim, self.index_kind, vectors, ids)
        self._index_generation = current

    def _template_of(self, identity: int) -> np.ndarray:
        blobs = [
            r[0]
            for r in self.connection.execute(
                "SELECT vector FROM samples WHERE identity_id = ?", (identity,)
            )
        ]
        return pool(store.from_blobs(blobs, self.dim), self.template)

    def _patch(self, change: tuple) -> None:
        """Apply one committed change to the in-memory index (called inside the write)."""
        assert self._index is not None
        action, identity, name, ids, vectors = change
        if action == "rename":
            self._names[identity] = name
            return
        if action == "remove" and not self._index.removes_in_place:
            self._index = None  # HNSW cannot delete: rebuild on the next search
            return
        if action == "add":
            self._names[identity] = name
        else:
            self._names.pop(identity, None)
        if self.template == "all":
            if action == "add":
                self._index.add(vectors, ids)
                self._owner.update(dict.fromkeys(ids.tolist(), identity))
            else:
                self._index.remove(ids)
                for entry in ids.tolist():
                    self._owner.pop(entry, None)
            return
        if identity in self._owner:
            if not self._index.removes_in_place:
                self._index = None
                return
            self._index.remove(np.array([identity], np.int64))
            del self._owner[identity]
        if action == "add":
            self._index.add(self._template_of(identity)[None], np.array([identity], np.int64))
            self._owner[identity] = identity


def _check_name(name: str) -> str:
    name = str(name).strip()
    if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
        raise BadInput(f"identity name {name!r}: give 1-200 printable characters")
    return name


def _check_far(target_far: float) -> None:
    if not 0.0 < target_far < 1.0:
        raise BadInput(f"target FAR {target_far!r}: give a rate between 0 and 1, e.g. 0.001")
