"""What produced a run: versions, backend, seed, machine, git commit."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

import keras

from dlworkflow.train.precision import resolve_precision

PACKAGES = ("dlworkflow", "keras", "tensorflow", "numpy", "scikit-learn", "matplotlib")


def describe_environment(seed: int, precision: str = "float32") -> dict:
    """``precision`` is the ``train.precision`` setting; the record adds the policy it chose."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "backend": keras.backend.backend(),
        "seed": seed,
        "precision": {"setting": precision, "policy": resolve_precision(precision)},
        "packages": {name: _version(name) for name in PACKAGES},
        "git_sha": _git_sha(),
    }


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _git_sha() -> str | None:
    """The commit of the working directory's repository, where the user runs from."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None
