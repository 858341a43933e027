"""Step 5 for masks: can a copy of the model learn one batch of image/mask pairs?

The classification check probes labels with nearest neighbours, which means nothing
per pixel; here the copy simply trains on one batch and must halve its loss and
reach a batch mean IoU of 0.8. The model itself is not touched.
"""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np

from dlworkflow.evaluate.segmentation import masks_from_scores, segmentation_scores
from dlworkflow.train.clone import current_lr, training_copy

GOAL_IOU = 0.8
CHECK_EVERY = 10


def check_mask_learnability(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    num_classes: int,
    batch_size: int = 8,
    steps: int = 150,
    seed: int = 0,
) -> dict[str, Any]:
    """Train a copy on ``batch_size`` pairs for at most ``steps`` steps; JSON-ready result."""
    started = time.perf_counter()
    batch = np.random.default_rng(seed).permutation(len(x))[: min(batch_size, len(x))]
    xb, yb = x[batch], y[batch]
    keras.utils.set_random_seed(seed)
    copy = training_copy(model)

    def score() -> tuple[float, float]:
        loss = float(copy.evaluate(xb, yb, verbose=0, return_dict=True)["loss"])
        masks = masks_from_scores(copy.predict(xb, verbose=0))
        return loss, segmentation_scores(yb.reshape(masks.shape), masks, num_classes)["mean_iou"]

    loss_start, iou_start = score()
    losses = []
    loss_end, iou_end = loss_start, iou_start
    for step in range(1, steps + 1):
        losses.append(float(copy.train_on_batch(xb, yb, return_dict=True)["loss"]))
        if step % CHECK_EVERY == 0 or step == steps:
            loss_end, iou_end = score()
            if loss_end <= loss_start / 2 and iou_end >= GOAL_IOU:
                break
    passed = bool(loss_end <= loss_start / 2 and iou_end >= GOAL_IOU)
    verdict = (
        f"yes: on one batch of {len(batch)} the loss fell from {loss_start:.3g} to "
        f"{loss_end:.3g} and the batch mean IoU rose from {iou_start:.2f} to {iou_end:.2f} "
        f"in {len(losses)} steps"
        if passed
        else f"not yet: after {len(losses)} steps on one batch the loss went from "
        f"{loss_start:.3g} to {loss_end:.3g} and the batch mean IoU to {iou_end:.2f} "
        f"(goal: half the loss and IoU {GOAL_IOU}); check the masks line up with the images "
        "and try a higher learning rate"
    )
    return {
        "passed": passed,
        "verdict": verdict,
        "causes": [],
        "batch_size": len(batch),
        "steps": len(losses),
        "learning_rate": current_lr(model),
        "loss_start": loss_start,
        "loss_end": loss_end,
        "accuracy_start": None,
        "accuracy_end": None,
        "mean_iou_start": iou_start,
        "mean_iou_end": iou_end,
        "loss_curve": losses,
        "checks": {},
        "seconds": round(time.perf_counter() - started, 3),
    }
