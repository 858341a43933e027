"""Sweeps: one config with a ``sweep:`` section becomes many ordinary runs in one folder.

The course's loop is "change one thing, train again, compare". A sweep names what
changes — a grid over dotted config keys, a random sample of that grid, named
variants, and repeats with other seeds — and every planned run is validated and
prepared before the first one starts, so a typo never costs a half-finished sweep.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from dlworkflow.config import ExperimentConfig, read_config_mapping
from dlworkflow.errors import BadInput
from dlworkflow.keypaths import get_path, with_overrides
from dlworkflow.validation import StrictModel, check_grid, first_error


class VariantSpec(StrictModel):
    """A named set of overrides, e.g. ``{name: relu, set: {model.layers[0]…: relu}}``."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=60)
    set: dict[str, Any] = Field(default_factory=dict)


class ResourcesSpec(StrictModel):
    """What one run reserves under ``--executor ray`` (Ray's ``num_cpus``/``num_gpus``;
    fractions share a device). Local ``--jobs N`` gives each run cores // N threads."""

    cpus: float = Field(1, gt=0, le=1024)
    gpus: float = Field(0, ge=0, le=64)


class SweepSpec(StrictModel):
    """What a sweep varies: named variants × a grid (optionally sampled) × seeds."""

    variants: list[VariantSpec] = Field(default_factory=list)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    sample: int | None = Field(None, ge=1)
    repeats: int = Field(1, ge=1, le=100)
    resources: ResourcesSpec = Field(default_factory=ResourcesSpec)

    _no_empty_values = field_validator("grid")(check_grid)

    @model_validator(mode="after")
    def _something_varies(self) -> SweepSpec:
        names = [variant.name for variant in self.variants]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"variant names must be unique: {', '.join(duplicates)} repeats")
        if not self.variants and not self.grid and self.repeats == 1:
            raise ValueError("give variants, a grid, or repeats > 1; nothing varies")
        if self.sample is not None and not self.grid:
            raise ValueError("'sample' draws from the grid; there is no grid")
        return self


@dataclass
class PlannedRun:
    """One run of a sweep: its name, what it changes, and the validated config."""

    name: str
    variant: str
    overrides: dict[str, Any]
    config: ExperimentConfig


@dataclass
class SweepPlan:
    name: str
    spec: SweepSpec
    runs: list[PlannedRun]
    source: dict[str, Any] = field(repr=False)


def plan_sweep(source: str | Path | dict[str, Any]) -> SweepPlan | None:
    """Expand a config's ``sweep:`` section into validated runs; None if it has none."""
    mapping, origin = read_config_mapping(source)
    if "sweep" not in mapping:
        return None
    base_mapping = {key: value for key, value in mapping.items() if key != "sweep"}
    try:
        spec = SweepSpec.model_validate(mapping["sweep"] or {})
        base = ExperimentConfig.model_validate(base_mapping)
    except ValidationError as error:
        prefix = "sweep" if error.title == "SweepSpec" else ""
        raise BadInput(f"{origin}: {first_error(error, prefix)}") from None
    resolved = base.model_dump(mode="json")
    try:
        for key in [*spec.grid, *(key for v in spec.variants for key in v.set)]:
            get_path(resolved, key)
    except BadInput as error:
        raise BadInput(f"{origin}: {error}") from None
    runs = [
        _planned(resolved, name, variant, overrides, origin)
        for name, variant, overrides in _expand(spec, base)
    ]
    return SweepPlan(base.name, spec, runs, mapping)


def _expand(spec: SweepSpec, base: ExperimentConfig) -> list[tuple[str, str, dict[str, Any]]]:
    """(run name, variant name, overrides) for variants × grid points × seeds."""
    variants = [(v.name, v.set) for v in spec.variants] or [("", {})]
    keys = list(spec.grid)
    points = [
        dict(zip(keys, values, strict=True)) for values in itertools.product(*spec.grid.values())
    ]
    combos = [(variant, overrides, point) for variant, overrides in variants for point in points]
    if spec.sample is not None and spec.sample < len(combos):
        chosen = sorted(random.Random(base.seed).sample(range(len(combos)), spec.sample))
        combos = [combos[index] for index in chosen]
    data_seed = base.data.seed if base.data.seed is not None else base.seed
    expanded = []
    for (variant, overrides, point), repeat in itertools.product(combos, range(spec.repeats)):
        name = "_".join(filter(None, [variant, *(_slug(k, v) for k, v in point.items())]))
        name = name or base.name
        changes = {**overrides, **point}
        if spec.repeats > 1:
            seed = base.seed + repeat
            name = f"{name}-s{seed}"
            changes |= {"seed": seed, "data.seed": data_seed}  # same splits in every repeat
        expanded.append((name[:100], variant or name, changes))
    names = [name for name, _, _ in expanded]
    if len(set(names)) != len(names):
        expanded = [(f"{i + 1:02d}-{name}"[:100], v, o) for i, (name, v, o) in enumerate(expanded)]
    return expanded


def _slug(key: str, value: Any) -> str:
    """``model.layers[0].Dense.activation``, ``relu`` → ``activation-relu``."""
    last = re.split(r"[.\[\]]", key.rstrip("]"))[-1] or key
    return re.sub(r"[^A-Za-z0-9.-]+", "_", f"{last}-{value}").strip("_")


def _planned(
    resolved: dict[str, Any], name: str, variant: str, overrides: dict[str, Any], origin: str
) -> PlannedRun:
    mapping = with_overrides(resolved, overrides) | {"name": name}
    try:
        config = ExperimentConfig.model_validate(mapping)
    except ValidationError as error:
        raise BadInput(f"{origin}: sweep run '{name}': {first_error(error)}") from None
    return PlannedRun(name, variant, overrides, config)
