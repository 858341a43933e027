"""A disposable training copy of a compiled model, for probes that must not touch it."""

from __future__ import annotations

import keras


def training_copy(model: keras.Model) -> keras.Model:
    """Same architecture, same current weights, a fresh optimizer of the same config,
    the same loss and metrics: the learnability check and the LR range test train this,
    so the model the run trains afterwards starts exactly where it was."""
    config = model.get_compile_config()
    if config is None:
        raise ValueError("compile the model before probing it (loss and optimizer are needed)")
    copy = keras.models.clone_model(model)
    copy.compile_from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def current_lr(model: keras.Model) -> float:
    """The optimizer's learning rate as a plain float."""
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
