"""Who was seen when: first and last sighting per identity per day, from logged events."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from dlworkflow.errors import BadInput
from dlworkflow.gallery.gallery import Gallery

COLUMNS = ("day", "name", "first_seen", "last_seen", "sightings", "best_distance")


def parse_since(text: str | None) -> float | None:
    """``--since`` as an ISO date or date-time (local time) into a timestamp."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise BadInput(
            f"--since: '{text}' is not a date like 2026-11-22 or 2026-11-22T08:00"
        ) from None


def attendance(gallery: Gallery, since: float | None = None) -> list[dict]:
    """One row per day and identity ("unknown" for strangers), in order of first sighting."""
    rows = gallery.connection.execute(
        "SELECT date(time, 'unixepoch', 'localtime') AS day, COALESCE(name, 'unknown'), "
        "MIN(time), MAX(time), COUNT(*), MIN(distance) FROM events WHERE time >= ? "
        "GROUP BY day, COALESCE(name, 'unknown') ORDER BY day, MIN(time)",
        (since if since is not None else float("-inf"),),
    ).fetchall()
    return [
        {
            "day": day,
            "name": name,
            "first_seen": _clock(first),
            "last_seen": _clock(last),
            "sightings": count,
            "best_distance": round(best, 4),
        }
        for day, name, first, last, count, best in rows
    ]


def to_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _clock(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%H:%M:%S")
