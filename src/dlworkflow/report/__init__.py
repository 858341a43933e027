"""The run report: one self-contained ``report.html`` built from a run folder alone."""

from dlworkflow.report.build import build_report

__all__ = ["build_report"]
