"""The service's sense of time, injectable so tests and benchmarks control it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (tests in the same process)."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


class FileClock:
    """A clock read from a file holding an ISO 8601 datetime, for tests that run the service
    as a separate process; falls back to the system clock while the file is missing."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)

    def now(self) -> datetime:
        try:
            text = self._path.read_text().strip()
        except FileNotFoundError:
            return datetime.now(UTC)
        return datetime.fromisoformat(text)

    def set(self, moment: datetime) -> None:
        self._path.write_text(moment.isoformat())
