"""Comparing finished runs: one table, overlaid curves, repeats as mean ± std."""

from dlworkflow.compare.comparison import Comparison, RunRow, Variant, compare_runs
from dlworkflow.compare.page import default_out_dir, write_compare_page
from dlworkflow.compare.stats import Summary, summarize, within_noise

__all__ = [
    "Comparison",
    "RunRow",
    "Summary",
    "Variant",
    "compare_runs",
    "default_out_dir",
    "summarize",
    "within_noise",
    "write_compare_page",
]
