"""The gallery's SQLite file: the one source of truth for identities, samples and events.

WAL lets readers (identify) run beside a writer (enroll); every change is one
``BEGIN IMMEDIATE`` transaction, so a process killed mid-enrollment leaves either the
whole enrollment or none of it, and two enrolling processes queue instead of racing.
Each write bumps ``generation``, which tells other processes their index is stale.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow.errors import BadInput

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS identities (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY,
    identity_id INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
    vector BLOB NOT NULL,
    source TEXT NOT NULL,
    box TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_identity ON samples(identity_id);
CREATE TABLE IF NOT EXISTS calibrations (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    generation INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    name TEXT,
    distance REAL,
    source TEXT NOT NULL,
    box TEXT
);
CREATE INDEX IF NOT EXISTS events_time ON events(time);
"""


SQLITE_HEADER = b"SQLite format 3\x00"


def check_gallery_file(path: Path) -> None:
    """Refuse, without changing a byte, a file that is not one of our galleries: an
    empty file, another format, or another application's SQLite database. Checked
    read-only before :func:`connect` switches the journal mode (which writes)."""
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        kind = "an empty file" if not header else "not an SQLite file"
        raise BadInput(f"{path}: not a gallery database ({kind}); left untouched")
    try:
        reader = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BadInput(f"{path}: cannot be opened read-only ({error})") from None
    try:
        row = reader.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError:
        row = None
    finally:
        reader.close()
    if row is None:
        raise BadInput(
            f"{path}: an SQLite database but not a gallery (no schema_version in a meta "
            "table); left untouched"
        )


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, foreign keys on."""
    connection = sqlite3.connect(path, timeout=60.0, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    except sqlite3.DatabaseError as error:
        connection.close()
        raise BadInput(f"{path}: not a gallery database ({error})") from None
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints, safe under WAL
    return connection


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction that bumps ``generation``; rolled back on any error."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
        connection.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'"
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def create_schema(connection: sqlite3.Connection, meta: dict[str, Any]) -> None:
    connection.executescript(SCHEMA)
    with transaction(connection):
        rows = {**meta, "schema_version": SCHEMA_VERSION, "generation": 0}
        connection.executemany(
            "INSERT INTO meta(key, value) VALUES (?, ?)",
            [(key, json.dumps(value)) for key, value in rows.items()],
        )


def read_meta(connection: sqlite3.Connection, path: Path) -> dict[str, Any]:
    try:
        rows = connection.execute("SELECT key, value FROM meta").fetchall()
    except sqlite3.DatabaseError:
        raise BadInput(f"{path}: not a gallery database (run `dlw gallery init`)") from None
    return {key: json.loads(value) for key, value in rows}


def generation(connection: sqlite3.Connection) -> int:
    row = connection.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0])


def to_blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def from_blobs(blobs: list[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), dim).astype(np.float32)
