"""On-the-fly augmentation for image classification (``data.augment``): Keras' random
preprocessing layers applied to each training batch in the input pipeline.

They live in the tf.data stream (see ``train/order.py``), not in the model, so the saved
model, evaluation and inference see unaugmented inputs, and validation/test never
pass through them. Seeded: the same seed gives the same draws in a fresh process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dlworkflow.data.augment import AugmentSpec
from dlworkflow.data.dataset import Dataset
from dlworkflow.data.stream import bounded_sample
from dlworkflow.errors import BadInput

AUGMENT_PREVIEW = "augment_preview.png"  # in the run's figures/ and dlw data --out


def augment_layers(spec: AugmentSpec, value_range: tuple[float, float], seed: int) -> list[Any]:
    """The Keras layers for ``spec``, in the order ImageDataGenerator applies them
    (geometry first, then intensity); ``value_range`` is that of the scaled inputs."""
    from keras import layers

    low, high = float(value_range[0]), float(value_range[1])
    if high <= low:
        high = low + 1.0
    chosen: list[Any] = []
    mode = spec.flip_mode(None)
    if mode:
        chosen.append(layers.RandomFlip(mode, seed=seed))
    if spec.rotation:
        chosen.append(layers.RandomRotation(spec.rotation, seed=seed + 1))
    if spec.zoom:
        chosen.append(layers.RandomZoom(spec.zoom, spec.zoom, seed=seed + 2))
    if spec.width_shift or spec.height_shift:
        chosen.append(layers.RandomTranslation(spec.height_shift, spec.width_shift, seed=seed + 3))
    if spec.contrast:
        chosen.append(layers.RandomContrast(spec.contrast, value_range=(low, high), seed=seed + 4))
    if spec.brightness:
        chosen.append(
            layers.RandomBrightness(spec.brightness, value_range=(low, high), seed=seed + 5)
        )
    return chosen


def batch_augmenter(
    spec: AugmentSpec,
    image_shape: tuple[int, ...],
    value_range: tuple[float, float],
    seed: int,
) -> Callable[[Any], Any]:
    """A function of a batch of (scaled, possibly flattened) training inputs that returns
    them augmented, with the batch's own shape; for the tf.data ``map`` of training."""
    if len(image_shape) != 3:
        raise BadInput(
            f"data.augment: augmentation needs images (height × width × channels); "
            f"the inputs have shape {tuple(image_shape)}"
        )
    if not spec.draws_per_epoch():
        raise BadInput(
            "data.augment: no transform is switched on; give e.g. {horizontal_flip: true, "
            "rotation_range: 10, width_shift_range: 0.1, zoom_range: 0.1}"
        )
    chosen = augment_layers(spec, value_range, seed)

    def augment(batch: Any) -> Any:
        import tensorflow as tf

        shape = tf.shape(batch)
        images = tf.reshape(batch, (-1, *image_shape))  # a flattened batch, as images
        for layer in chosen:
            images = layer(images, training=True)
        return tf.reshape(tf.cast(images, batch.dtype), shape)

    return augment


def augmented_draws(
    image: np.ndarray, spec: AugmentSpec, draws: int, value_range: tuple[float, float], seed: int
) -> np.ndarray:
    """``draws`` augmented versions of one (scaled) image, for the preview grid."""
    import tensorflow as tf

    augment = batch_augmenter(spec, image.shape, value_range, seed)
    batch = tf.constant(np.repeat(image[np.newaxis].astype(np.float32), draws, axis=0))
    return np.asarray(augment(batch))


def value_range(dataset: Dataset) -> tuple[float, float]:
    """The scaled inputs' range, for the contrast and brightness layers' clipping."""
    x = bounded_sample(dataset.train.x)
    axes = tuple(range(x.ndim - 1))
    low, high = x.min(axis=axes).astype(np.float64), x.max(axis=axes).astype(np.float64)
    offset = np.asarray(dataset.preprocessing.offset)
    factor = np.asarray(dataset.preprocessing.factor)
    if dataset.preprocessing.scale == "none":
        offset, factor = np.zeros(1), np.ones(1)
    return float(((low - offset) / factor).min()), float(((high - offset) / factor).max())


def training_augmenter(
    spec: AugmentSpec | None, dataset: Dataset, seed: int
) -> Callable[[Any], Any] | None:
    """The run's batch augmenter for ``data.augment`` (None without one); refuses
    augmentation for data that are not images, before a run folder exists."""
    if spec is None:
        return None
    if dataset.kind != "image":
        raise BadInput(f"data.augment: augmentation is for images; this data is {dataset.kind}")
    return batch_augmenter(spec, dataset.input_shape, value_range(dataset), seed)


def augment_preview(
    dataset: Dataset, spec: AugmentSpec, path: Path, seed: int, images: int = 4, draws: int = 6
) -> Path:
    """A grid: each row one training image (first column) and ``draws`` augmented draws."""
    from dlworkflow.figures import plt, save_figure

    pre = dataset.preprocessing
    chosen = dataset.train.x[: min(images, len(dataset.train))]
    low, high = value_range(dataset)
    figure, axes = plt.subplots(  # constrained: no blank band under the title
        len(chosen),
        draws + 1,
        figsize=((draws + 1) * 1.2, len(chosen) * 1.25 + 0.4),
        squeeze=False,
        layout="constrained",
    )
    for row, raw in enumerate(chosen):
        scaled = pre.with_flatten(False).apply(raw[np.newaxis])[0]
        pictures = [scaled, *augmented_draws(scaled, spec, draws, (low, high), seed + row)]
        for column, picture in enumerate(pictures):
            axis = axes[row, column]
            axis.set_xticks([])
            axis.set_yticks([])
            shown = np.clip((picture - low) / ((high - low) or 1.0), 0.0, 1.0)
            gray = shown.shape[-1] == 1
            axis.imshow(shown[..., 0] if gray else shown, cmap="gray" if gray else None)
            if row == 0:
                axis.set_title("original" if column == 0 else f"draw {column}", fontsize=8)
    figure.suptitle(f"{dataset.name}: data.augment, {draws} draws per image")
    return save_figure(figure, path)
