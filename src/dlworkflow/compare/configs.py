"""Resolved configs as dotted keys, and which keys differ between runs."""

from __future__ import annotations

import json
from typing import Any

from dlworkflow.models.defaults import zoo_defaults

ABSENT = "(absent)"  # a key one run's config has and another's lacks
NOT_VARIED = ("name",)  # every run has its own; it says nothing about the experiment
SEED = "seed"  # repeats differ only in it


def with_defaults(flat: dict[str, Any]) -> dict[str, Any]:
    """A flattened config as the run used it, so that a default and the same value written
    out compare equal: the zoo model's default options filled in (``model.options.hidden:
    [128]`` whether written or not), and empty mappings dropped (``options: {}`` sets
    nothing, like no ``options`` at all)."""
    filled = {key: value for key, value in flat.items() if value != {}}
    zoo = flat.get("model.zoo")
    if isinstance(zoo, str):
        for option, value in zoo_defaults(zoo, str(flat.get("task", "auto"))).items():
            filled.setdefault(f"model.options.{option}", value)
    return filled


def canonical(value: Any) -> str:
    """One string per value, so values compare and group exactly as YAML wrote them."""
    return json.dumps(value, sort_keys=True)


def all_keys(flat_configs: list[dict[str, Any]]) -> list[str]:
    """Every key of any config, in the order the configs list them."""
    return list(dict.fromkeys(key for flat in flat_configs for key in flat))


def varied_keys(flat_configs: list[dict[str, Any]]) -> list[str]:
    """Keys whose values are not the same in every config (``name`` excluded)."""
    return [
        key
        for key in all_keys(flat_configs)
        if key not in NOT_VARIED
        and len({canonical(flat.get(key, ABSENT)) for flat in flat_configs}) > 1
    ]


def variant_ids(flat_configs: list[dict[str, Any]]) -> list[int]:
    """Configs equal except ``name`` and ``seed`` are one variant (repeats); ids by first run."""
    keys = [key for key in varied_keys(flat_configs) if key != SEED]
    seen: dict[tuple[str, ...], int] = {}
    return [
        seen.setdefault(tuple(canonical(flat.get(key, ABSENT)) for key in keys), len(seen))
        for flat in flat_configs
    ]


def config_text(value: Any) -> str:
    """A config value as YAML shows it inline (``[64, 32]``, ``null``, ``true``)."""
    if isinstance(value, list):
        return "[" + ", ".join(config_text(item) for item in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)
