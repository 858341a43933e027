"""What every ``dlw`` command shares: the Typer app, the consoles, muting backend logs."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Carry a Keras model through the deep-learning workflow, step by step.",
)
# no emoji codes: user strings such as "test:-1:" print as typed (markup is escaped where
# user strings are printed, see SECURITY.md)
console = Console(stderr=True, emoji=False)
out = Console(width=None if sys.stdout.isatty() else 160, emoji=False)  # wide tables stay whole
settings = {"debug": False}


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and backend logs.")
    ] = False,
) -> None:
    settings["debug"] = debug


def warn(message: str) -> None:
    console.print(f"[yellow]warning:[/yellow] {escape(message)}", soft_wrap=True, highlight=False)


def parse_options(items: list[str] | None) -> dict:
    import yaml

    from dlworkflow.errors import BadInput

    options = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadInput(f"--option: '{item}' is not KEY=VALUE")
        options[key] = yaml.safe_load(value)
    return options


def parse_mapping(text: str, option: str) -> dict:
    """A YAML mapping given on the command line (``--augment '{zoom_range: 0.1}'``)."""
    import yaml

    from dlworkflow.errors import BadInput

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = None
    if not isinstance(value, dict):
        raise BadInput(f"{option}: '{text}' is not a YAML mapping like '{{horizontal_flip: true}}'")
    return value


@contextmanager
def backend():
    """Start the Keras backend with its native start-up logs muted (unless --debug)."""
    with muted_stderr():
        import keras

        keras.ops.zeros(())  # device discovery logs happen on the first op
    yield


@contextmanager
def muted_stderr():
    """Send file descriptor 2 (native libraries' logs) to /dev/null meanwhile (unless --debug).

    For work that may start the backend part-way; restored before an error is printed.
    """
    if settings["debug"]:
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
