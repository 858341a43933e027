"""Data-parallel training over several devices: ``train.distribute``.

``mirrored`` puts one replica of the model on every visible GPU (on a machine without
one, on every logical CPU device, which is how the path is tested) through TensorFlow's
``MirroredStrategy``: each batch is split across the replicas and the gradients are
summed, so the model trains as on one device with the same batch.

- ``train.batch_size`` is the **global** batch: with 4 GPUs and ``batch_size: 256`` each
  replica sees 64 examples a step. Results therefore stay comparable with a one-device
  run of the same config.
- The learning rate is **not** scaled: the global batch, and so the gradient's scale, is
  the one of the config. To use the extra devices for a larger batch, raise
  ``batch_size`` by the number of replicas and scale the learning rate by the same
  factor (the linear scaling rule of Goyal et al. 2017), with a warmup such as
  ``schedule: one_cycle`` for large factors.
- ``auto`` (the default) mirrors only when there are two or more GPUs; ``none`` never.
  With one device ``mirrored`` is a no-op and says so.
"""

from __future__ import annotations

import contextlib

import keras
from rich.console import Console

from dlworkflow.errors import BadInput
from dlworkflow.train.spec import DistributeMode


def distribution_scope(
    mode: DistributeMode, batch_size: int, console: Console
) -> contextlib.AbstractContextManager:
    """The scope to build, compile, train and evaluate the model in."""
    devices = replica_devices(mode)
    if len(devices) < 2:
        if mode == "mirrored":
            console.print(
                f"train.distribute mirrored: one device ({', '.join(devices) or 'default'}); "
                "training on it as usual"
            )
        return contextlib.nullcontext()
    import tensorflow as tf

    strategy = tf.distribute.MirroredStrategy(devices)
    console.print(
        f"train.distribute mirrored: {len(devices)} replicas ({', '.join(devices)}); "
        f"batch_size {batch_size} is global, {batch_size / len(devices):g} per replica",
        highlight=False,
    )
    return strategy.scope()


def replica_devices(mode: DistributeMode) -> list[str]:
    """The devices ``mode`` trains on: several for a mirrored run, else at most one."""
    if mode == "none":
        return []
    if keras.backend.backend() != "tensorflow":
        if mode == "mirrored":
            raise BadInput(
                f"train.distribute: mirrored needs the TensorFlow backend, not "
                f"{keras.backend.backend()}; set KERAS_BACKEND=tensorflow or use none"
            )
        return []
    import tensorflow as tf

    gpus = [device.name for device in tf.config.list_logical_devices("GPU")]
    if mode == "auto":
        return gpus if len(gpus) > 1 else gpus[:1]
    return gpus or [device.name for device in tf.config.list_logical_devices("CPU")]
