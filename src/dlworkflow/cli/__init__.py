"""``dlw``: parse arguments, call the library, print. Exit 0 ok, 1 failure, 2 bad input.

Each command group lives in its own module and registers itself on the shared app.
"""

from __future__ import annotations

import sys

from rich.markup import escape

from dlworkflow.cli import (  # noqa: F401  (each module registers its commands)
    compare,
    explain,
    gallery,
    predict,
    scratch,
    serve,
    workflow,
)
from dlworkflow.cli.common import app, console, settings

__all__ = ["app", "main"]


def main() -> None:
    from dlworkflow.errors import BadInput, WorkFailed

    try:
        app(standalone_mode=False)
    except BadInput as error:
        if settings["debug"]:
            raise
        console.print(f"[red]error:[/red] {escape(str(error))}", soft_wrap=True, highlight=False)
        sys.exit(2)
    except WorkFailed as error:
        if settings["debug"]:
            raise
        console.print(f"[red]failed:[/red] {escape(str(error))}", soft_wrap=True, highlight=False)
        sys.exit(1)
    except Exception as error:
        # Typer's own click: usage errors carry exit_code 2 and show(); Exit carries the code.
        if type(error).__name__ == "NoArgsIsHelpError":  # the help was printed
            sys.exit(0)
        if hasattr(error, "show") and hasattr(error, "exit_code"):
            error.show()
            sys.exit(error.exit_code)
        if type(error).__name__ in ("Exit", "Abort"):
            sys.exit(getattr(error, "exit_code", 1))
        if settings["debug"]:
            raise
        console.print(
            f"[red]failed:[/red] {type(error).__name__}: {escape(str(error))}",
            soft_wrap=True,
            highlight=False,
        )
        sys.exit(1)
