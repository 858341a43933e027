"""Dotted key paths into a config mapping: ``model.layers[0].Dense.activation``.

Sweeps set values by them, the comparison and MLflow flatten configs into them.

A sweep names the keys it varies this way. A path must already exist in the resolved
config (defaults filled in), so a typo is caught before any run starts instead of
silently adding a key nobody reads.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from dlworkflow.errors import BadInput

_NAME = r"[^.\[\]\s]+"
_PATH = re.compile(rf"{_NAME}(\.{_NAME}|\[\d+\])*")
_TOKEN = re.compile(rf"({_NAME})|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """``a.b[0].c`` → ``['a', 'b', 0, 'c']``; BadInput when it is not of that form."""
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise BadInput(f"sweep key '{path}': not a dotted key path like model.layers[0].units")
    return [name if name else int(index) for name, index in _TOKEN.findall(path)]


def get_path(mapping: Any, path: str) -> Any:
    """The value at ``path``; BadInput naming the first missing part and what exists there."""
    node = mapping
    walked = ""
    for part in parse_path(path):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                size = f"it has {len(node)}" if isinstance(node, list) else "it is not a list"
                raise BadInput(f"sweep key '{path}': {walked} has no item [{part}] ({size})")
            node, walked = node[part], f"{walked}[{part}]"
        else:
            if not isinstance(node, dict) or part not in node:
                where = walked or "the config"
                there = (
                    f"keys there: {', '.join(map(str, node))}"
                    if isinstance(node, dict)
                    else f"{where} is a value, not a mapping"
                )
                raise BadInput(f"sweep key '{path}': '{part}' is not in {where} ({there})")
            node, walked = node[part], f"{walked}.{part}" if walked else part
    return node


def with_overrides(mapping: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``mapping`` with each existing dotted key set to its new value."""
    result = copy.deepcopy(mapping)
    for path, value in overrides.items():
        get_path(result, path)  # exists, else a clear error
        *parents, last = parse_path(path)
        node = result
        for part in parents:
            node = node[part]
        node[last] = copy.deepcopy(value)
    return result


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested config → dotted keys: ``model.layers[0].Dense.units``, ``compile.optimizer.lr``.

    A list of plain values (``hidden: [64, 32]``) stays one value: it reads as one setting.
    """
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        flat = {}
        for index, item in enumerate(value):
            flat.update(flatten(item, f"{prefix}[{index}]"))
        return flat
    return {prefix: value}
