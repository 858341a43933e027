"""Numeric options checked against their valid range before any work, one line each."""

from __future__ import annotations

from dlworkflow.errors import BadInput


def whole_number(value: object, key: str, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``, else BadInput naming ``key`` and the range."""
    valid = f"from {low} to {high}" if high is not None else f"{low} or more"
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{key}: {value!r} is not a whole number ({valid})")
    if value < low or (high is not None and value > high):
        raise BadInput(f"{key}: {value} is out of range; give a whole number {valid}")
    return value
