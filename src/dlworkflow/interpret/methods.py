"""The methods by name, so the run, the CLI and a notebook choose them the same way."""

from __future__ import annotations

import keras
import numpy as np

from dlworkflow.errors import BadInput
from dlworkflow.interpret.cam import grad_cam
from dlworkflow.interpret.occlusion_maps import occlusion
from dlworkflow.interpret.probe import spatial_layers
from dlworkflow.interpret.saliency_maps import saliency

LABELS = {
    "gradcam": "Grad-CAM",
    "gradcam++": "Grad-CAM++",
    "saliency": "saliency",
    "smoothgrad": "SmoothGrad",
    "occlusion": "occlusion (drop of p)",
}
NAMES = {**LABELS, "feature-maps": "feature maps", "filters": "filter visualisation"}
NEED_CONV = {"gradcam", "gradcam++", "feature-maps", "filters"}
ALL = (*LABELS, "feature-maps", "filters")


def has_conv(model: keras.Model) -> bool:
    return bool(spatial_layers(model, pooling=False))


def choose(
    model: keras.Model, methods: list[str] | None, default: tuple[str, ...]
) -> tuple[list[str], list[str]]:
    """``(methods to run, notes)``: unknown names are refused; by default, conv-only
    methods are left out of a dense-only model with a note (asked for, they refuse)."""
    if methods:
        unknown = [m for m in methods if m not in ALL]
        if unknown:
            raise BadInput(f"--method: {', '.join(unknown)} unknown; choose from {', '.join(ALL)}")
        return list(dict.fromkeys(methods)), []
    if has_conv(model):
        return list(default), []
    skipped = [m for m in default if m in NEED_CONV]
    note = (
        f"{' and '.join(NAMES[m] for m in skipped)} need a conv layer; model '{model.name}' "
        "is dense-only, so they are left out (saliency and occlusion need none)"
    )
    return [m for m in default if m not in NEED_CONV], [note] if skipped else []


def attribution_maps(
    model: keras.Model,
    x: np.ndarray,
    methods: list[str],
    classes=None,
    layer: str | None = None,
    patch: int | None = None,
    stride: int | None = None,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """``{label: (N, H, W) map}`` of each heatmap method in ``methods``, hotter = more."""
    maps = {}
    for method in methods:
        if method in ("gradcam", "gradcam++"):
            maps[LABELS[method]] = grad_cam(model, x, classes, layer, plus=method == "gradcam++")
        elif method in ("saliency", "smoothgrad"):
            samples = 25 if method == "smoothgrad" else 0
            maps[LABELS[method]] = saliency(model, x, classes, samples=samples, seed=seed)
        elif method == "occlusion":
            maps[LABELS[method]] = np.maximum(occlusion(model, x, classes, patch, stride)[0], 0.0)
    return maps
