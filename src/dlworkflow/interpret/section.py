"""The run report's interpretation section: a few test images explained after evaluation.

Kept to a handful of images and the cheap methods so that a run spends seconds on it:
Grad-CAM (conv models), saliency and occlusion on the first few correct and the
highest-loss misclassified test images, and the first conv layer's feature maps.
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from dlworkflow.data import Dataset, Split
from dlworkflow.evaluate.classification import predicted_labels
from dlworkflow.evaluate.mistakes import highest_loss_indices
from dlworkflow.figures import save_figure
from dlworkflow.interpret.features import feature_maps
from dlworkflow.interpret.methods import LABELS, attribution_maps, choose
from dlworkflow.interpret.plots import channel_grid_figure, heatmap_figure
from dlworkflow.interpret.probe import conv_layer_names, spatial_layers

RUN_METHODS = ("gradcam", "saliency", "occlusion", "feature-maps")


def interpret_run(
    model: keras.Model,
    dataset: Dataset,
    split: Split,
    y_prob: np.ndarray,
    figures: Path,
    count: int = 3,
) -> dict:
    """Write ``interpretation.png`` (and ``feature_maps.png``) into ``figures``; the record."""
    start = time.perf_counter()
    if dataset.kind != "image" or dataset.task in ("regression", "multilabel") or len(
        dataset.input_shape
    ) != 3:
        return {"notes": ["interpretation needs image inputs and classes; this run has neither"]}
    y_true = np.asarray(split.y).astype(np.int64)
    predicted = predicted_labels(y_prob)
    correct = np.flatnonzero(predicted == y_true)[:count]
    indices = [*correct.tolist(), *highest_loss_indices(y_true, y_prob, count).tolist()]
    x = dataset.preprocessing.with_flatten(False).apply(split.x[indices])
    methods, notes = choose(model, None, RUN_METHODS)
    maps = attribution_maps(model, x, methods, classes=predicted[indices])
    names = dataset.class_names
    images = [
        {
            "index": int(i),
            "true": names[y_true[i]],
            "predicted": names[predicted[i]],
            "correct": bool(predicted[i] == y_true[i]),
        }
        for i in indices
    ]
    titles = [f"#{e['index']} true {e['true']} / pred {e['predicted']}" for e in images]
    note = "hotter = more evidence for the predicted class"
    save_figure(
        heatmap_figure(split.x[indices], maps, titles, note), figures / "interpretation.png"
    )
    record = {
        "methods": [LABELS[m] for m in methods if m in LABELS],
        "images": images,
        "notes": notes,
    }
    if "feature-maps" in methods:
        record["gradcam_layer"] = conv_layer_names(model, "Grad-CAM")[-1]
        first = spatial_layers(model)[0].name
        activation = feature_maps(model, x[0], [first])[first]
        save_figure(channel_grid_figure(first, activation), figures / "feature_maps.png")
        record["feature_layer"] = first
    record["seconds"] = round(time.perf_counter() - start, 3)
    return record
