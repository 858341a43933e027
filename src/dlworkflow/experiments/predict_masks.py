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
from dlworkflow.interpret.mask_cam import mask_grad_cam
from dlworkflow.runfolder import read_run

MAX_IMAGES = 1000


def predict_masks(
    folder: str | Path,
    images: list[str | Path],
    out_dir: str | Path | None = None,
    cam: str | None = None,
) -> list[dict]:
    """Write ``<stem>_mask.png`` and ``<stem>_overlay.png`` per image into ``out_dir``
    (default ``RUN/predictions``) and ``masks.json``; return one entry per image.

    ``cam`` (a class name or id) adds ``<stem>_cam_<class>.png``: Grad-CAM of that class
    over the whole image (:func:`dlworkflow.interpret.mask_cam.mask_grad_cam`)."""
    from PIL import Image

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
    names = record.data["class_names"]
    cam_class = None if cam is None else _class_id(cam, names)
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
    model = record.model()
    predicted = masks_from_scores(model.predict(inputs, batch_size=8, verbose=0))
    heat = None if cam_class is None else mask_grad_cam(model, inputs, cam_class)
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
        entry = {}
        if heat is not None:
            cam_path = out / f"{path.stem}_cam_{names[cam_class]}.png"
            picture = _heat_picture(shown, heat[len(results)])
            write_with(cam_path, lambda tmp, p=picture: Image.fromarray(p).save(tmp))
            entry["cam"] = str(cam_path)
        counts = np.bincount(mask.reshape(-1), minlength=len(names))
        results.append(
            {
                "image": str(path),
                "mask": str(mask_path),
                "overlay": str(overlay_path),
                "class_shares": dict(zip(names, (counts / counts.sum()).tolist(), strict=True)),
                **entry,
            }
        )
    write_json(out / "masks.json", {"run": str(folder), "classes": names, "images": results})
    return results


def _class_id(cam: str, names: list[str]) -> int:
    if cam in names:
        return names.index(cam)
    if cam.isdigit() and int(cam) < len(names):
        return int(cam)
    raise BadInput(f"--cam: '{cam}' is not a class of this run ({', '.join(names)}) or its id")


def _heat_picture(image: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """The heatmap (jet) blended half and half over the image, at the image's size."""
    from PIL import Image

    from dlworkflow.figures import plt

    height, width = image.shape[:2]
    heat = np.asarray(Image.fromarray(heat.astype(np.float32)).resize((width, height)))
    colours = plt.get_cmap("jet")(np.clip(heat, 0, 1))[..., :3]
    rgb = image.astype(np.float64) / 255.0
    rgb = np.repeat(rgb, 3, axis=-1) if rgb.shape[-1] == 1 else rgb[..., :3]
    return ((0.5 * rgb + 0.5 * colours) * 255).round().astype(np.uint8)


def _resized(image: np.ndarray, height: int, width: int, resample) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((width, height), resample))
