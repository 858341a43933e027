"""The layer table a report shows, read from the run folder."""

from __future__ import annotations

from dlworkflow.runfolder import RunRecord


def run_model_table(record: RunRecord) -> dict:
    """``model_table.json``, written at run time; for folders written before it existed,
    the table of the model itself (slow: opens Keras)."""
    table = record.model_table()
    if table is not None:
        return table
    from dlworkflow.models.summary import model_table

    return model_table(record.model())
