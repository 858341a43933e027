"""The FAISS index over the gallery's templates, rebuilt from SQLite and patched on change.

Measured in ``benchmarks/gallery.py`` (2 shared cores, single queries): exact search
(``IndexFlatL2``) answers 10k vectors in 0.3 ms p50 but 100k in 22 ms, so ``auto``
switches to IVF from ``APPROXIMATE_FROM`` vectors. IVF over HNSW because the index is
rebuilt on every open and HNSW is slow to build (144 s at 100k, unfinished after 15 min
at 1M, against IVF's 22 s and 87 s) and cannot delete in place; with sqrt(n) lists and
32 probes IVF found the exact nearest neighbour for every query at 100k and 1M (16
probes: 0.985 at 1M). HNSW stays available by name for static galleries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import faiss
import numpy as np

IndexKind = Literal["auto", "flat", "hnsw", "ivf"]
KINDS = ("auto", "flat", "hnsw", "ivf")
APPROXIMATE_FROM = 50_000
HNSW_NEIGHBOURS = 32
HNSW_EF_SEARCH = 64
HNSW_EF_CONSTRUCTION = 80
IVF_PROBES = 32
FEW_QUERIES = 16


def resolve_kind(kind: IndexKind, count: int) -> str:
    if kind == "auto":
        return "ivf" if count >= APPROXIMATE_FROM else "flat"
    return kind


class VectorIndex:
    """Vectors keyed by int64 ids (sample or identity ids); distances are Euclidean."""

    def __init__(self, dim: int, kind: IndexKind, vectors: np.ndarray, ids: np.ndarray) -> None:
        self.dim, self.requested = dim, kind
        self.kind = resolve_kind(kind, len(vectors))
        self.index = _empty(self.kind, dim, vectors)
        if len(vectors):
            self.index.add_with_ids(_f32(vectors), np.asarray(ids, np.int64))

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @property
    def removes_in_place(self) -> bool:
        return self.kind != "hnsw"

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        self.index.add_with_ids(_f32(vectors), np.asarray(ids, np.int64))

    def remove(self, ids: np.ndarray) -> None:
        self.index.remove_ids(np.asarray(ids, np.int64))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(distances, ids) of the ``k`` nearest per query; missing neighbours have id -1."""
        k = max(1, min(k, self.size))
        if self.size == 0:
            empty = np.full((len(queries), 1), -1, np.int64)
            return np.full(empty.shape, np.inf, np.float32), empty
        with _threads(1 if len(queries) <= FEW_QUERIES else faiss.omp_get_max_threads()):
            squared, ids = self.index.search(_f32(queries), k)
        return np.sqrt(np.maximum(squared, 0.0)), ids


@contextmanager
def _threads(count: int) -> Iterator[None]:
    """Search a few queries on one thread: on a busy 2-core machine OpenMP's hand-offs cost
    50 ms per query where the search itself takes 0.2 ms (benchmarks/gallery.py)."""
    saved = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(saved)


def _empty(kind: str, dim: int, vectors: np.ndarray) -> faiss.Index:
    if kind == "flat":
        return faiss.IndexIDMap2(faiss.IndexFlatL2(dim))
    if kind == "hnsw":
        inner = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS)
        inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        inner.hnsw.efSearch = HNSW_EF_SEARCH
        return faiss.IndexIDMap2(inner)
    if kind == "ivf":
        # sqrt(n) lists trained on the vectors at hand (FAISS wants ≥ 39 per list); the
        # k-means cost grows with lists × training points, so more lists would slow open
        lists = int(max(1, min(np.sqrt(max(len(vectors), 1)), len(vectors) // 39)))
        quantizer = faiss.IndexFlatL2(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, lists)
        index.train(_f32(vectors) if len(vectors) else np.zeros((1, dim), np.float32))
        index.nprobe = min(IVF_PROBES, lists)
        return index
    raise ValueError(f"unknown index kind {kind!r}")


def _f32(vectors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vectors, dtype=np.float32)
