"""A heatmap laid over its image as one PNG, for pages that show an explanation."""

from __future__ import annotations

import io

import numpy as np
from matplotlib import colormaps
from PIL import Image

MIN_SIDE = 224  # small inputs (8×8 digits) are enlarged so the overlay can be seen


def overlay_png(raw: np.ndarray, heat: np.ndarray, alpha: float = 0.5) -> bytes:
    """``raw`` (H, W, C) in any range under ``heat`` (H, W) in [0, 1], coloured by jet."""
    image = np.asarray(raw, np.float64)
    low, high = float(image.min()), float(image.max())
    image = (image - low) / (high - low) if high > low else np.zeros_like(image)
    rgb = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image[..., :3]
    coloured = colormaps["jet"](np.clip(heat, 0.0, 1.0))[..., :3]
    mixed = (1.0 - alpha) * rgb + alpha * coloured
    picture = Image.fromarray((mixed * 255).round().astype(np.uint8), "RGB")
    scale = max(1, int(np.ceil(MIN_SIDE / max(picture.size))))
    if scale > 1:
        picture = picture.resize(
            (picture.width * scale, picture.height * scale), Image.Resampling.NEAREST
        )
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
