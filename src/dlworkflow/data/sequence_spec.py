"""The ``forecast:`` and ``text:`` sections of an experiment config (``task: forecast|text``).

Structural checks live here; checks that need the data (a window longer than a split,
a column that is not in the file) happen when the data is loaded, before anything is
written.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dlworkflow.validation import StrictModel

Standardize = Literal["lower_and_strip_punctuation", "lower", "strip_punctuation", "none"]


class ForecastSpec(StrictModel):
    """Windows cut from a time series: ``lookback`` steps in, ``horizon`` steps out.

    ``horizon: 1`` with one target is many-to-one; a longer horizon or several targets
    is many-to-many (every step and target is one output unit). ``stride`` is the step
    between window starts. ``targets``: the value columns to forecast (default: the
    first). ``season``: the period of the seasonal-naive baseline (default: the named
    source's, or one inferred from a date step: 7 daily, 12 monthly, 4 quarterly…).
    ``relative``: shift each window (inputs and targets) by its last input step, so the
    model forecasts the change from now; a trending series then stays in the range the
    training period covered.
    """

    lookback: int = Field(24, ge=1, le=10_000)
    horizon: int = Field(1, ge=1, le=1_000)
    stride: int = Field(1, ge=1, le=10_000)
    targets: list[str] | None = None
    season: int | None = Field(None, ge=2, le=10_000)
    relative: bool = False


class TextSpec(StrictModel):
    """Keras ``TextVectorization`` settings, recorded with the run so prediction replays them.

    ``max_tokens`` counts the padding (0) and out-of-vocabulary (1) entries.
    Lower-casing is Unicode-aware and texts are NFC-normalised first, so Vietnamese
    diacritics survive (Keras' own lower-casing only folds ASCII). ``probes``: words
    whose nearest neighbours in the learned embedding the report lists (default: the
    most frequent words).
    """

    max_tokens: int = Field(10_000, ge=3, le=1_000_000)
    sequence_length: int = Field(64, ge=3, le=10_000)
    standardize: Standardize = "lower_and_strip_punctuation"
    split: Literal["whitespace", "character"] = "whitespace"
    probes: list[str] = Field(default_factory=list, max_length=20)
