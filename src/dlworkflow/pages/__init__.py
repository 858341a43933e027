"""The page kit every HTML page of dlworkflow is rendered with (see :mod:`.kit`)."""

from dlworkflow.pages.kit import (
    content_security_policy,
    environment,
    inline_figure,
    number,
    render,
    script,
)

__all__ = [
    "content_security_policy",
    "environment",
    "inline_figure",
    "number",
    "render",
    "script",
]
