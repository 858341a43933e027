"""Reading a user's CSV file into a header and rows, with caps before memory is spent."""

from __future__ import annotations

import csv
from pathlib import Path

from dlworkflow.errors import BadInput

MAX_BYTES = 200 * 1024 * 1024
MAX_FIELD = 1024 * 1024  # one text cell


def read_rows(
    path: Path, key: str = "data.source", delimiter: str = ","
) -> tuple[list[str], list[list[str]]]:
    """Header (stripped) and data rows; a missing, huge, non-UTF-8, empty or ragged file
    is refused naming ``key``, the file and the row."""
    if not path.is_file():
        raise BadInput(f"{key}: CSV file {path} does not exist")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise BadInput(f"{key}: {path} is {size:,} bytes; the limit is {MAX_BYTES:,}")
    csv.field_size_limit(MAX_FIELD)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle, delimiter=delimiter))
    except UnicodeDecodeError as error:
        raise BadInput(f"{key}: {path} is not UTF-8 text ({error.reason})") from None
    except csv.Error as error:
        raise BadInput(f"{key}: {path} is not a readable CSV ({error})") from None
    if len(rows) < 2:
        raise BadInput(f"{key}: {path} has no data rows under its header")
    header = [name.strip() for name in rows[0]]
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise BadInput(
                f"{key}: {path} row {number} has {len(row)} fields, the header has {len(header)}"
            )
    return header, rows[1:]


def column(header: list[str], name: str, path: Path, key: str) -> int:
    """Index of column ``name``; an unknown one is named with the columns there are."""
    if name not in header:
        raise BadInput(f"{key}: no column '{name}' in {path}; its columns: {', '.join(header)}")
    return header.index(name)
