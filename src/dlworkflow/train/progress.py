"""A Rich progress bar per epoch, and one line of metrics when the epoch ends."""

from __future__ import annotations

import keras
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class EpochProgress(keras.callbacks.Callback):
    # Only the batch index is used and Rich's Progress is thread-safe, so Keras may call
    # on_train_batch_end from its async dispatcher instead of syncing every step.
    async_safe = True

    def __init__(self, epochs: int, steps: int, console: Console | None = None) -> None:
        super().__init__()
        self.epochs, self.steps = epochs, steps
        self.console = console or Console(stderr=True, emoji=False)
        self._progress: Progress | None = None
        self._task = None

    def on_train_begin(self, logs=None) -> None:
        self._progress = Progress(
            TextColumn("[bold]epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=self.console,
            transient=True,
            disable=self.console.is_jupyter,  # a live bar there needs ipywidgets; lines stay
        )
        self._progress.start()

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        assert self._progress is not None
        self._task = self._progress.add_task(
            "", total=self.steps, epoch=f"{epoch + 1}/{self.epochs}", metrics=""
        )

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        assert self._progress is not None
        self._progress.update(self._task, completed=batch + 1)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        assert self._progress is not None
        self._progress.remove_task(self._task)
        self._progress.console.print(
            f"epoch {epoch + 1:>3}/{self.epochs}  {format_logs(logs or {})}", soft_wrap=True
        )

    def on_train_end(self, logs=None) -> None:
        if self._progress is not None:
            self._progress.stop()


def format_logs(logs: dict[str, float]) -> str:
    parts = []
    for name, value in logs.items():
        if name == "epoch_seconds":
            parts.append(f"{value:.1f}s")
        else:
            parts.append(f"{name} {value:.3g}" if name == "lr" else f"{name} {value:.4f}")
    return "  ".join(parts)
