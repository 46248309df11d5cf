"""Editions of the programme: planned → open → closed, one open edition per institution type."""

from __future__ import annotations

from enum import StrEnum

from registry.domain import RuleViolation


class InstitutionType(StrEnum):
    LIBRARY_BRANCH = "library_branch"
    CULTURE_CENTRE = "culture_centre"
    CARE_HOME = "care_home"


class EditionStatus(StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"
    WITHDRAWN = "withdrawn"


def check_can_open(
    edition: str, status: EditionStatus, already_open: str | None, institution_type: str
) -> None:
    """``already_open`` names the open edition of the same institution type, if there is one."""
    if status is EditionStatus.OPEN:
        raise RuleViolation(f"edition {edition} is already open")
    if status is EditionStatus.CLOSED:
        raise RuleViolation(f"edition {edition} is closed and cannot be opened again")
    if already_open is not None:
        raise RuleViolation(
            f"edition {already_open} is still open for {institution_type}: close it before "
            f"opening edition {edition} (only one edition per institution type may be open)"
        )


def check_can_close(edition: str, status: EditionStatus) -> None:
    if status is not EditionStatus.OPEN:
        raise RuleViolation(f"edition {edition} is {status}; only an open edition can be closed")


def check_can_change_dates(edition: str, status: EditionStatus) -> None:
    if status is EditionStatus.CLOSED:
        raise RuleViolation(f"edition {edition} is closed; its dates can no longer change")


def check_can_enrol(
    *,
    edition: str,
    edition_status: EditionStatus,
    edition_type: str,
    branch_code: str,
    branch_type: str,
) -> None:
    """A branch enrols only in an open edition of its own institution type."""
    if edition_status is not EditionStatus.OPEN:
        raise RuleViolation(
            f"branch '{branch_code}' cannot enrol in edition {edition}: the edition is "
            f"{edition_status}, and branches enrol only while an edition is open"
        )
    if edition_type != branch_type:
        raise RuleViolation(
            f"branch '{branch_code}' is a {branch_type} and edition {edition} is for {edition_type}"
        )


def check_can_withdraw(branch_code: str, edition: str, status: EnrolmentStatus) -> None:
    if status is EnrolmentStatus.WITHDRAWN:
        raise RuleViolation(f"branch '{branch_code}' has already withdrawn from edition {edition}")


def check_enrolment_active(
    branch_code: str, edition: str, status: EnrolmentStatus, edition_status: EditionStatus
) -> None:
    """Work on an enrolment (stages, staff, visits...) needs it enrolled in an open edition."""
    if status is EnrolmentStatus.WITHDRAWN:
        raise RuleViolation(f"branch '{branch_code}' has withdrawn from edition {edition}")
    if edition_status is not EditionStatus.OPEN:
        raise RuleViolation(f"edition {edition} is {edition_status}, not open")
