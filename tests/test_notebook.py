"""``examples/mnist_workflow.ipynb`` runs under ``jupyter nbconvert --execute`` and shows
every step inline: HTML tables from the reprs, PNG figures, no errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

NOTEBOOK = REPO / "examples" / "mnist_workflow.ipynb"


def test_the_example_notebook_is_stored_without_outputs():
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)


def outputs_of(cell: dict) -> dict[str, str]:
    """The cell's result and displays by MIME type (texts joined)."""
    found: dict[str, str] = {}
    for output in cell["outputs"]:
        for kind, value in output.get("data", {}).items():
            text = "".join(value) if isinstance(value, list) else value
            found[kind] = found.get(kind, "") + text
    return found


def test_the_example_notebook_runs_and_shows_tables_and_figures(tmp_path: Path):
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)  # its runs/ go into tmp_path
    # the kernel is this interpreter: jupyter_client swaps the spec's "python" for it
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.kernel_name=python3", "--ExecutePreprocessor.timeout=600",
         "--output", "executed.ipynb", NOTEBOOK.name],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    cells = json.loads((tmp_path / "executed.ipynb").read_text(encoding="utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    printed = "".join(
        "".join(o.get("text") or o.get("data", {}).get("text/plain", ""))
        for c in code
        for o in c["outputs"]
        if o["output_type"] in ("stream", "display_data")
    )
    assert "ipywidgets" not in printed  # no live progress bar that Jupyter cannot draw
    assert "epoch   3/3" in re.sub(r"\x1b\[[0-9;]*m", "", printed)  # epoch lines still print
    shown = {"".join(c["source"]).splitlines()[-1]: outputs_of(c) for c in code}
    html = {line: out["text/html"] for line, out in shown.items() if "text/html" in out}
    expected = {
        "model_table(prepared.model)": "Mult-adds",
        "model_table(lenet)": "Conv2D",
        "lr_test": "LR range test",
        "run": "Run mnist-mlp",
        "classification_metrics(run.dataset.test.y, y_prob, run.dataset.class_names)": "f1-score",
        "compare_runs([run.folder, tuned.folder])": "Comparison of 2 runs",
    }
    for line, text in expected.items():
        assert text in html[line], line
    for line in ("sample_grid_figure(data)", "class_distribution_figure(data)"):
        assert "image/png" in shown[line], line
    assert all("<script" not in text for text in html.values())
    assert (tmp_path / "runs" / "mnist-mlp" / "report.html").is_file()
