"""Interpretation: feature maps, filters by gradient ascent, Grad-CAM, saliency, occlusion."""

from dlworkflow.interpret.cam import grad_cam
from dlworkflow.interpret.explain import explain_run
from dlworkflow.interpret.features import feature_maps, maximise_filters
from dlworkflow.interpret.occlusion_maps import occlusion
from dlworkflow.interpret.probe import probe_model
from dlworkflow.interpret.saliency_maps import saliency
from dlworkflow.interpret.section import interpret_run

__all__ = [
    "explain_run",
    "feature_maps",
    "grad_cam",
    "interpret_run",
    "maximise_filters",
    "occlusion",
    "probe_model",
    "saliency",
]
