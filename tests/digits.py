"""The default digits experiment as arrays, prepared the way ``dlworkflow.run`` does."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from dlworkflow.config import load_config
from dlworkflow.experiments import prepare


@dataclass
class Digits:
    model: keras.Model  # compiled, untrained
    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def digits(overrides: dict | None = None) -> Digits:
    """A freshly built default digits setup (``overrides`` merged into the default config)."""
    config = load_config().model_dump()
    for section, values in (overrides or {}).items():
        config[section] = {**config[section], **values}
    prepared = prepare(load_config(config))
    dataset = prepared.dataset
    return Digits(prepared.model, *prepared.arrays(dataset.train), *prepared.arrays(dataset.val))
