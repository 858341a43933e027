"""Pictures of a gallery evaluation: ROC and DET of verification, distance histograms."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import det_curve, roc_curve

from dlworkflow.figures import plt


def _scores(genuine: np.ndarray, impostor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.r_[np.ones(len(genuine)), np.zeros(len(impostor))], -np.r_[genuine, impostor]


def roc_det_figure(genuine: np.ndarray, impostor: np.ndarray, thresholds: dict) -> Figure:
    """Verification ROC (log FAR) beside the DET curve, with each named threshold marked."""
    y, scores = _scores(genuine, impostor)
    figure, (roc, det) = plt.subplots(1, 2, figsize=(11, 4.6))
    fpr, tpr, _ = roc_curve(y, scores)
    roc.plot(np.maximum(fpr, 1e-5), tpr, label="verification pairs")
    far, frr, _ = det_curve(y, scores)
    det.plot(np.maximum(far, 1e-5), np.maximum(frr, 1e-5), label="verification pairs")
    for name, rates in thresholds.items():
        label = f"{name} {rates['threshold']:.3f}"
        x = max(rates["pair_far"], 1e-5)
        roc.plot(x, rates["pair_tar"], "o", label=label)
        det.plot(x, max(1 - rates["pair_tar"], 1e-5), "o", label=label)
    roc.set_xscale("log")
    roc.set_xlabel("false accept rate (impostor pairs)")
    roc.set_ylabel("true accept rate (genuine pairs)")
    roc.set_title("ROC")
    det.set_xscale("log")
    det.set_yscale("log")
    det.set_xlabel("false accept rate")
    det.set_ylabel("false reject rate")
    det.set_title("DET")
    for axis in (roc, det):
        axis.grid(alpha=0.3, which="both")
        axis.legend(loc="best", fontsize=8)
    return figure


def distance_figure(
    genuine: np.ndarray,
    impostor: np.ndarray,
    known_distance: np.ndarray,
    unknown_distance: np.ndarray,
    thresholds: dict,
) -> Figure:
    """Distance histograms of pairs and of probes' nearest identity, thresholds as lines."""
    figure, (pairs, probes) = plt.subplots(1, 2, figsize=(11, 4.2))
    bins = np.linspace(0, max(np.r_[genuine, impostor, known_distance, unknown_distance]), 60)
    pairs.hist(impostor, bins, density=True, alpha=0.6, label="impostor pairs")
    pairs.hist(genuine, bins, density=True, alpha=0.6, label="genuine pairs")
    probes.hist(unknown_distance, bins, alpha=0.6, label="unknown probes")
    probes.hist(known_distance, bins, alpha=0.6, label="known probes")
    pairs.set_title("verification pairs")
    probes.set_title("nearest identity of each probe")
    for axis in (pairs, probes):
        for index, (name, rates) in enumerate(thresholds.items()):
            axis.axvline(rates["threshold"], color=f"C{index + 2}", linestyle="--", label=name)
        axis.set_xlabel("Euclidean distance")
        axis.legend(fontsize=8)
    return figure
