"""Step 3 of the workflow: architectures from the zoo or from a layer list."""

from dlworkflow.models.builder import build_from_layers
from dlworkflow.models.head import Head, head_for, output_activation, output_units
from dlworkflow.models.zoo import ZOO, build_zoo

__all__ = [
    "ZOO",
    "Head",
    "build_from_layers",
    "build_zoo",
    "head_for",
    "output_activation",
    "output_units",
]
