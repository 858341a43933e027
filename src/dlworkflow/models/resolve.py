"""``dlw model TARGET``: a built model from a saved file, a config, or a zoo name."""

from __future__ import annotations

from pathlib import Path

import keras

from dlworkflow.errors import BadInput
from dlworkflow.models.head import Head, head_for
from dlworkflow.models.zoo import ZOO, build_zoo

# The input each zoo model was designed for, and its classes (ImageNet's 1000 for the
# ImageNet nets), so ``dlw model alexnet`` reproduces the paper's and the notes' counts.
ZOO_DEFAULTS: dict[str, tuple[tuple[int, ...], Head]] = {
    "alexnet": ((227, 227, 3), Head(1000, "softmax")),
    "vgg16": ((224, 224, 3), Head(1000, "softmax")),
    "pilotnet": ((66, 200, 3), Head(1, "linear")),
}


MISSING_FROM_RUN = "missing from the run folder"


def load_model_file(path: Path, missing: str = "model file does not exist") -> keras.Model:
    """A saved ``.keras`` model, or one line naming the file when it is missing or damaged."""
    if not path.is_file():
        raise BadInput(f"{path}: {missing}")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as error:  # Keras raises many kinds for a damaged archive
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise BadInput(f"{path}: cannot be loaded as a Keras model ({reason})") from None


def resolve_model(
    target: str, input_shape: tuple[int, ...] | None = None, classes: int | None = None
) -> keras.Model:
    """Load ``model.keras``, build a config's model (loading its data), or build a zoo model."""
    path = Path(target)
    if path.suffix == ".keras":
        return load_model_file(path)
    if path.suffix in (".yaml", ".yml"):
        from dlworkflow.config import load_config
        from dlworkflow.experiments import prepare

        return prepare(load_config(path)).model
    if target not in ZOO:
        raise BadInput(
            f"{target}: not a .keras file, a .yaml config or a zoo model ({', '.join(ZOO)})"
        )
    default_shape, default_head = ZOO_DEFAULTS.get(
        target, ((28, 28, 1), head_for("multiclass", 10))
    )
    head = default_head if classes is None else head_for("multiclass", classes)
    return build_zoo(target, input_shape or default_shape, head)
