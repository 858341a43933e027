"""The layer table for people (Rich, in the terminal) and for programs (CSV, JSON).

Rows and totals come from :mod:`dlworkflow.models.summary`; this module only lays
them out, so the terminal, the files and the report show the same numbers.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from markupsafe import Markup
from rich.markup import escape
from rich.table import Table

from dlworkflow.atomic import write_text
from dlworkflow.pages.notebook import html_table

HEADER = ("Layer", "Type", "Input", "Output", "Filter / Stride", "Padding", "Activation",
          "Params", "Mult-adds")  # fmt: skip
JUSTIFY = {"Input": "right", "Output": "right", "Filter / Stride": "center", "Params": "right",
           "Mult-adds": "right"}  # fmt: skip


def rich_table(rows: list[dict], totals: dict, title: str | None = None) -> Table:
    """The course's table: type, output size, filter size / stride, params, with totals."""
    table = Table(title=title, show_footer=True, footer_style="bold")
    footers = {
        "Layer": "Total",
        "Params": _totals_text(totals),
        "Mult-adds": _count(totals["macs"]),
    }
    for name in HEADER:
        table.add_column(name, justify=JUSTIFY.get(name, "left"), footer=footers.get(name, ""))
    for row in rows:
        name, *cells = _cells(row)
        table.add_row("  " * row["depth"] + escape(name), *(escape(c) for c in cells))
    table.caption = _memory_text(totals)
    return table


def html_model_table(rows: list[dict], totals: dict) -> Markup:
    """The same table for a notebook: escaped HTML, totals in the last row."""
    body = []
    for row in rows:
        name, *cells = _cells(row)
        body.append(("\u00a0\u00a0" * row["depth"] + name, *cells))
    params = _totals_text(totals).replace("\n", ", ")
    body.append(("Total", *[""] * 6, params, _count(totals["macs"])))
    return html_table(body, HEADER, _memory_text(totals))


def _cells(row: dict) -> tuple[str, ...]:
    """One layer's cells as text, in ``HEADER`` order (the name without its model's path)."""
    window = f"{row['kernel']} / {row['stride']}" if row["kernel"] else ""
    frozen = row["params"] and not row["trainable"]
    params = f"{row['params']:,}" + (" (frozen)" if frozen else "")
    if row.get("shared"):  # parameters counted on the first call only
        params = f"{params} ({row['shared']})" if row["params"] else f"shared, {row['shared']}"
    return (
        row["name"].rsplit("/", 1)[-1],  # indented under its model by the caller
        row["type"],
        row["input_shape"],
        row["output_shape"],
        window,
        row["padding"],
        row["activation"],
        params,
        _count(row["macs"]),
    )


def _memory_text(totals: dict) -> str:
    activations = totals["activations_mb"]
    return (
        f"weights {totals['weights_mb']:.2f} MB, activations "
        f"{'?' if activations is None else f'{activations:.2f}'} MB per sample (float32)"
    )


def formula_table(rows: list[dict]) -> Table:
    """Each conv, pooling and dense layer computed by hand, with Keras' disagreements."""
    table = Table(title="Computed by hand")
    table.add_column("Layer")
    table.add_column("(W−F+2P)/S+1 → output; K·(F·F·D+1) or N·M+M")
    table.add_column("Check")
    for row in rows:
        if row["formula"]:
            check = (
                f"[yellow]⚠ {escape(row['formula_note'])}[/]"
                if row["formula_flag"]
                else "[green]✓[/]"
            )
            table.add_row(escape(row["name"]), row["formula"], check)
    return table


def write_csv(rows: list[dict], path: str | Path) -> Path:
    """One line per row, columns in the rows' key order (totals belong to the JSON)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return write_text(path, buffer.getvalue())


def write_json(rows: list[dict], totals: dict, path: str | Path) -> Path:
    """``{"layers": rows, "totals": totals}``; reads back equal to what was written."""
    return write_text(
        path, json.dumps({"layers": rows, "totals": totals}, indent=2, ensure_ascii=False) + "\n"
    )


def _totals_text(totals: dict) -> str:
    text = f"{totals['total']:,}"
    if totals["non_trainable"]:
        text += f"\n{totals['trainable']:,} trainable\n{totals['non_trainable']:,} frozen"
    return text


def _count(value: int | None) -> str:
    """Multiply-adds in the units people quote them in (1.14 G, 215.4 M)."""
    if value is None:
        return "?"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.2f} {unit}"
    return str(value) if value else ""
