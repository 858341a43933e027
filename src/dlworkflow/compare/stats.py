"""Repeats as numbers: mean ± std per variant, and whether a difference beats the spread.

Pure functions over plain numbers, so the rule a page applies can be checked by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

BEST = "best"
WITHIN_NOISE = "within noise"
BEYOND_NOISE = "beyond noise"
NO_SPREAD = "no spread (n = 1)"


@dataclass(frozen=True)
class Summary:
    """Mean, sample standard deviation (n − 1; None for one value) and count."""

    mean: float | None
    std: float | None
    n: int


def summarize(values: Iterable[float | None]) -> Summary:
    """Summary of the finite values (a missing or NaN metric does not count)."""
    kept = [float(v) for v in values if v is not None and math.isfinite(v)]
    n = len(kept)
    if n == 0:
        return Summary(None, None, 0)
    mean = math.fsum(kept) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in kept) / (n - 1)) if n > 1 else None
    return Summary(mean, std, n)


def within_noise(a: Summary, b: Summary) -> bool | None:
    """``|mean_a − mean_b| < std_a + std_b``; None when either has no spread to judge by."""
    if a.std is None or b.std is None or a.mean is None or b.mean is None:
        return None
    return abs(a.mean - b.mean) < a.std + b.std


def verdict(summary: Summary, best: Summary, is_best: bool) -> str:
    """The mark a variant gets against the best one."""
    if is_best:
        return BEST
    noise = within_noise(summary, best)
    if noise is None:
        return NO_SPREAD
    return WITHIN_NOISE if noise else BEYOND_NOISE


def best_index(scores: list[float | None], higher_is_better: bool) -> int:
    """Index of the best score; missing or NaN scores never win, ties go to the first."""
    sign = 1.0 if higher_is_better else -1.0
    keyed = [sign * s if s is not None and math.isfinite(s) else -math.inf for s in scores]
    return max(range(len(keyed)), key=lambda i: (keyed[i], -i))
