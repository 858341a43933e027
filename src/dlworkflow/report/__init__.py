"""The HTML report, built from a run folder alone."""

from dlworkflow.report.build import build_report
from dlworkflow.report.reader import RunRecord, read_run

__all__ = ["RunRecord", "build_report", "read_run"]
