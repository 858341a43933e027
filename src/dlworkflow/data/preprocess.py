"""Input scaling fitted on the training split only, recorded so it can be replayed.

Every scaling is ``(x - offset) / factor`` with one offset and factor per channel
(images) or per feature (tables): the same two lists describe all of them, which
keeps the record in ``data.json`` small and the replay (serving, decision
boundaries) one line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Literal

import numpy as np

Scale = Literal["unit", "symmetric", "standard", "none"]


@dataclass(frozen=True)
class Preprocessing:
    scale: Scale
    offset: tuple[float, ...]
    factor: tuple[float, ...]
    flatten: bool = False
    # regression targets are trained as (y - target_offset) / target_factor; the
    # identity (0, 1) for classification, ``target_scale: none`` and older runs
    target_offset: float = 0.0
    target_factor: float = 1.0

    def apply(self, x: np.ndarray) -> np.ndarray:
        """Scale (and flatten when asked) a batch of raw inputs into float32; streamed
        image files (``data/stream.py``) stay unread, to be scaled as they are read."""
        if hasattr(x, "scaled"):
            return x.scaled(self)
        out = x.astype(np.float32)
        if self.scale != "none":
            out = (out - np.asarray(self.offset, np.float32)) / np.asarray(self.factor, np.float32)
        return out.reshape(len(out), -1) if self.flatten else out

    def with_flatten(self, flatten: bool) -> Preprocessing:
        return replace(self, flatten=flatten)

    def with_target_scale(self, y_train: np.ndarray) -> Preprocessing:
        """Standardise regression targets on the training split: a target in the hundreds
        (diabetes) otherwise needs hundreds of epochs of a unit-scale network's output."""
        y = np.asarray(y_train, np.float64)
        std = float(y.std()) or 1.0
        return replace(self, target_offset=float(y.mean()), target_factor=std)

    def encode_target(self, y: np.ndarray) -> np.ndarray:
        """Targets as the network is trained on them."""
        return ((np.asarray(y, np.float64) - self.target_offset) / self.target_factor).astype(
            np.float32
        )

    def decode_target(self, y: np.ndarray) -> np.ndarray:
        """Network outputs back in the data's own units, for metrics, plots and predictions."""
        return np.asarray(y, np.float64) * self.target_factor + self.target_offset

    def to_dict(self) -> dict:
        return {**asdict(self), "offset": list(self.offset), "factor": list(self.factor)}

    @classmethod
    def from_dict(cls, record: dict) -> Preprocessing:
        return cls(
            scale=record["scale"],
            offset=tuple(record["offset"]),
            factor=tuple(record["factor"]),
            flatten=bool(record.get("flatten", False)),
            target_offset=float(record.get("target_offset", 0.0)),
            target_factor=float(record.get("target_factor", 1.0)),
        )


def fit_preprocessing(x_train: np.ndarray, scale: Scale, value_max: float | None) -> Preprocessing:
    """Fit ``scale`` on training inputs.

    ``value_max`` is the known top of an image source's range (255, or 16 for
    digits); with it, unit/symmetric use that range instead of the observed one, so
    a dark batch is not stretched.
    """
    channels = x_train.shape[-1] if x_train.ndim > 1 else 1
    axes = tuple(range(x_train.ndim - 1)) if x_train.ndim > 1 else (0,)
    if scale == "none":
        return Preprocessing("none", (0.0,) * channels, (1.0,) * channels)
    if scale == "standard":
        data = x_train.astype(np.float64)
        mean, std = data.mean(axis=axes), data.std(axis=axes)
        return Preprocessing("standard", _tuple(mean, channels), _tuple(_nonzero(std), channels))
    if value_max is not None:
        low, high = np.zeros(channels), np.full(channels, float(value_max))
    else:
        low = x_train.min(axis=axes).astype(np.float64)
        high = x_train.max(axis=axes).astype(np.float64)
    span = _nonzero(np.broadcast_to(high - low, (channels,)))
    if scale == "unit":
        return Preprocessing("unit", _tuple(low, channels), _tuple(span, channels))
    return Preprocessing("symmetric", _tuple(low + span / 2, channels), _tuple(span / 2, channels))


def encode_labels(y: np.ndarray, num_classes: int, one_hot: bool) -> np.ndarray:
    """Integer class ids, or one-hot rows for losses that want them."""
    if not one_hot:
        return y.astype(np.int64)
    return np.eye(num_classes, dtype=np.float32)[y.astype(np.int64)]


def _nonzero(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, np.float64).copy()
    values[values == 0] = 1.0
    return values


def _tuple(values: np.ndarray, channels: int) -> tuple[float, ...]:
    return tuple(float(v) for v in np.broadcast_to(values, (channels,)))
