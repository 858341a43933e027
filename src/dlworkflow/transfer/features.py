"""Batched feature extraction, cached in the run folder as ``features.npz``.

The cache key hashes what determines the features (backbone identity, cut, size,
preprocessing, pooling) and the checksums of the data splits, so a later run of the
same backbone on the same data — the same folder resumed, or a sibling run in the same
runs directory — reuses them instead of pushing every image through the base again.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dlworkflow.atomic import write_bytes, write_npz
from dlworkflow.data import Dataset
from dlworkflow.train.precision import float32_array

FEATURES = "features.npz"


@dataclass
class Features:
    splits: dict[str, np.ndarray]  # split name → (samples, features)
    key: str
    cache: str  # "miss", or where the hit came from
    seconds: float  # extraction time (0 on a hit)


def cache_key(identity: dict, pooling: str, dataset: Dataset) -> str:
    record = {
        "backbone": identity,
        "pooling": pooling,
        "splits": {name: split.checksum() for name, split in dataset.splits().items()},
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def extract(
    model: keras.Model, x: np.ndarray, batch_size: int, label: str, console: Console | None
) -> np.ndarray:
    """``model`` on ``x`` batch by batch (raw images go in; only one batch is converted to
    float at a time), with a progress bar."""
    batches = range(0, len(x), batch_size)
    out = []
    with Progress(
        TextColumn(f"[bold]features {label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("", total=len(x))
        for start in batches:
            batch = x[start : start + batch_size].astype(np.float32)
            out.append(float32_array(model.predict_on_batch(batch)))
            progress.advance(task, len(batch))
    return np.concatenate(out).reshape(len(x), -1)


def cached_features(
    model: keras.Model,
    dataset: Dataset,
    key: str,
    folder: Path,
    runs_dir: Path,
    batch_size: int,
    console: Console | None = None,
) -> Features:
    """The features of every split: from a cache with ``key``, else extracted and saved."""
    hit = _find_cache(key, folder, runs_dir)
    if hit is not None:
        if hit != folder / FEATURES:
            write_bytes(folder / FEATURES, hit.read_bytes())
        with np.load(folder / FEATURES, allow_pickle=False) as saved:
            splits = {name: saved[name] for name in dataset.splits()}
        return Features(splits, key, f"hit ({hit})", 0.0)
    started = time.perf_counter()
    splits = {
        name: extract(model, split.x, batch_size, name, console)
        for name, split in dataset.splits().items()
    }
    seconds = time.perf_counter() - started
    write_npz(folder / FEATURES, key=np.array(key), **splits)
    return Features(splits, key, "miss", seconds)


def _find_cache(key: str, folder: Path, runs_dir: Path) -> Path | None:
    candidates = [folder / FEATURES, *sorted(runs_dir.glob(f"*/{FEATURES}"))]
    for path in candidates:
        try:
            with np.load(path, allow_pickle=False) as saved:
                if str(saved["key"]) == key:
                    return path
        except (OSError, KeyError, ValueError):
            continue  # missing, damaged or another kind of file: not a usable cache
    return None
