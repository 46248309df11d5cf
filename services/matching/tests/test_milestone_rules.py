"""Milestones from approved hours and the first day (pure rules)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from matching.domain.milestones import Record, reached


def test_nothing_before_the_first_day() -> None:
    assert reached(Record(Decimal(0), None), date(2026, 12, 6)) == []


def test_hours_thresholds_count_approved_hours_inclusively() -> None:
    record = Record(Decimal("25.00"), date(2026, 3, 1))
    assert reached(record, date(2026, 12, 6)) == ["first_shift", "hours_10", "hours_25"]
    assert "hours_50" not in reached(Record(Decimal("49.75"), date(2026, 3, 1)), date(2026, 12, 6))


def test_one_year_from_the_first_day_on_its_anniversary() -> None:
    record = Record(Decimal(2), date(2025, 12, 6))
    assert "one_year" not in reached(record, date(2026, 12, 5))
    assert reached(record, date(2026, 12, 6)) == ["first_shift", "one_year"]
    # 29 February: the year is up on 28 February.
    assert "one_year" in reached(Record(Decimal(1), date(2024, 2, 29)), date(2025, 2, 28))
