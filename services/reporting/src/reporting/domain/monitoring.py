"""The trainers' monitoring and the branches' stages, as pure functions of the snapshots.

Per trainer and branch: the stage timeline, the last visit, follow-ups due and the risks
(no activity for 30 days, a stage stalled for 60); per enrolled branch: the date it
reached each stage and its documents.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from reporting.domain.entities import (
    Branch,
    Edition,
    Enrolment,
    StageReached,
    Submission,
    TrainerAssignment,
    Visit,
)
from reporting.domain.facts import STAGES
from reporting.domain.views import Filters, State, item_of, local_date, selected

NO_ACTIVITY_DAYS = 30
STAGE_STALLED_DAYS = 60
FOLLOW_UP_HORIZON_DAYS = 7
MONITORING_KINDS: tuple[str, ...] = tuple(
    entity.kind
    for entity in (Edition, Branch, Enrolment, StageReached, TrainerAssignment, Visit, Submission)
)
"""The kinds of snapshots ``monitoring_rows`` and ``branch_stages`` read: a few per branch. The
items' activity (``activity_of``: tasks, assignments, hours) is read day by day instead."""


def current_stage(stages: dict[str, date]) -> str | None:
    reached = [stage for stage in STAGES if stage in stages]
    return reached[-1] if reached else None


def branch_stages(state: State, filters: Filters) -> list[dict[str, Any]]:
    """Each enrolled branch with the date it reached each stage."""
    rows = []
    enrolments = (item for e in state.enrolments if (item := item_of(state, e)) is not None)
    for enrolment in selected(enrolments, filters):
        entity = enrolment.entity
        if not isinstance(entity, Enrolment):
            continue
        stages = _stages(state, entity.branch_id, entity.edition_id)
        documents = {
            s.document: s.submitted_on
            for s in state.submissions
            if s.branch_id == entity.branch_id and s.edition_id == entity.edition_id
        }
        assert entity.enrolled_at is not None
        rows.append(
            {
                "branch": enrolment.dims["branch"],
                "district": enrolment.dims["district"],
                "institution_type": enrolment.dims["institution_type"],
                "edition_id": entity.edition_id,
                "edition": state.edition_label(entity.edition_id),
                "enrolled_on": local_date(entity.enrolled_at),
                "funding_pln": entity.funding_pln,
                "current_stage": current_stage(stages),
                **{f"{stage}_on": stages.get(stage) for stage in STAGES},
                "programme_submitted_on": documents.get("programme"),
                "report_submitted_on": documents.get("report"),
            }
        )
    return sorted(rows, key=lambda r: (r["edition"], r["branch"]))


def _stages(state: State, branch_id: uuid.UUID, edition_id: uuid.UUID) -> dict[str, date]:
    return {
        s.stage: s.reached_on
        for s in state.stages
        if s.branch_id == branch_id and s.edition_id == edition_id
    }


def _last_activity(
    state: State, branch_id: uuid.UUID, today: date, recorded: Mapping[uuid.UUID, date]
) -> date | None:
    past = [day for day in state.activity_days(branch_id) if day <= today]
    latest = recorded.get(branch_id)
    if latest is not None and latest <= today:
        past.append(latest)
    return max(past) if past else None


def monitoring_rows(
    state: State,
    filters: Filters,
    today: date,
    trainer_id: uuid.UUID | None = None,
    recorded_activity: Mapping[uuid.UUID, date] | None = None,
) -> list[dict[str, Any]]:
    """Per trainer and branch: stage timeline, last visit, follow-ups due, risks.

    ``recorded_activity``: per branch, the latest day up to ``today`` of activity kept
    outside ``state`` (a state of ``MONITORING_KINDS`` only leaves the items out, and
    ``reporting.branch_activity`` holds their days); the last activity is the latest of
    those and of the state's own.
    """
    recorded = recorded_activity or {}
    rows = []
    for assignment in state.trainers:
        if trainer_id is not None and assignment.trainer_id != trainer_id:
            continue
        if filters.edition_id is not None and assignment.edition_id != filters.edition_id:
            continue
        branch = state.branches.get(assignment.branch_id)
        code = branch.code if branch else assignment.code
        if filters.scope is not None and code not in filters.scope:
            continue
        if filters.branch is not None and code != filters.branch:
            continue
        if filters.district is not None and (branch is None or branch.district != filters.district):
            continue
        edition = state.editions.get(assignment.edition_id)
        stages = _stages(state, assignment.branch_id, assignment.edition_id)
        visits = sorted(
            (
                v
                for v in state.visits
                if v.branch_id == assignment.branch_id and v.edition_id == assignment.edition_id
            ),
            key=lambda v: v.visited_on,
        )
        last_visit = visits[-1] if visits else None
        due = sorted(
            v.follow_up_on
            for v in visits
            if v.follow_up_on is not None
            and v.follow_up_on <= today + timedelta(days=FOLLOW_UP_HORIZON_DAYS)
            and not any(later.visited_on >= v.follow_up_on for later in visits)
        )
        last_activity = _last_activity(state, assignment.branch_id, today, recorded)
        risks = []
        running = (
            edition is not None
            and not edition.closed
            and edition.starts_on <= today <= edition.ends_on
        )
        if running:
            if last_activity is None or (today - last_activity).days > NO_ACTIVITY_DAYS:
                risks.append("no_activity_30_days")
            stage_now = current_stage(stages)
            enrolled = [
                local_date(e.enrolled_at)
                for e in state.enrolments
                if e.branch_id == assignment.branch_id
                and e.edition_id == assignment.edition_id
                and e.enrolled_at
            ]
            since = stages[stage_now] if stage_now else (enrolled[0] if enrolled else None)
            if (
                stage_now != "evaluated"
                and since is not None
                and (today - since).days > STAGE_STALLED_DAYS
            ):
                risks.append("stage_stalled")
        rows.append(
            {
                "trainer_id": assignment.trainer_id,
                "branch": code,
                "district": branch.district if branch else None,
                "edition_id": assignment.edition_id,
                "edition": state.edition_label(assignment.edition_id),
                "current_stage": current_stage(stages),
                "stages": [{"stage": s, "reached_on": stages[s]} for s in STAGES if s in stages],
                "last_visit_on": last_visit.visited_on if last_visit else None,
                "follow_ups_due": due,
                "last_activity_on": last_activity,
                "at_risk": bool(risks),
                "risks": risks,
            }
        )
    return sorted(rows, key=lambda r: (str(r["trainer_id"]), r["edition"], r["branch"]))
