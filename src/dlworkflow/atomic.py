"""Atomic file writes: write to a temporary sibling, then rename.

A run killed at any moment leaves either the old file or the new one, never half of
one, which is what makes run folders resumable and trustworthy.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


@contextmanager
def _temporary_sibling(path: Path, suffix: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():
            os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    with _temporary_sibling(path, ".tmp") as tmp:
        tmp.write_bytes(data)
    return path


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def json_text(obj: Any) -> str:
    """``obj`` as the JSON text ``write_json`` writes (NumPy values made plain)."""
    return json.dumps(obj, indent=2, default=_json_default) + "\n"


def write_json(path: str | Path, obj: Any) -> Path:
    return write_text(path, json_text(obj))


def write_npz(path: str | Path, **arrays: np.ndarray) -> Path:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return write_bytes(path, buffer.getvalue())


def write_with(path: str | Path, writer: Callable[[Path], Any]) -> Path:
    """Let ``writer`` produce the file at a temporary path whose suffix matches ``path``.

    Needed for writers such as ``model.save`` that insist on a file extension.
    """
    path = Path(path)
    with _temporary_sibling(path, path.suffix) as tmp:
        tmp.unlink()
        writer(tmp)
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
