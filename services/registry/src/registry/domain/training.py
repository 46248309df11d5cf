"""Training: a branch counts as trained when its staff attended every module of the edition."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from enum import StrEnum


class MeetingKind(StrEnum):
    MODULE = "module"  # a training module: every one counts towards "trained"
    FORUM = "forum"  # a coordinators' forum meeting: recorded the same way, counts for nothing


def missing_modules(
    required: Collection[uuid.UUID], attended: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    return set(required) - set(attended)


def is_trained(required: Collection[uuid.UUID], attended: Collection[uuid.UUID]) -> bool:
    """An edition with no modules trains nobody: there must be at least one module."""
    return bool(required) and not missing_modules(required, attended)
