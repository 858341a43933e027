"""The default options of each zoo model, read without importing Keras.

``dlw compare`` and other readers of run folders must tell ``hidden: [128]`` written out
from the default ``[128]`` left out, yet they run without the backend (seconds, no
TensorFlow). The builders' signatures are the one place the defaults are written, so
they are read from the modules' source (``ast``), not copied into a table that could
drift; ``tests/test_compare_defaults.py`` checks them against ``inspect.signature``.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from typing import Any

IMAGE_MODULES = ("dlworkflow.models.zoo", "dlworkflow.models.unet")  # zoo: name = function
SEQUENCE_MODULES = ("dlworkflow.models.sequence",)  # task: forecast / text bodies
SEQUENCE_TASKS = ("forecast", "text")


@cache
def literal_defaults(module: str) -> dict[str, dict[str, Any]]:
    """Top-level function name → {parameter: default} for the defaults that are literals
    (tuples as lists, the way YAML writes them)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return {}
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    functions: dict[str, dict[str, Any]] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        arguments = [*node.args.posonlyargs, *node.args.args]
        pairs = [
            *zip(
                arguments[len(arguments) - len(node.args.defaults) :],
                node.args.defaults,
                strict=True,
            ),
            *(
                (a, d)
                for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                if d
            ),
        ]
        found = {}
        for argument, default in pairs:
            try:
                found[argument.arg] = _as_yaml(ast.literal_eval(default))
            except (ValueError, TypeError):  # not a literal (a name, a call): left unknown
                continue
        functions[node.name] = found
    return functions


def zoo_defaults(name: str, task: str = "auto") -> dict[str, Any]:
    """``model.options`` a zoo model uses when the config leaves them out ({} if unknown)."""
    modules = SEQUENCE_MODULES if task in SEQUENCE_TASKS else IMAGE_MODULES
    for module in modules:
        found = literal_defaults(module).get(name)
        if found is not None:
            return dict(found)
    return {}


def _as_yaml(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_as_yaml(item) for item in value]
    return value
