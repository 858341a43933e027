"""Dynamic batching: requests that arrive together share one model call.

A model call costs about the same for 1 sample as for 32, so concurrent requests are
queued and the model thread takes everything waiting (up to ``max_batch`` samples,
waiting at most ``max_wait`` seconds for more), runs it once and hands each request
its rows. While one batch runs, the next one gathers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np


@dataclass
class BatchStats:
    calls: int = 0
    samples: int = 0
    largest: int = 0


@dataclass
class Batcher:
    """Gather concurrent ``await batcher(x)`` calls into one ``run(batch)`` on one thread."""

    run: Callable[[np.ndarray], np.ndarray]
    max_batch: int = 64
    max_wait: float = 0.002
    stats: BatchStats = field(default_factory=BatchStats)

    def __post_init__(self) -> None:
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="model")
        self._queue: asyncio.Queue | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.executor.shutdown(wait=True)

    async def __call__(self, x: np.ndarray) -> np.ndarray:
        """The model's output rows for ``x`` (computed with whatever else is waiting)."""
        assert self._queue is not None, "Batcher.start() first"
        future = asyncio.get_running_loop().create_future()
        await self._queue.put((x, future))
        return await future

    async def in_model_thread(self, work: Callable[[], object]) -> object:
        """Other work on the model (explanations) on the same thread as the batches."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, work)

    async def _loop(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            items = [await self._queue.get()]
            size = len(items[0][0])
            deadline = loop.time() + self.max_wait
            while size < self.max_batch:
                if self._queue.empty():
                    left = deadline - loop.time()
                    if left <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(self._queue.get(), left)
                    except asyncio.TimeoutError:
                        break
                else:
                    item = self._queue.get_nowait()
                items.append(item)
                size += len(item[0])
            await self._run(items, loop)

    async def _run(self, items: list, loop: asyncio.AbstractEventLoop) -> None:
        batch = np.concatenate([x for x, _ in items])
        try:
            y = await loop.run_in_executor(self.executor, self.run, batch)
        except Exception as exc:  # the model failed: each waiting request gets the error
            for _, future in items:
                if not future.done():
                    future.set_exception(exc)
            return
        self.stats.calls += 1
        self.stats.samples += len(batch)
        self.stats.largest = max(self.stats.largest, len(batch))
        start = 0
        for x, future in items:
            if not future.done():  # a request that timed out has gone
                future.set_result(np.asarray(y[start : start + len(x)]))
            start += len(x)
