"""The README's Python API block runs as written, as a plain script in a fresh process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_api_block() -> str:
    section = README.read_text(encoding="utf-8").split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


@pytest.mark.slow
def test_the_python_api_block_runs_as_a_plain_script(tmp_path: Path):
    script = tmp_path / "script.py"
    script.write_text(python_api_block(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    runs = {path.name for path in (tmp_path / "runs").iterdir()}
    # the script's own run happened once: workers did not re-import it
    assert runs == {"api-digits", "api-sweep", "api-comparison"}
    assert (tmp_path / "runs" / "api-comparison" / "compare.html").is_file()
    explanations = tmp_path / "runs" / "api-digits" / "explanations"
    assert (explanations / "index.html").is_file() and len(list(explanations.glob("*.html"))) == 2
