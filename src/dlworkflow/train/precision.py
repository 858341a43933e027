"""``train.precision``: the Keras dtype policy a model is built under.

Mixed precision computes in bfloat16/float16 and keeps the weights in float32; on a CPU
with AVX-512 BF16 or AMX, or a GPU of compute capability 8 and above, bfloat16 trains
a convnet about twice as fast at the same accuracy. The output layer stays float32 so
the probabilities, the loss and everything NumPy does after training keep full precision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

Precision = Literal["float32", "mixed_bfloat16", "mixed_float16", "auto"]
MIXED = ("mixed_bfloat16", "mixed_float16")
_BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def resolve_precision(setting: str) -> str:
    """The policy name for a setting; ``auto`` is bfloat16 where the hardware does it natively."""
    if setting != "auto":
        return setting
    return "mixed_bfloat16" if bf16_native() else "float32"


def bf16_native() -> bool:
    """A GPU of compute capability ≥ 8 (Ampere on) or a CPU with AVX-512 BF16 / AMX-BF16."""
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        if capability and capability[0] >= 8:
            return True
    return bool(_BF16_CPU_FLAGS & cpu_flags())


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags (Linux); empty where /proc/cpuinfo is not there."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return set(line.partition(":")[2].split())
    return set()


@contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Build (and compile) under the policy ``name``; the global policy is restored after."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def float32_output(layers: list[Any]) -> list[Any]:
    """A layer list whose last layer computes in float32 unless it names its own dtype."""
    if not layers:
        return layers
    last = layers[-1]
    if isinstance(last, str):
        last = {last: {"dtype": "float32"}}
    elif isinstance(last, dict) and len(last) == 1:
        ((name, arguments),) = last.items()
        if isinstance(arguments, dict) or arguments is None:
            last = {name: {"dtype": "float32", **(arguments or {})}}
    return [*layers[:-1], last]


def float32_array(value: Any) -> Any:
    """A model's output as NumPy, half-precision floats widened to float32 — NumPy's
    einsum and scikit-learn do not take bfloat16, and sums in it lose digits."""
    import numpy as np

    array = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    return array.astype(np.float32) if array.dtype.name in ("bfloat16", "float16") else array
