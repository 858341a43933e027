"""What every attribution method shares: feeding images to the model, class scores."""

from __future__ import annotations

import keras
import numpy as np

from dlworkflow.interpret.gradients import GradientStep, forward_function, gradient_function
from dlworkflow.interpret.probe import cached, logits_while_tracing, probe_model

PREDICTED = -1  # the target that means "the class the model predicts for this sample"


def model_batch(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Preprocessed images (N, H, W, C) reshaped to what the model takes (flat for an MLP)."""
    images = np.asarray(images, np.float32)
    if len(model.input_shape) == 2:
        return images.reshape(len(images), -1)
    return images


def probabilities(model: keras.Model, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Class probabilities (N, classes), one column per class also for one sigmoid unit."""
    forward = cached(model, "forward", lambda: forward_function(probe_model(model, [])))
    x = model_batch(model, images)
    parts = [forward(x[i : i + batch_size])[-1] for i in range(0, len(x), batch_size)]
    y = np.concatenate(parts).reshape(len(x), -1)
    return np.column_stack([1.0 - y[:, 0], y[:, 0]]) if y.shape[1] == 1 else y


def predicted_classes(model: keras.Model, images: np.ndarray) -> np.ndarray:
    return probabilities(model, images).argmax(axis=1)


def class_gradients(model: keras.Model, layer: str | None = None) -> GradientStep:
    """The model's traced step: gradient of each sample's class score (logit) with respect
    to ``layer``'s activation — outputs ``[activation, output]`` — or to the input."""
    names = [layer] if layer else []
    return cached(
        model,
        ("class-gradients", layer),
        lambda: gradient_function(
            probe_model(model, names),
            lambda outputs, targets: class_score(outputs[-1], targets),
            wrt_output=0 if layer else None,
            tracing=logits_while_tracing(model),
        ),
    )


def class_score(output, targets):
    """Each sample's score of its target class: column ``targets[i]``, or ±logit for one
    unit; a target of ``PREDICTED`` scores the predicted class of the same forward pass."""
    units = int(np.prod(output.shape[1:]))
    output = keras.ops.reshape(output, (-1, units))
    if units == 1:
        logit = output[:, 0]
        positive = keras.ops.where(targets == PREDICTED, logit > 0, targets == 1)
        return keras.ops.where(positive, logit, -logit)
    predicted = keras.ops.cast(keras.ops.argmax(output, axis=1), targets.dtype)
    chosen = keras.ops.where(targets == PREDICTED, predicted, targets)
    return keras.ops.sum(output * keras.ops.one_hot(chosen, units, dtype=output.dtype), axis=1)


def class_targets(classes, count: int) -> np.ndarray:
    """One target per sample: the given class id(s), or ``PREDICTED``."""
    classes = PREDICTED if classes is None else classes
    return np.broadcast_to(np.asarray(classes, np.int32), (count,)).copy()


def resolve_classes(model: keras.Model, images: np.ndarray, classes) -> np.ndarray:
    """One class per image: the given one(s), or the model's prediction."""
    if classes is None:
        return predicted_classes(model, images)
    return class_targets(classes, len(images)).astype(np.int64)


def in_batches(
    step: GradientStep, x: np.ndarray, targets: np.ndarray, size: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """``step`` over chunks of ``size`` samples (bounded memory), results concatenated."""
    parts = [step(x[i : i + size], targets[i : i + size]) for i in range(0, len(x), size)]
    outputs = [np.concatenate(column) for column in zip(*(p[0] for p in parts), strict=True)]
    return outputs, np.concatenate([p[1] for p in parts])


def normalise(maps: np.ndarray) -> np.ndarray:
    """Scale each map to [0, 1] by its maximum (all-zero maps stay zero)."""
    peak = maps.reshape(len(maps), -1).max(axis=1).reshape(-1, *([1] * (maps.ndim - 1)))
    return np.where(peak > 0, maps / np.where(peak > 0, peak, 1.0), 0.0)
