"""The comparison's figures: overlaid curves, the main metric per variant, per-class F1."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from dlworkflow.compare.comparison import Comparison, label
from dlworkflow.figures import plt

BEST_COLOUR, OTHER_COLOUR = "#59a14f", "#4e79a7"


def colours(count: int) -> list:
    """Distinct colours: tab10/tab20 while they last, then evenly along viridis."""
    if count <= 20:
        palette = plt.get_cmap("tab10" if count <= 10 else "tab20")
        return [palette(i) for i in range(count)]
    return list(plt.get_cmap("viridis")(np.linspace(0, 0.95, count)))


def curves_figure(comparison: Comparison) -> Figure:
    """Every run's history on shared axes: one colour per run, train dashed, validation solid.

    The legend sits outside the axes so that many runs do not hide the curves.
    """
    panels = ["loss", *([comparison.curve_metric] if comparison.curve_metric else [])]
    figure, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels) + 2.5, 4), squeeze=False)
    palette = colours(len(comparison.rows))
    for axis, name in zip(axes[0], panels, strict=True):
        for row, colour in zip(comparison.rows, palette, strict=True):
            train = row.history.get(name, [])
            axis.plot(range(1, len(train) + 1), train, "--", color=colour, linewidth=1.2)
            val = row.history.get(f"val_{name}", [])
            axis.plot(range(1, len(val) + 1), val, "-", color=colour, linewidth=1.6)
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles = [Line2D([], [], color="gray", linestyle="--", label="train")]
    handles += [Line2D([], [], color="gray", label="validation")]
    handles += [
        Line2D([], [], color=colour, linewidth=3, label=_wrap(row.name))
        for row, colour in zip(comparison.rows, palette, strict=True)
    ]
    axes[0][-1].legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.02, 1),
        fontsize=8,
        ncol=1 if len(handles) <= 24 else 2,
    )
    return figure


def main_metric_figure(comparison: Comparison) -> Figure:
    """The metric that picks the best, per variant, with ± std error bars for repeats."""
    variants = comparison.variants
    means = [v.stats[comparison.main].mean for v in variants]
    stds = [v.stats[comparison.main].std for v in variants]  # None for a single run
    figure, axis = plt.subplots(figsize=(max(5.0, 0.9 * len(variants) + 2), 4))
    positions = np.arange(len(variants))
    bar_colours = [BEST_COLOUR if i == comparison.best_variant else OTHER_COLOUR for i in positions]
    heights = [np.nan if m is None else m for m in means]
    axis.bar(positions, heights, color=bar_colours)
    spread = [i for i, std in enumerate(stds) if std is not None]  # no bar, no cap, for n = 1
    if spread:
        axis.errorbar(
            positions[spread],
            [heights[i] for i in spread],
            yerr=[stds[i] for i in spread],
            fmt="none",
            ecolor="black",
            capsize=4,
        )
    axis.set_xticks(positions, [_wrap(v.label, 18) for v in variants], fontsize=8)
    if len(variants) > 6:
        axis.tick_params(axis="x", rotation=60)
    axis.set_ylabel(label(comparison.main))
    spread = " (bars: mean ± std over repeats)" if comparison.repeated else ""
    axis.set_title(f"{label(comparison.main)} per variant{spread}; best in green", fontsize=10)
    return figure


def per_class_f1_figure(comparison: Comparison) -> Figure:
    """Grouped bars: for each class, one bar per variant (mean ± std over repeats)."""
    classes, variants = comparison.class_names, comparison.variants
    width = 0.8 / len(variants)
    figure, axis = plt.subplots(figsize=(min(max(7.0, 0.45 * len(classes) * len(variants)), 28), 4))
    positions = np.arange(len(classes))
    for index, (variant, colour) in enumerate(zip(variants, colours(len(variants)), strict=True)):
        stats = [variant.per_class_f1[name] for name in classes]
        axis.bar(
            positions + (index - (len(variants) - 1) / 2) * width,
            [np.nan if s.mean is None else s.mean for s in stats],
            width,
            yerr=[s.std or 0.0 for s in stats],
            capsize=2,
            color=colour,
            label=_wrap(variant.label),
        )
    axis.set_xticks(positions, classes, rotation=90 if len(classes) > 12 else 0)
    axis.set_ylim(0, 1.05)
    axis.set_ylabel("F1")
    axis.set_title("per-class F1 on the test set")
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    return figure


def _wrap(text: str, width: int = 30) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text
