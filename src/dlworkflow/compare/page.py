"""``compare.html``: the comparison as one self-contained page (figures inline, no network)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

from dlworkflow.atomic import write_text
from dlworkflow.compare.comparison import Comparison, RunRow, label
from dlworkflow.compare.configs import ABSENT, SEED, canonical, config_text
from dlworkflow.compare.figures import curves_figure, main_metric_figure, per_class_f1_figure
from dlworkflow.compare.stats import Summary
from dlworkflow.figures import save_figure
from dlworkflow.pages import inline_figure, render
from dlworkflow.pages.notebook import figure_html, html_block, html_table

PAGE = "compare.html"


def default_out_dir(
    comparison: Comparison, given: list[str | Path], runs_dir: Path = Path("runs")
) -> Path:
    """The sweep folder when one sweep folder alone was given; else a folder named by the runs.

    The name hashes the run folders, so comparing the same runs again rewrites the same page.
    """
    if len(given) == 1 and comparison.sweeps:
        return comparison.sweeps[0]
    joined = "\n".join(sorted(str(row.folder.resolve()) for row in comparison.rows))
    return runs_dir / f"compare-{hashlib.sha256(joined.encode()).hexdigest()[:10]}"


def write_compare_page(comparison: Comparison, out_dir: str | Path) -> Path:
    """Draw the figures into ``out_dir/figures`` and write ``out_dir/compare.html``."""
    out_dir = Path(out_dir)
    figures = out_dir / "figures"
    drawn = {"curves": save_figure(curves_figure(comparison), figures / "compare_curves.svg")}
    drawn["main"] = save_figure(main_metric_figure(comparison), figures / "compare_main.svg")
    if comparison.class_names:
        drawn["f1"] = save_figure(per_class_f1_figure(comparison), figures / "compare_f1.svg")
    html = render(
        "dlworkflow.compare",
        "compare.html.j2",
        c=comparison,
        label=label,
        figure={name: inline_figure(path, name) for name, path in drawn.items()},
        config_text=config_text,
        absent=ABSENT,
        differs=lambda row, key: differs_from_best(comparison, row, key),
        spread=spread,
        number=number,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
    return write_text(out_dir / PAGE, html)


def comparison_html(comparison: Comparison) -> str:
    """The comparison in a notebook: one row per variant (★ the best), the main metric per
    variant and the overlaid curves; ``compare.html`` has the rest."""
    c = comparison
    rows = [
        (
            ("★ " if index == c.best_variant else "") + variant.label,
            len(variant.runs),
            spread(variant.stats[c.main], c.main),
            spread(variant.stats["test_loss"], "test_loss"),
            variant.verdict,
        )
        for index, variant in enumerate(c.variants)
    ]
    header = ("variant", "runs", label(c.main), "test loss", "vs best")
    return html_block(
        f"Comparison of {len(c.rows)} runs on {c.dataset}",
        html_table(rows, header, f"best = {c.rule}"),
        *(f"Note: {note}. " for note in c.notes),
        figure_html(main_metric_figure(c), label(c.main)),
        figure_html(curves_figure(c), "training curves"),
    )


# How a notebook shows a Comparison. Set here rather than as a method in comparison.py:
# the figures import that module, so a method there that drew them would close a circle.
Comparison._repr_html_ = comparison_html


COUNTS = ("params", "epochs_run", "best_epoch")  # whole numbers in each run


def spread(summary: Summary, column: str = "") -> str:
    """``mean ± std`` (just the mean for one run, — for none)."""
    if summary.mean is None:
        return "—"
    mean = number(summary.mean, column)
    return mean if summary.std is None else f"{mean} ± {number(summary.std, column)}"


def number(value: float, column: str = "") -> str:
    """Counts with thousands separators (one decimal once averaged); seconds and large
    values (regression losses) with two decimals; metrics with four."""
    if column in COUNTS:
        return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"
    if column == "train_seconds" or abs(value) >= 1000:
        return f"{value:,.2f}"
    return f"{value:.4f}"


def differs_from_best(comparison: Comparison, row: RunRow, key: str) -> bool:
    """Whether ``row`` sets ``key`` unlike the best run (seeds differ by design: not shaded)."""
    best = comparison.rows[comparison.best_run].config
    return key != SEED and canonical(row.config.get(key, ABSENT)) != canonical(
        best.get(key, ABSENT)
    )
