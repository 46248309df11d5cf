"""The programme's rules, as pure functions: no database, no broker."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from registry.domain import RuleViolation
from registry.domain.editions import (
    EditionStatus,
    EnrolmentStatus,
    check_can_close,
    check_can_enrol,
    check_can_open,
    check_can_withdraw,
)
from registry.domain.stages import ORDER, Stage, check_stage_move, next_stage
from registry.domain.training import is_trained, missing_modules

DAY = date(2019, 3, 1)
LATER = date(2019, 4, 1)


# -- stage order ---------------------------------------------------------------------------


def test_the_stages_have_one_order() -> None:
    assert [stage.value for stage in ORDER] == [
        "trained",
        "programme_prepared",
        "recruiting",
        "volunteers_active",
        "evaluated",
    ]
    assert next_stage(None) is Stage.TRAINED
    assert next_stage(Stage.EVALUATED) is None


@pytest.mark.parametrize("current", [None, *ORDER[:-1]])
def test_each_next_stage_is_reached_without_a_reason(current: Stage | None) -> None:
    target = next_stage(current)
    assert target is not None
    check_stage_move(current, target, reason=None, reached_on=LATER, current_reached_on=DAY)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (None, Stage.PROGRAMME_PREPARED),
        (None, Stage.EVALUATED),
        (Stage.TRAINED, Stage.RECRUITING),
        (Stage.PROGRAMME_PREPARED, Stage.VOLUNTEERS_ACTIVE),
        (Stage.RECRUITING, Stage.EVALUATED),
    ],
)
def test_skipping_a_stage_needs_a_reason(current: Stage | None, target: Stage) -> None:
    with pytest.raises(RuleViolation, match="skips a stage and needs a reason"):
        check_stage_move(current, target, reason=None, reached_on=LATER, current_reached_on=DAY)
    with pytest.raises(RuleViolation, match="needs a reason"):
        check_stage_move(current, target, reason="   ", reached_on=LATER, current_reached_on=DAY)
    check_stage_move(
        current,
        target,
        reason="trained in the 2018 edition",
        reached_on=LATER,
        current_reached_on=DAY,
    )


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Stage.PROGRAMME_PREPARED, Stage.TRAINED),
        (Stage.VOLUNTEERS_ACTIVE, Stage.RECRUITING),
        (Stage.EVALUATED, Stage.TRAINED),
    ],
)
def test_moving_back_needs_a_reason(current: Stage, target: Stage) -> None:
    with pytest.raises(RuleViolation, match=f"moving back from '{current}' to '{target}'"):
        check_stage_move(current, target, reason=None, reached_on=LATER, current_reached_on=DAY)
    check_stage_move(
        current,
        target,
        reason="all volunteers left over the summer",
        reached_on=LATER,
        current_reached_on=DAY,
    )


def test_the_same_stage_again_is_refused() -> None:
    with pytest.raises(RuleViolation, match="already at stage 'recruiting'"):
        check_stage_move(
            Stage.RECRUITING, Stage.RECRUITING, reason="x", reached_on=LATER, current_reached_on=DAY
        )


def test_a_stage_is_not_reached_before_the_one_before_it() -> None:
    with pytest.raises(RuleViolation, match="before the current stage 'trained'"):
        check_stage_move(
            Stage.TRAINED,
            Stage.PROGRAMME_PREPARED,
            reason=None,
            reached_on=DAY,
            current_reached_on=LATER,
        )


# -- one open edition per institution type ----------------------------------------------------


def test_a_planned_edition_opens_when_no_other_is_open() -> None:
    check_can_open("2019", EditionStatus.PLANNED, None, "library_branch")


def test_a_second_open_edition_of_the_same_type_is_refused() -> None:
    with pytest.raises(RuleViolation, match="edition 2018 is still open for library_branch"):
        check_can_open("2019", EditionStatus.PLANNED, "2018", "library_branch")


@pytest.mark.parametrize(
    ("status", "message"),
    [(EditionStatus.OPEN, "already open"), (EditionStatus.CLOSED, "cannot be opened again")],
)
def test_only_a_planned_edition_opens(status: EditionStatus, message: str) -> None:
    with pytest.raises(RuleViolation, match=message):
        check_can_open("2019", status, None, "library_branch")


@pytest.mark.parametrize("status", [EditionStatus.PLANNED, EditionStatus.CLOSED])
def test_only_an_open_edition_closes(status: EditionStatus) -> None:
    with pytest.raises(RuleViolation, match="only an open edition can be closed"):
        check_can_close("2019", status)
    check_can_close("2019", EditionStatus.OPEN)


# -- enrolment only in an open edition ------------------------------------------------------


def _enrol(status: EditionStatus, edition_type: str = "library_branch") -> None:
    check_can_enrol(
        edition="2019",
        edition_status=status,
        edition_type=edition_type,
        branch_code="wola-12",
        branch_type="library_branch",
    )


def test_a_branch_enrols_in_an_open_edition() -> None:
    _enrol(EditionStatus.OPEN)


@pytest.mark.parametrize("status", [EditionStatus.PLANNED, EditionStatus.CLOSED])
def test_a_branch_does_not_enrol_in_an_edition_that_is_not_open(status: EditionStatus) -> None:
    with pytest.raises(
        RuleViolation, match=f"cannot enrol in edition 2019: the edition is {status}"
    ):
        _enrol(status)


def test_a_branch_enrols_only_in_an_edition_of_its_type() -> None:
    with pytest.raises(
        RuleViolation, match="is a library_branch and edition 2019 is for care_home"
    ):
        _enrol(EditionStatus.OPEN, edition_type="care_home")


def test_a_branch_withdraws_once() -> None:
    check_can_withdraw("wola-12", "2019", EnrolmentStatus.ENROLLED)
    with pytest.raises(RuleViolation, match="already withdrawn"):
        check_can_withdraw("wola-12", "2019", EnrolmentStatus.WITHDRAWN)


# -- trained ---------------------------------------------------------------------------------


def test_a_branch_is_trained_when_its_staff_attended_every_module() -> None:
    modules = [uuid.uuid4() for _ in range(3)]
    assert not is_trained(modules, modules[:2])
    assert missing_modules(modules, modules[:2]) == {modules[2]}
    assert is_trained(modules, modules)
    assert not is_trained([], []), "an edition without modules trains nobody"
