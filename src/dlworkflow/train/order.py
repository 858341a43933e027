"""The order training samples are seen in, as a pure function of the run's seed and the
epoch, so a run resumed after ``kill -9`` shuffles exactly like the uninterrupted one.

Keras' own ``shuffle=True`` draws from TensorFlow's stateful global generator, whose
position is lost with the process; reseeding on resume gives a different order.
"""

from __future__ import annotations

import math

import keras
import numpy as np


def epoch_order(samples: int, seed: int, epoch: int) -> np.ndarray:
    """The permutation of ``range(samples)`` used in ``epoch`` (0-based)."""
    return np.random.default_rng([seed, epoch]).permutation(samples)


class EpochShuffled(keras.utils.PyDataset):
    """Batches of ``(x, y)`` in :func:`epoch_order`, starting at ``first_epoch``.

    Keras calls ``on_epoch_begin``/``on_epoch_end`` around every epoch of ``fit``; the
    epoch number advances in ``on_epoch_end``.
    """

    def __init__(
        self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, first_epoch: int
    ) -> None:
        super().__init__()
        self.x, self.y, self.batch_size, self.seed = x, y, batch_size, seed
        self.epoch = first_epoch
        self.order = epoch_order(len(x), seed, first_epoch)

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        return self.x[rows], self.y[rows]

    def on_epoch_begin(self) -> None:
        self.order = epoch_order(len(self.x), self.seed, self.epoch)

    def on_epoch_end(self) -> None:
        self.epoch += 1
