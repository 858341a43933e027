"""The ``multilabel:`` section of an experiment config: how each label's yes/no is cut."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dlworkflow.validation import StrictModel


class MultilabelSpec(StrictModel):
    """``threshold``: one probability cut for every label (default 0.5), or ``tune``: per
    label, the cut that maximises that label's F1 on the validation split; the cuts are
    recorded in ``metrics.json`` and used for the test metrics and ``dlw predict``."""

    threshold: Annotated[float, Field(gt=0.0, lt=1.0)] | Literal["tune"] = 0.5
