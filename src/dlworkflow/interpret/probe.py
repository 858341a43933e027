"""Probe models and the per-model cache of traced steps every method reuses.

Feature maps, Grad-CAM and filter visualisation all need the activation of a named
layer together with (or instead of) the model's output: a probe model built by
:func:`dlworkflow.models.topology.trace_outputs`, which also opens nested models (the
transfer-learning case that breaks tf-keras-vis). Building a probe and tracing its
gradient step costs far more than running it, so both are kept per model; the cache
holds the model weakly, and the cached functions only reference probes that share the
model's layers, so a model that goes away takes its entries with it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TypeVar

import keras

from dlworkflow.errors import BadInput
from dlworkflow.models.topology import LayerNode, trace_outputs, walk

T = TypeVar("T")
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cached(model: keras.Model, key: Hashable, build: Callable[[], T]) -> T:
    """``build()`` once per ``(model, key)``; ``build`` must not hold on to ``model``."""
    entries = _CACHE.setdefault(model, {})
    if key not in entries:
        entries[key] = build()
    return entries[key]


def layers_of(model: keras.Model) -> list[LayerNode]:
    """The model's layers with nested models opened (walked once per model)."""
    return cached(model, "walk", lambda: walk(model, expand_nested=True))


def spatial_layers(model: keras.Model, pooling: bool = True) -> list[LayerNode]:
    """Conv (and pooling) layers whose output is a 2-D grid of channels, in data-flow order."""
    kinds = ("Conv", "Pooling") if pooling else ("Conv",)
    return [
        node
        for node in layers_of(model)
        if any(kind in type(node.layer).__name__ for kind in kinds)
        and "Global" not in type(node.layer).__name__
        and len(node.output_shapes) == 1
        and len(node.output_shapes[0]) == 3
    ]


def conv_layer_names(model: keras.Model, needed_by: str) -> list[str]:
    """Names of the 2-D conv layers; a dense-only model is refused with ``needed_by``."""
    names = [node.name for node in spatial_layers(model, pooling=False)]
    if not names:
        raise BadInput(
            f"{needed_by} needs a 2-D conv layer, and model '{model.name}' has none "
            "(saliency and occlusion work on any model)"
        )
    return names


def check_layer(model: keras.Model, name: str, needed_by: str) -> str:
    """``name`` if it is a conv/pooling layer of ``model``, else say which ones are."""
    names = [node.name for node in spatial_layers(model)]
    if name not in names:
        choices = ", ".join(names) or "none"
        raise BadInput(f"{needed_by}: layer '{name}' is not a conv/pooling layer; use {choices}")
    return name


def probe_model(model: keras.Model, names: list[str]) -> keras.Model:
    """A model with outputs ``[activation of each name…, model output]``, sharing weights."""
    return cached(model, ("probe", *names), lambda: trace_outputs(model, names))


def logits_while_tracing(model: keras.Model) -> Callable[[], Iterator[None]]:
    """The ``tracing`` hook of a gradient step that should see class scores, not probabilities.

    Gradients of a saturated probability vanish for confident predictions, so Grad-CAM
    and saliency differentiate the logits (as tf-keras-vis's ReplaceToLinear does).
    """
    return partial(_linear, layers_of(model)[-1].layer)


@contextmanager
def _linear(layer: keras.Operation) -> Iterator[None]:
    """Within the block ``layer`` has no softmax/sigmoid; restored on exit."""
    saved = getattr(layer, "activation", None)
    if saved in (keras.activations.softmax, keras.activations.sigmoid):
        layer.activation = keras.activations.linear
    try:
        yield
    finally:
        if saved is not None:
            layer.activation = saved
