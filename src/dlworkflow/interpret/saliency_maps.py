"""Saliency: how much each pixel's change would change the class score.

Vanilla gradients (Simonyan et al. 2014) are noisy; SmoothGrad (Smilkov et al. 2017)
averages them over noisy copies of the image. Neither needs a conv layer, so they
explain the dense-only models too.
"""

from __future__ import annotations

import keras
import numpy as np

from dlworkflow.interpret.classes import (
    class_gradients,
    class_targets,
    in_batches,
    model_batch,
    normalise,
    resolve_classes,
)


def saliency(
    model: keras.Model,
    images: np.ndarray,
    classes=None,
    samples: int = 0,
    noise: float = 0.15,
    seed: int = 0,
    batch_size: int = 16,
) -> np.ndarray:
    """Maps (N, H, W) in [0, 1]: the largest |gradient| over channels.

    ``samples`` > 0 gives SmoothGrad with that many copies per image, each with
    Gaussian noise of ``noise`` × the image's value range (seeded), all scored for the
    clean image's class; the copies go through the traced step ``batch_size`` at a time.
    """
    images = np.asarray(images, np.float32)
    copies = max(samples, 1)
    batch = np.repeat(images, copies, axis=0)
    if samples:
        classes = resolve_classes(model, images, classes)  # noise must not change the class
        spread = noise * (images.max(axis=(1, 2, 3)) - images.min(axis=(1, 2, 3)))
        rng = np.random.default_rng(seed)
        batch = batch + rng.normal(size=batch.shape).astype(np.float32) * np.repeat(
            spread, copies
        ).reshape(-1, 1, 1, 1)
    targets = np.repeat(class_targets(classes, len(images)), copies)
    _, grads = in_batches(class_gradients(model), model_batch(model, batch), targets, batch_size)
    grads = grads.reshape(len(images), copies, *images.shape[1:])
    return normalise(np.abs(grads.mean(axis=1)).max(axis=-1))
