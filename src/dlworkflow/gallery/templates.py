"""Templates per identity, as the notes list them: every sample, their mean or their max."""

from __future__ import annotations

from typing import Literal

import numpy as np

Template = Literal["all", "mean", "max"]
TEMPLATES = ("all", "mean", "max")


def pool(vectors: np.ndarray, template: Template) -> np.ndarray:
    """One vector standing for ``vectors`` (only for ``mean`` and ``max``)."""
    if template == "mean":
        return vectors.mean(axis=0).astype(np.float32)
    if template == "max":
        return vectors.max(axis=0).astype(np.float32)
    raise ValueError(f"template {template!r} keeps every sample; nothing to pool")


def distances_to_templates(
    queries: np.ndarray, vectors: np.ndarray, labels: np.ndarray, template: Template
) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each query to each identity's template: (n_queries, n_identities), ids.

    For ``all`` that is the distance to the nearest sample of the identity, which is
    what an exact index search returns.
    """
    identities = np.unique(labels)
    out = np.empty((len(queries), len(identities)), np.float32)
    for column, identity in enumerate(identities):
        members = vectors[labels == identity]
        if template == "all":
            out[:, column] = pairwise(queries, members).min(axis=1)
        else:
            out[:, column] = pairwise(queries, pool(members, template)[None]).ravel()
    return out, identities


def pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of ``a`` and ``b``."""
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(squared, 0.0))
