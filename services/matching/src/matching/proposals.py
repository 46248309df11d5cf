"""Use cases of the matching engine: ranked candidates, batch plans, proposals and answers."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import col, func, select

from matching import assignments, child_protection
from matching.domain.batch_plan import Plan
from matching.domain.matching import (
    Ranked,
    TaskSpec,
    VolunteerSpec,
    WeeklySlot,
    ineligibility,
    rank,
    score,
)
from matching.domain.people import age_band
from matching.domain.schedule import WARSAW, Interval
from matching.events import ProposalAccepted, ProposalDeclined, ProposalExpired, ProposalMade
from matching.planner import plan_apart
from matching.tables import Assignment, Branch, Proposal, Task, UsedLinkToken, Volunteer
from matching.tasks import PUBLISHED, get_task, occurrences, task_day
from shared.problems import Problem
from shared.signed_links import InvalidLink, verify_link_token
from shared.unit_of_work import UnitOfWork

PROPOSED = "proposed"
ACCEPTED = "accepted"
DECLINED = "declined"
EXPIRED = "expired"
LINK_PURPOSE = "proposal.respond"


def _fields(proposal: Proposal, task: Task) -> dict[str, object]:
    return {
        "proposal_id": proposal.id,
        "task_id": task.id,
        "volunteer_id": proposal.volunteer_id,
        "branch_id": task.branch_id,
        "branch_code": task.branch_code,
        "expires_at": proposal.expires_at,
    }


async def expire_overdue(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Proposals nobody answered in time expire (their places return to planning)."""
    now = now or datetime.now(UTC)
    overdue = (
        await uow.session.exec(
            select(Proposal, Task)
            .join(Task, col(Task.id) == col(Proposal.task_id))
            .where(Proposal.status == PROPOSED, col(Proposal.expires_at) <= now)
            .with_for_update(of=Proposal, skip_locked=True)
        )
    ).all()
    for proposal, task in overdue:
        proposal.status = EXPIRED
        proposal.responded_at = now
        uow.session.add(proposal)
        await uow.emit(ProposalExpired(**_fields(proposal, task)), subject=str(task.id))
    return len(overdue)


# -- loading the engine's input ------------------------------------------------------------


async def _task_spec(uow: UnitOfWork, task: Task, district: str, free: int) -> TaskSpec:
    return TaskSpec(
        id=task.id,
        district=district,
        day=task_day(task),
        shifts=tuple(occurrences(task)),
        places=free,
        title=task.title,
        type=task.type,
        min_age=task.min_age,
        with_children=task.with_children,
        skills=frozenset(task.skills),
    )


async def _free_places(uow: UnitOfWork, task: Task, now: datetime) -> int:
    proposed = (
        await uow.session.exec(
            select(func.count()).where(
                Proposal.task_id == task.id,
                Proposal.status == PROPOSED,
                col(Proposal.expires_at) > now,
            )
        )
    ).one()
    return max(0, task.places - await assignments.confirmed_count(uow, task.id) - int(proposed))


async def _volunteer_specs(
    uow: UnitOfWork,
    districts: set[str],
    window: Interval,
    now: datetime,
    *,
    only: uuid.UUID | None = None,
) -> list[VolunteerSpec]:
    """Everyone who reaches one of the districts, with what they are already booked for;
    ``only`` loads that one volunteer wherever they live, so that the engine can say why."""
    session = uow.session
    who = (
        col(Volunteer.id) == only
        if only is not None
        else col(Volunteer.districts).op("&&")(sa.cast(sorted(districts), pg.ARRAY(sa.Text)))
    )
    people = (
        await session.exec(select(Volunteer).where(col(Volunteer.erased_at).is_(None), who))
    ).all()
    ids = [person.id for person in people]
    checks = await child_protection.latest_checks(uow, ids)
    busy: dict[uuid.UUID, list[Interval]] = defaultdict(list)
    taken: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    engaged: dict[uuid.UUID, datetime] = {}
    booked = (
        await session.exec(
            select(Assignment, Task)
            .join(Task, col(Task.id) == col(Assignment.task_id))
            .where(col(Assignment.volunteer_id).in_(ids), Assignment.status == "confirmed")
        )
    ).all()
    for assignment, task in booked:
        taken[assignment.volunteer_id].add(task.id)
        if task.starts_at < window.ends_at and task.ends_at > window.starts_at:
            busy[assignment.volunteer_id].extend(occurrences(task))
    for volunteer_id, last in (
        await session.exec(
            select(Assignment.volunteer_id, func.max(Assignment.created_at))
            .where(col(Assignment.volunteer_id).in_(ids))
            .group_by(col(Assignment.volunteer_id))
        )
    ).all():
        if last is not None:
            engaged[volunteer_id] = last
    for proposal in (
        await session.exec(select(Proposal).where(col(Proposal.volunteer_id).in_(ids)))
    ).all():
        if proposal.status == PROPOSED and proposal.expires_at > now:
            taken[proposal.volunteer_id].add(proposal.task_id)
        previous = engaged.get(proposal.volunteer_id)
        if previous is None or proposal.created_at > previous:
            engaged[proposal.volunteer_id] = proposal.created_at
    return [
        VolunteerSpec(
            id=person.id,
            birth_date=person.birth_date,
            districts=tuple(person.districts),
            skills=frozenset(person.skills),
            interests=frozenset(person.interests),
            languages=frozenset(person.languages),
            availability=tuple(WeeklySlot(**slot) for slot in person.availability),
            checks=child_protection.protection(checks.get(person.id)),
            busy=tuple(busy[person.id]),
            taken=frozenset(taken[person.id]),
            last_engaged_at=engaged.get(person.id),
        )
        for person in people
    ]


async def _district_of(uow: UnitOfWork, task: Task) -> str:
    branch = await uow.session.get(Branch, task.branch_id)
    if branch is None:
        raise Problem(409, "Unknown branch", f"branch {task.branch_code!r} is not in the copy")
    return branch.district


# -- (a) ranked candidates for one task ----------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """What deciding needs: the rank and its reasons, a first name and an age band on the
    task's day; never contact data or the birth date."""

    ranked: Ranked
    first_name: str | None
    age_band: str | None


async def candidates(uow: UnitOfWork, task: Task, limit: int) -> list[Candidate]:
    now = datetime.now(UTC)
    district = await _district_of(uow, task)
    spec = await _task_spec(uow, task, district, task.places)
    people = await _volunteer_specs(uow, {district}, Interval(task.starts_at, task.ends_at), now)
    ranked = rank(spec, people, now, limit=limit)
    found = {
        person.id: person
        for person in (
            await uow.session.exec(
                select(Volunteer).where(
                    col(Volunteer.id).in_([entry.volunteer_id for entry in ranked])
                )
            )
        ).all()
    }
    result: list[Candidate] = []
    for entry in ranked:
        person = found[uuid.UUID(str(entry.volunteer_id))]
        band = age_band(person.birth_date, spec.day) if person.birth_date else None
        result.append(Candidate(entry, person.first_name, band))
    return result


# -- (b) a batch plan that becomes proposals ------------------------------------------------


@dataclass(frozen=True)
class PlanResult:
    plan_id: uuid.UUID
    plan: Plan
    proposals: list[Proposal]


async def make_plan(
    uow: UnitOfWork, task_ids: Sequence[uuid.UUID], expires_in: timedelta
) -> PlanResult:
    now = datetime.now(UTC)
    await expire_overdue(uow, now)
    tasks: list[Task] = []
    specs: list[TaskSpec] = []
    for task_id in sorted(set(task_ids)):  # one lock order: concurrent plans cannot deadlock
        task = await get_task(uow, task_id, for_update=True)
        if task.status != PUBLISHED:
            raise Problem(409, "Task cancelled", f"task {task.id} is cancelled")
        free = await _free_places(uow, task, now)
        tasks.append(task)
        specs.append(await _task_spec(uow, task, await _district_of(uow, task), free))
    window = Interval(min(t.starts_at for t in tasks), max(t.ends_at for t in tasks))
    people = await _volunteer_specs(uow, {spec.district for spec in specs}, window, now)
    result = await plan_apart(specs, people, now)
    plan_id = uuid.uuid4()
    by_id = {task.id: task for task in tasks}
    made: list[Proposal] = []
    for pairing in result.pairings:
        task = by_id[uuid.UUID(str(pairing.task_id))]
        proposal = Proposal(
            plan_id=plan_id,
            task_id=task.id,
            volunteer_id=uuid.UUID(str(pairing.volunteer_id)),
            points=pairing.points,
            status=PROPOSED,
            expires_at=now + expires_in,
            created_at=now,
        )
        uow.session.add(proposal)
        made.append(proposal)
    await uow.session.flush()
    for proposal in made:
        await uow.emit(
            ProposalMade(**_fields(proposal, by_id[proposal.task_id])),
            subject=str(proposal.task_id),
        )
    return PlanResult(plan_id, result, made)


# -- (c) one proposal: the coordinator picks a ranked candidate -----------------------------


async def propose(
    uow: UnitOfWork,
    task: Task,
    volunteer_id: uuid.UUID,
    expires_in: timedelta,
    *,
    explain: bool = True,
) -> Proposal:
    """A proposal to one volunteer, under the same rules as a plan's (the task must be
    locked by the caller): a free place, and the engine finds the volunteer eligible.
    ``explain=False`` (the volunteer is not linked to the caller's branch): an ineligible
    volunteer answers 404, as if unknown, since the reason would tell about the person."""
    now = datetime.now(UTC)
    await expire_overdue(uow, now)
    if task.status != PUBLISHED:
        raise Problem(409, "Task cancelled", f"task {task.id} is cancelled")
    free = await _free_places(uow, task, now)
    if free == 0:
        raise Problem(409, "No free place", f"task {task.id} has no place left to propose")
    district = await _district_of(uow, task)
    spec = await _task_spec(uow, task, district, free)
    # The volunteer's row is locked too: two proposals for them cannot both pass the checks.
    await assignments.volunteer_for_update(uow, volunteer_id)
    window = Interval(task.starts_at, task.ends_at)
    [person] = await _volunteer_specs(uow, {district}, window, now, only=volunteer_id)
    reason = ineligibility(spec, person, now.astimezone(WARSAW).date())
    if reason is not None and not explain:
        raise Problem(404, "Volunteer not found", f"no volunteer with id {volunteer_id}")
    if reason is not None:
        raise Problem(409, "Not eligible", f"volunteer {volunteer_id} cannot be proposed: {reason}")
    proposal = Proposal(
        plan_id=uuid.uuid4(),  # a plan of one
        task_id=task.id,
        volunteer_id=volunteer_id,
        points=score(spec, person, now).points,
        status=PROPOSED,
        expires_at=now + expires_in,
        created_at=now,
    )
    uow.session.add(proposal)
    await uow.session.flush()
    await uow.emit(ProposalMade(**_fields(proposal, task)), subject=str(task.id))
    return proposal


# -- answers: through the API or a signed no-login link --------------------------------------


async def get_proposal(uow: UnitOfWork, proposal_id: uuid.UUID) -> Proposal:
    proposal = await uow.session.get(Proposal, proposal_id, with_for_update=True)
    if proposal is None:
        raise Problem(404, "Proposal not found", f"no proposal with id {proposal_id}")
    return proposal


async def respond(uow: UnitOfWork, proposal: Proposal, accept: bool) -> Assignment | None:
    """proposed → accepted (and confirmed) or declined; an overdue proposal has expired."""
    now = datetime.now(UTC)
    task = await get_task(uow, proposal.task_id, for_update=True)
    if proposal.status == PROPOSED and proposal.expires_at <= now:
        await expire_overdue(uow, now)
    if proposal.status != PROPOSED:
        raise Problem(409, "Already answered", f"proposal {proposal.id} is {proposal.status}")
    proposal.responded_at = now
    if not accept:
        proposal.status = DECLINED
        uow.session.add(proposal)
        await uow.emit(ProposalDeclined(**_fields(proposal, task)), subject=str(task.id))
        return None
    proposal.status = ACCEPTED
    uow.session.add(proposal)
    await uow.session.flush()  # the proposal's own place is no longer "proposed"
    volunteer = await assignments.volunteer_for_update(uow, proposal.volunteer_id)
    assignment = await assignments.confirm(uow, task, volunteer, proposal_id=proposal.id)
    await uow.emit(ProposalAccepted(**_fields(proposal, task)), subject=str(task.id))
    return assignment


async def respond_by_link(
    uow: UnitOfWork, secret: str, proposal_id: uuid.UUID, token: str, *, dry_run: bool = False
) -> tuple[Proposal, str]:
    """Verify a signed link (purpose, subject, single use) and apply its action."""
    try:
        claims = verify_link_token(secret, token, purpose=LINK_PURPOSE)
    except InvalidLink as error:
        raise Problem(403, "Invalid link", f"{error} (link nieważny)") from error
    if claims.subject != str(proposal_id):
        raise Problem(403, "Invalid link", "the link was made for another proposal")
    action = str(claims.extra.get("action"))
    if action not in ("accept", "decline"):
        raise Problem(403, "Invalid link", "the link names no action")
    if await uow.session.get(UsedLinkToken, claims.jti) is not None:
        raise Problem(409, "Link already used", "this link was already used (link już użyty)")
    proposal = await get_proposal(uow, proposal_id)
    if dry_run:
        return proposal, action
    uow.session.add(UsedLinkToken(jti=claims.jti, used_at=datetime.now(UTC)))
    await respond(uow, proposal, accept=action == "accept")
    return proposal, action


async def list_for_volunteer(
    uow: UnitOfWork, volunteer_id: uuid.UUID, limit: int, offset: int
) -> list[Proposal]:
    query = (
        select(Proposal)
        .where(Proposal.volunteer_id == volunteer_id)
        .order_by(col(Proposal.created_at).desc(), col(Proposal.id))
        .limit(limit)
        .offset(offset)
    )
    return list((await uow.session.exec(query)).all())
