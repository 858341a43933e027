"""The order training samples are seen in, as a pure function of the run's seed and the
epoch, so a run resumed after ``kill -9`` shuffles exactly like the uninterrupted one.

Keras' own ``shuffle=True`` draws from TensorFlow's stateful global generator, whose
position is lost with the process; reseeding on resume gives a different order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dlworkflow.data.stream import ImageFiles, epoch_stream


def epoch_order(samples: int, seed: int, epoch: int) -> np.ndarray:
    """The permutation of ``range(samples)`` used in ``epoch`` (0-based)."""
    return np.random.default_rng([seed, epoch]).permutation(samples)


def steps_per_epoch(samples: int, batch_size: int) -> int:
    return math.ceil(samples / batch_size)


def epoch_batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    seed: int,
    first_epoch: int,
    epochs: int,
    augment: Callable[[Any], Any] | None = None,
    shuffle: bool = True,
):
    """A ``tf.data`` stream of the batches of epochs ``first_epoch … epochs - 1``, each
    epoch in :func:`epoch_order`; the last batch of an epoch may be smaller.

    Give ``model.fit`` ``steps_per_epoch=steps_per_epoch(len(x), batch_size)``: Keras then
    keeps one iterator across epochs instead of restarting the stream. Only the
    permutation is computed in Python, once per epoch; gathering and batching stay in the
    tf.data pipeline, as with Keras' own arrays. ``augment`` (a function of an input
    batch, see ``data/augment_layers.py``) draws new versions of every training batch;
    ``shuffle=False`` keeps the file order.
    """
    import tensorflow as tf

    samples = len(x)

    def permutation(epoch: int) -> np.ndarray:
        return epoch_order(samples, seed, epoch) if shuffle else np.arange(samples)

    if isinstance(x, ImageFiles):  # files decoded in each epoch's order (data.stream)
        stream = epoch_stream(x, y, batch_size, permutation, first_epoch, epochs)
        features = tf.constant(x[:1])
    else:
        features, targets = tf.constant(x), tf.constant(y)

        def order(epoch: tf.Tensor) -> tf.data.Dataset:
            indices = tf.numpy_function(
                lambda e: permutation(int(e)), [epoch], tf.int64, stateful=False
            )
            indices.set_shape([samples])
            return tf.data.Dataset.from_tensor_slices(indices).batch(batch_size)

        stream = (
            tf.data.Dataset.range(first_epoch, epochs)
            .flat_map(order)
            .map(
                lambda rows: (tf.gather(features, rows), tf.gather(targets, rows)),
                num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True,
            )
        )
    if augment is not None:  # one map call at a time: the layers' seeds advance in order
        # the random layers draw once per batch whatever its size: replaying the batches of
        # the epochs already done on one sample puts a resumed run's draws where they were
        for _ in range(first_epoch * steps_per_epoch(samples, batch_size)):
            augment(features[:1])
        stream = stream.map(lambda xb, yb: (augment(xb), yb))
    return stream.prefetch(tf.data.AUTOTUNE)
