"""The time of day as the city office sees it: dates in Warsaw, instants in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")


def today() -> date:
    """Today in Warsaw: a date a person in the office would write."""
    return datetime.now(WARSAW).date()


def now() -> datetime:
    return datetime.now(UTC)
