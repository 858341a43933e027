"""What the benchmark scripts share: the offline MNIST check and the example config."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
MNIST_CNN_CONFIG = ROOT / "examples" / "mnist_reference_cnn.yaml"


def check_mnist() -> None:
    """Exit with a clear line when the local MNIST copy the figures need is missing."""
    home = os.environ.get("DLW_DATA_HOME")
    if not home or not (Path(home) / "mnist.npz").is_file():
        sys.exit(
            f"mnist.npz not found in DLW_DATA_HOME ({home or 'unset'}); run with "
            "DLW_DATA_HOME=/work/shared/datasets (or a folder holding mnist.npz)"
        )


def mnist_cnn_config(epochs: int | None, limit: int | None) -> dict[str, Any]:
    """The reference CNN example with the epochs and training-image limit overridden."""
    config = yaml.safe_load(MNIST_CNN_CONFIG.read_text(encoding="utf-8"))
    if epochs is not None:
        config["train"]["epochs"] = epochs
    if limit is not None:
        config["data"]["limit"] = limit
    return config
