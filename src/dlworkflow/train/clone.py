"""Probes that train a compiled model without changing it: on a disposable copy, or on
the model itself with its state put back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def state_restored(model: keras.Model) -> Iterator[keras.Model]:
    """Let a probe train ``model`` itself, then put back its weights and its optimizer's
    variables (step count, moments, learning rate) as they were before.

    Cheaper than :func:`training_copy` for a probe fed the run's own kind of stream: the
    train step it traces is the one the run's ``fit`` then reuses (a copy traces its own,
    about a second on a 2-core CPU)."""
    optimizer = model.optimizer
    if optimizer is None:
        raise ValueError("compile the model before probing it (loss and optimizer are needed)")
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    weights = model.get_weights()
    state = [variable.numpy() for variable in optimizer.variables]
    try:
        yield model
    finally:
        model.set_weights(weights)
        for variable, value in zip(optimizer.variables, state, strict=True):
            variable.assign(value)
