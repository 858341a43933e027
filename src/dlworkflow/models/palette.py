"""One colour per kind of layer, shared by the graph drawing and the layered view."""

from __future__ import annotations

# (kind, colour, words in the Keras class name that mark it); the first match wins
_KINDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("input", "#d9d9d9", ("InputLayer",)),
    ("convolution", "#4e79a7", ("Conv",)),
    ("pooling", "#e15759", ("Pooling",)),
    ("dense", "#59a14f", ("Dense",)),
    ("reshape", "#9c755f", ("Flatten", "Reshape", "Permute", "RepeatVector")),
    ("dropout", "#bab0ac", ("Dropout", "Noise")),
    ("normalization", "#b07aa1", ("Normalization",)),
    ("merge", "#edc948", ("Add", "Concatenate", "Multiply", "Average", "Subtract", "Maximum")),
    ("activation", "#ff9da7", ("Activation", "ReLU", "Softmax", "ELU", "PReLU")),
    ("model", "#76b7b2", ("Functional", "Sequential", "Model")),
)
OTHER = ("other", "#f28e2b")


def layer_kind(type_name: str) -> tuple[str, str]:
    """(kind, colour) for a Keras layer class name such as ``MaxPooling2D``."""
    for kind, colour, words in _KINDS:
        if any(word in type_name for word in words):
            return kind, colour
    return OTHER


def lighten(colour: str, amount: float) -> str:
    """Mix ``#rrggbb`` with white (0 keeps it, 1 gives white): light bands behind text."""
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in _channels(colour))


def darken(colour: str, amount: float) -> str:
    """Mix ``#rrggbb`` with black: the shaded side of a box."""
    return "#" + "".join(f"{round(c * (1 - amount)):02x}" for c in _channels(colour))


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
