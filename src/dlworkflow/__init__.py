"""dlworkflow: a Keras model through the whole deep-learning workflow, step by step."""

import os

# Quiet TensorFlow's start-up chatter before any module imports Keras (the backend
# reads these once, at import). Determinism comes from seeding every run instead of
# TF_DETERMINISTIC_OPS, which would make unseeded random ops in user code fail.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"

__all__ = ["ExperimentConfig", "Run", "load_config", "load_dataset", "predict", "run"]

_LAZY = {
    "ExperimentConfig": "dlworkflow.config",
    "load_config": "dlworkflow.config",
    "load_dataset": "dlworkflow.data",
    "Run": "dlworkflow.experiments",
    "run": "dlworkflow.experiments",
    "predict": "dlworkflow.experiments.predict",
}


def __getattr__(name: str):
    """Import on first use, so ``dlw --help`` and data-only steps don't start Keras."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dlworkflow' has no attribute {name!r}")
