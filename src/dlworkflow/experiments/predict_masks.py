"""``dlw predict``: a segmentation run's model on new images, written as mask PNGs.

Each image is read as the run's data was (its channels, resized to the model's input,
pixels / 255); the predicted mask is resized back to the image's own size (nearest,
so class ids stay class ids) and written as a class-index PNG, the format the
``folder:`` source reads, beside an overlay of the classes on the image. Every image
is read before anything is written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlworkflow.atomic import write_json, write_with
from dlworkflow.data.mask_survey import overlay
from dlworkflow.data.masks import read_image
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.segmentation import masks_from_scores
from dlworkflow.report import read_run

MAX_IMAGES = 1000


def predict_masks(
    folder: str | Path, images: list[str | Path], out_dir: str | Path | None = None
) -> list[dict]:
    """Write ``<stem>_mask.png`` and ``<stem>_overlay.png`` per image into ``out_dir``
    (default ``RUN/predictions``) and ``masks.json``; return one entry per image."""
    from PIL import Image

    from dlworkflow.models.resolve import MISSING_FROM_RUN, load_model_file

    folder = Path(folder)
    record = read_run(folder)
    if record.data.get("task") != "segmentation":
        raise BadInput(f"{folder}: dlw predict writes masks; this run is not a segmentation run")
    if not images or len(images) > MAX_IMAGES:
        raise BadInput(f"IMAGES: give 1 to {MAX_IMAGES} image files (got {len(images)})")
    paths = [Path(p) for p in images]
    stems = [p.stem for p in paths]
    if len(set(stems)) != len(stems):
        twice = next(s for s in stems if stems.count(s) > 1)
        raise BadInput(f"IMAGES: two images are named {twice}.*; their masks would collide")
    height, width, channels = record.data["input_shape"]
    mode = "L" if channels == 1 else "RGB"
    originals = []
    for path in paths:
        if not path.is_file():
            raise BadInput(f"{path}: image file does not exist")
        originals.append(read_image(path, mode, None, nearest=False))
    inputs = np.stack(
        [_resized(image, height, width, Image.Resampling.BILINEAR) for image in originals]
    )
    inputs = inputs.reshape(len(paths), height, width, channels).astype(np.float32) / 255.0
    model = load_model_file(record.model_path, MISSING_FROM_RUN)
    predicted = masks_from_scores(model.predict(inputs, batch_size=8, verbose=0))
    names = record.data["class_names"]
    out = Path(out_dir) if out_dir is not None else folder / "predictions"
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for path, image, small in zip(paths, originals, predicted, strict=True):
        size = image.shape[:2]
        mask = _resized(small.astype(np.uint8), *size, Image.Resampling.NEAREST)
        shown = image[..., np.newaxis] if image.ndim == 2 else image
        tinted = (overlay(shown, mask, len(names)) * 255).round().astype(np.uint8)
        mask_path, overlay_path = out / f"{path.stem}_mask.png", out / f"{path.stem}_overlay.png"
        write_with(mask_path, lambda tmp, m=mask: Image.fromarray(m).save(tmp))
        write_with(overlay_path, lambda tmp, t=tinted: Image.fromarray(t).save(tmp))
        counts = np.bincount(mask.reshape(-1), minlength=len(names))
        results.append(
            {
                "image": str(path),
                "mask": str(mask_path),
                "overlay": str(overlay_path),
                "class_shares": dict(zip(names, (counts / counts.sum()).tolist(), strict=True)),
            }
        )
    write_json(out / "masks.json", {"run": str(folder), "classes": names, "images": results})
    return results


def _resized(image: np.ndarray, height: int, width: int, resample) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((width, height), resample))
