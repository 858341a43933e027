"""Step 3 of the workflow: architectures from the zoo or from a layer list, their
layer table, hand formulas and drawings.

Names are imported on first use, so ``models.spec`` (the config schema) stays light.
"""

from dlworkflow.lazy import exports

_MODULES = {
    "build_from_layers": "builder",
    "Head": "head",
    "head_for": "head",
    "output_activation": "head",
    "output_units": "head",
    "ZOO": "zoo",
    "build_zoo": "zoo",
    "ModelSpec": "spec",
    "layer_table": "summary",
    "model_table": "summary",
    "param_totals": "summary",
    "save_drawings": "picture",
}
__all__ = sorted(_MODULES)
__getattr__ = exports(__name__, _MODULES)
