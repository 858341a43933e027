"""One sweep run in a fresh interpreter: ``python -m dlworkflow.experiments.worker``.

Sweeps with ``--jobs N`` start their runs as new processes of this module rather than
by ``multiprocessing``'s spawn, which re-imports the user's own script in every worker
(and runs whatever that script does at the top level). The request comes as JSON on
stdin; the outcome goes as one JSON line on stdout.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

from dlworkflow.experiments.executors import run_one
from dlworkflow.experiments.tracking import TrackingOptions


def main() -> None:
    request = json.loads(sys.stdin.read())
    outcome = run_one(
        request["config"], request["sweep_folder"], TrackingOptions(**request["tracking"])
    )
    print(json.dumps(asdict(outcome)))


if __name__ == "__main__":
    main()
