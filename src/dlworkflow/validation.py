"""Turn pydantic's errors into the one line a user needs: key path, problem, valid values."""

from __future__ import annotations

from pydantic import ValidationError


def key_path(location: tuple, prefix: str = "") -> str:
    """``('model', 'layers', 0, 'Dense')`` → ``model.layers[0].Dense``."""
    path = prefix
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith(("function-", "literal[", "int", "str", "bool", "float")):
            continue  # pydantic's union-branch labels, not user keys
        else:
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
