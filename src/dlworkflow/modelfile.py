"""The one loader for saved ``.keras`` files: safe mode, and one line naming the file.

Keras' safe mode refuses the ``lambda`` layers a crafted archive could use to run code;
everything else about a damaged or foreign file becomes a :class:`BadInput`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dlworkflow.errors import BadInput

if TYPE_CHECKING:
    import keras

MISSING_FROM_RUN = "missing from the run folder"


def load_model_file(path: Path, missing: str = "model file does not exist") -> keras.Model:
    """A saved ``.keras`` model, or one line naming the file when it is missing or damaged."""
    import keras

    if not path.is_file():
        raise BadInput(f"{path}: {missing}")
    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many kinds for a damaged archive
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BadInput(f"{path}: cannot be loaded as a Keras model ({reason})") from None
