"""Progress of a long operator command (``reporting rebuild``, the seeds) on stderr.

On a terminal a bar (rich); elsewhere (``kubectl exec`` without ``-t``, a Job's log) a line
per step, so the log shows how far it got. stdout stays for the command's result.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)


class Steps:
    """``advance(n)`` after each chunk of work; ``total`` may be set once it is known."""

    def __init__(self, description: str, total: int | None, stream: TextIO) -> None:
        self.description = description
        self.total = total
        self.done = 0
        self._stream = stream
        self._console = Console(file=stream)
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def _start(self) -> None:
        if self._console.is_terminal:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=self._console,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)

    def set_total(self, total: int) -> None:
        self.total = total
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=total)

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.total is not None and self.done > self.total:
            self.set_total(self.done)  # what arrived after the count
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.done)
            return
        of = f"/{self.total}" if self.total is not None else ""
        print(f"{self.description}: {self.done}{of}", file=self._stream, flush=True)

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


@contextmanager
def steps(
    description: str, total: int | None = None, stream: TextIO | None = None
) -> Iterator[Steps]:
    """A progress display for the duration of the block."""
    shown = Steps(description, total, stream or sys.stderr)
    shown._start()
    try:
        yield shown
    finally:
        shown._stop()
