"""The most confidently wrong predictions, as pictures.

Looking at the images a model gets most wrong is the quickest way to find label
noise, ambiguous classes and what the model has actually learnt; the cross-entropy of
the true class ranks them, so the worst mistakes come first.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from dlworkflow.evaluate.classification import predicted_labels
from dlworkflow.figures import display_rgb, mosaic, plt, stretch

EPSILON = 1e-7  # the floor Keras puts under probabilities in its cross-entropy


def highest_loss_indices(y_true: np.ndarray, y_prob: np.ndarray, count: int = 16) -> np.ndarray:
    """Indices of misclassified samples, highest cross-entropy of the true class first."""
    y_true = np.asarray(y_true).astype(np.int64).reshape(-1)
    probabilities = _class_probabilities(y_prob)
    wrong = np.flatnonzero(predicted_labels(y_prob) != y_true)
    true_probability = probabilities[wrong, y_true[wrong]]
    loss = -np.log(np.clip(true_probability, EPSILON, 1.0))
    return wrong[np.argsort(-loss, kind="stable")][:count]


def misclassified_gallery_figure(
    images: np.ndarray,
    y_true: np.ndarray,
    y_prob: np.ndarray,
    class_names: list[str],
    count: int = 16,
) -> Figure | None:
    """A grid of the highest-loss mistakes titled "true X / pred Y (p=0.87)"; None if none."""
    indices = highest_loss_indices(y_true, y_prob, count)
    if len(indices) == 0:
        return None
    y_true = np.asarray(y_true).astype(np.int64).reshape(-1)
    probabilities = _class_probabilities(y_prob)
    predicted = predicted_labels(y_prob)
    columns = math.ceil(math.sqrt(len(indices)))
    rows = math.ceil(len(indices) / columns)
    shown = np.asarray(images[indices])  # only these read from a streamed split
    tiles = _tiles_on_one_scale(shown)
    height, width = tiles.shape[1:3]
    tile = min(2.4, max(1.5, width / 16))  # 8×8 digits small, 28×28 and photos larger
    gap = max(3, round(0.35 * height))  # room for each tile's two-line title
    grid, origins = mosaic(tiles, columns, gap)
    figure = plt.figure(figsize=(tile * columns, (tile + 0.35) * rows))
    axis = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axis.imshow(grid, interpolation="nearest")
    axis.set_anchor("N")
    axis.axis("off")
    for (top, left), index in zip(origins, indices, strict=True):
        guess = predicted[index]
        axis.text(
            left + width / 2,
            top - 0.5,
            f"true {class_names[y_true[index]]}\n"
            f"pred {class_names[guess]} (p={probabilities[index, guess]:.2f})",
            ha="center",
            va="bottom",
            fontsize=7,
        )
    wrong = int(np.sum(predicted != y_true))
    figure.suptitle(
        f"the {len(indices)} highest-loss mistakes of {wrong} misclassified", y=1.0, va="bottom"
    )
    return figure


def _tiles_on_one_scale(images: np.ndarray) -> np.ndarray:
    """RGB tiles in [0, 1]: grey images share one range (the data's: digits are 0–16), so
    a faint mistake stays faint beside a bold one; colour images as :func:`display_rgb`."""
    if images.ndim == 4 and images.shape[-1] == 3:
        return np.stack([display_rgb(image) for image in images])
    grey = stretch(images.reshape(images.shape[:3]))  # over all tiles at once
    return np.repeat(grey[..., None], 3, axis=-1)


def _class_probabilities(y_prob: np.ndarray) -> np.ndarray:
    """One column per class, also for a single sigmoid column (P(0) = 1 - P(1))."""
    y_prob = np.asarray(y_prob, np.float64)
    if y_prob.ndim == 1 or y_prob.shape[1] == 1:
        positive = y_prob.reshape(-1)
        return np.column_stack([1.0 - positive, positive])
    return y_prob


def show_image(axis, image: np.ndarray, grey_range: tuple[float, float] | None = None) -> None:
    """A raw image as loaded: grey for one channel, scaled to ``grey_range`` (default the
    image's own) since the data's range varies (digits are 0–16); RGB otherwise."""
    image = np.asarray(image)
    if image.ndim == 2 or image.shape[-1] == 1:
        low, high = grey_range or (None, None)
        axis.imshow(image.reshape(image.shape[:2]), cmap="gray", vmin=low, vmax=high)
    else:
        axis.imshow(display_rgb(image))
    axis.set_xticks([])
    axis.set_yticks([])
