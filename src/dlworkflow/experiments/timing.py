"""Where a run's time goes: seconds per workflow step, kept in ``metrics.json``.

``fit`` is the training everyone expects to wait for; everything else is the fixed cost
of a run (``benchmarks/overhead.py`` prints it against a bare script), so it is
measured inside the real run rather than guessed from outside.
"""

from __future__ import annotations

import time


class StepClock:
    """Laps: ``lap(name)`` books the seconds since the previous lap (or the start) to ``name``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._last, 3)
        self._last = now
