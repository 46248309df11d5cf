"""Implementation stages of a branch in an edition, in their one order."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from registry.domain import RuleViolation


class Stage(StrEnum):
    TRAINED = "trained"
    PROGRAMME_PREPARED = "programme_prepared"
    RECRUITING = "recruiting"
    VOLUNTEERS_ACTIVE = "volunteers_active"
    EVALUATED = "evaluated"


ORDER: tuple[Stage, ...] = tuple(Stage)


def position(stage: Stage | None) -> int:
    """-1 before the first stage, then 0..4."""
    return -1 if stage is None else ORDER.index(stage)


def next_stage(stage: Stage | None) -> Stage | None:
    index = position(stage) + 1
    return ORDER[index] if index < len(ORDER) else None


def is_forward_step(current: Stage | None, target: Stage) -> bool:
    """True when ``target`` is the very next stage after ``current``."""
    return position(target) == position(current) + 1


def check_stage_move(
    current: Stage | None,
    target: Stage,
    *,
    reason: str | None,
    reached_on: date,
    current_reached_on: date | None,
) -> None:
    """A branch moves one stage forward at a time; skipping or going back needs a reason.

    The date a stage is reached is never earlier than the date of the stage before it.
    """
    if target == current:
        raise RuleViolation(f"the branch is already at stage '{target}'")
    has_reason = bool(reason and reason.strip())
    if not is_forward_step(current, target) and not has_reason:
        where = f"'{current}'" if current is not None else "the start (no stage yet)"
        if position(target) < position(current):
            raise RuleViolation(
                f"moving back from {where} to '{target}' needs a reason", title="Reason required"
            )
        expected = next_stage(current)
        raise RuleViolation(
            f"from {where} the next stage is '{expected}'; reaching '{target}' skips a stage "
            "and needs a reason",
            title="Reason required",
        )
    if current_reached_on is not None and reached_on < current_reached_on:
        raise RuleViolation(
            f"'{target}' cannot be reached on {reached_on.isoformat()}, before the current "
            f"stage '{current}' was reached on {current_reached_on.isoformat()}"
        )
