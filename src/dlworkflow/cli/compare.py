"""``dlw compare``: line up finished runs (or a sweep) in a table and a page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from dlworkflow.cli.common import app, out, warn

if TYPE_CHECKING:
    from dlworkflow.compare import Comparison


@app.command("compare")
def compare_command(
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="RUN_OR_SWEEP", help="Run folders and/or sweep folders."),
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Page folder (default: the sweep, else runs/compare-…)."),
    ] = None,
) -> None:
    """Compare runs: varied config keys, metrics, mean ± std of repeats, overlaid curves."""
    from dlworkflow.compare import compare_runs, default_out_dir, write_compare_page

    comparison = compare_runs(paths)
    for note in comparison.notes:
        warn(note)
    out.print(summary_table(comparison))
    page = write_compare_page(
        comparison, out_dir or default_out_dir(comparison, paths, Path("runs"))
    )
    out.print(f"best: {escape(comparison.rule)}")
    out.print(f"page: {escape(str(page))}")


def summary_table(comparison: Comparison) -> Table:
    """Variants with mean ± std when there are repeats, else one row per run; best starred."""
    from dlworkflow.compare.comparison import label, short_keys
    from dlworkflow.compare.configs import SEED, config_text
    from dlworkflow.compare.page import spread
    from dlworkflow.compare.stats import Summary

    keys = [key for key in comparison.varied if key != SEED]
    columns = [
        c for c in comparison.columns if c.startswith(("val_", "test_")) or c == "best_epoch"
    ]
    title = escape(
        f"{comparison.dataset}: {len(comparison.rows)} runs on the {comparison.split} split"
    )
    table = Table(title=title)
    table.add_column("variant" if comparison.repeated else "run")
    if comparison.repeated:
        table.add_column("n", justify="right")
    for short in short_keys(keys).values():
        table.add_column(short)
    for column in columns:
        table.add_column(label(column), justify="right")
    if comparison.repeated:
        table.add_column("vs best")
        for index, variant in enumerate(comparison.variants):
            table.add_row(
                escape(("★ " if index == comparison.best_variant else "") + variant.label),
                str(len(variant.distinct_seeds)),
                *(escape(config_text(variant.values[key])) for key in keys),
                *(spread(variant.stats[column], column) for column in columns),
                escape(variant.verdict),
            )
        return table
    for index, row in enumerate(comparison.rows):
        table.add_row(
            escape(("★ " if index == comparison.best_run else "") + row.name),
            *(escape(config_text(row.config.get(key))) for key in keys),
            *(spread(Summary(row.numbers[column], None, 1), column) for column in columns),
        )
    return table
