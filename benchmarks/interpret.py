#!/usr/bin/env python
"""Seconds per image of each interpretation method (target: Grad-CAM < 0.2 s at 224×224).

Models: the course's reference MNIST CNN (28×28×1, untrained: timing only) and the zoo's
VGG16 (nested Keras Applications conv base, ``top: small``, 224×224×3, untrained). Each
method runs on a batch of ``--images`` random images after one warm-up call on one image
(shown as "first call": building the probe model and tracing its step happen then, once
per model); the baseline in the same process is one plain forward pass (``model(x)``) of
the batch, so the ratio says how many forward passes a method costs.

    python benchmarks/interpret.py [--images 4] [--skip-vgg]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import time

import keras
import numpy as np

from dlworkflow.interpret import grad_cam, occlusion, saliency
from dlworkflow.models import build_zoo, head_for


def seconds(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def per_image(function, images: np.ndarray, repeats: int = 2) -> tuple[float, float]:
    """``(seconds of the warm-up call on one image, best seconds per image after it)``."""
    first = seconds(function, images[:1])  # probe built, step traced, first allocations
    best = min(seconds(function, images) for _ in range(repeats))
    return first, best / len(images)


def bench(name: str, model: keras.Model, images: np.ndarray, occlusion_patch: int) -> None:
    forward_first, forward = per_image(lambda x: model(x, training=False), images)
    methods = {
        "Grad-CAM": lambda x: grad_cam(model, x),
        "Grad-CAM++": lambda x: grad_cam(model, x, plus=True),
        "saliency": lambda x: saliency(model, x),
        "SmoothGrad (25)": lambda x: saliency(model, x, samples=25),
        f"occlusion (patch {occlusion_patch})": lambda x: occlusion(
            model, x, patch=occlusion_patch
        ),
    }
    print(f"\n{name}: {len(images)} images of {images.shape[1:]}")
    print(f"{'method':28} {'first call s':>12} {'s/image':>9} {'× forward':>10}")
    print(f"{'forward pass (baseline)':28} {forward_first:12.3f} {forward:9.4f} {1.0:10.1f}")
    for label, function in methods.items():
        first, each = per_image(function, images, 1)
        print(f"{label:28} {first:12.3f} {each:9.4f} {each / forward:10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--skip-vgg", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    head = head_for("multiclass", 10)
    cnn = build_zoo("reference_cnn", (28, 28, 1), head)
    bench("reference MNIST CNN", cnn, rng.random((args.images, 28, 28, 1), np.float32), 4)
    if not args.skip_vgg:
        vgg = build_zoo("vgg16", (224, 224, 3), head, {"top": "small"})
        bench("VGG16", vgg, rng.random((args.images, 224, 224, 3), np.float32), 32)


if __name__ == "__main__":
    main()
