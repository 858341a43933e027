"""Turn pydantic's errors into the one line a user needs: key path, problem, valid values."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo in a config must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


def shorthand(key: str):
    """A ``mode="before"`` validator body: a bare string ``s`` stands for ``{key: s}``
    (``data: digits``, ``model: mlp``, ``schedule: cosine``)."""

    def expand(value: Any) -> Any:
        return {key: value} if isinstance(value, str) else value

    return expand


def check_grid(grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """A search grid: every key needs at least one value to try."""
    for key, values in grid.items():
        if not values:
            raise ValueError(f"'{key}' has no values; give at least one to try")
    return grid


_TYPE_LABELS = {"int", "str", "bool", "float", "none"}
_LABEL_PREFIXES = ("function-", "literal[", "list[", "dict[", "tuple[", "union[")


def key_path(location: tuple, prefix: str = "") -> str:
    """``('model', 'layers', 0, 'Dense')`` → ``model.layers[0].Dense``."""
    path = prefix
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _TYPE_LABELS or part.startswith(_LABEL_PREFIXES):
            continue  # pydantic's union-branch labels, not user keys (``strides`` is one)
        else:
            part = part if part.isprintable() else repr(part)  # no newline or escape code
            path += f".{part}" if path else part
    return path or "config"


def first_error(error: ValidationError, prefix: str = "") -> str:
    """One line for the first problem pydantic found."""
    detail = error.errors()[0]
    location = key_path(tuple(detail["loc"]), prefix)
    message = detail["msg"].removeprefix("Value error, ")
    if detail["type"] == "extra_forbidden":
        message = "unknown key"
    elif detail["type"] == "missing":
        message = "required key is missing"
    value = detail.get("input")
    shown = (
        ""
        if detail["type"] in ("missing", "extra_forbidden") or isinstance(value, dict)
        else (f" (got {value!r})")
    )
    return f"{location}: {message}{shown}"
