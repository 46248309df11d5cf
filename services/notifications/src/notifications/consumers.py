"""The events notifications consumes, each mapped to its use case.

The handlers need the service's settings and templates, so the table is built per service
(``build_event_handlers``) rather than at import time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from notifications import branches, contacts, erasure, messages, reminders, shifts, tasks
from notifications import contracts as c
from notifications.notifier import Notifier
from notifications.tables import Task
from shared.cloudevents import CloudEvent
from shared.consumer import EventHandlers
from shared.staff_scope import StaffScope
from shared.topology import Binding, exchange_for
from shared.unit_of_work import UnitOfWork

STAFF_SCOPE = StaffScope("notifications")


def _occurred_at(event: CloudEvent) -> datetime:
    return event.time or datetime.now(UTC)


def build_event_handlers(notifier: Notifier) -> EventHandlers:
    """Each message's cause is the fact it tells of (``application.accepted:<id>``), so even
    a copy of an event under another id makes no second message; a task's changes, which
    may come many times, are told once per event."""
    table = EventHandlers()

    console = notifier.settings.console_public_url.rstrip("/")  # links into the console

    def on(
        event_type: str, model: type[BaseModel]
    ) -> Callable[[Callable[[UnitOfWork, CloudEvent, Any], Awaitable[None]]], Any]:
        return table.on(event_type, model)

    # -- people ------------------------------------------------------------------------

    @on(c.matching("volunteer.contact.changed.v1"), c.VolunteerContact)
    async def contact_changed(uow: UnitOfWork, e: CloudEvent, d: c.VolunteerContact) -> None:
        await contacts.record_volunteer_contact(uow, d, occurred_at=_occurred_at(e))

    @on(c.matching("volunteer.erased.v1"), c.VolunteerErased)
    async def erased(uow: UnitOfWork, e: CloudEvent, d: c.VolunteerErased) -> None:
        await erasure.erase_volunteer(uow, d.volunteer_id)

    @on(c.registry("coordinator.assigned.v1"), c.CoordinatorFacts)
    async def coordinator_assigned(uow: UnitOfWork, e: CloudEvent, d: c.CoordinatorFacts) -> None:
        await contacts.record_staff(
            uow, role="coordinator", staff_id=d.staff_id, branch_id=d.branch_id,
            branch_code=d.code, name=d.name, email=d.email, language=d.language,
            subject=d.subject, occurred_at=_occurred_at(e),
        )  # fmt: skip

    @on(c.registry("coordinator.unassigned.v1"), c.CoordinatorFacts)
    async def coordinator_unassigned(uow: UnitOfWork, e: CloudEvent, d: c.CoordinatorFacts) -> None:
        await contacts.remove_staff(
            uow, role="coordinator", staff_id=d.staff_id, branch_code=d.code
        )

    @on(c.registry("trainer.assigned.v1"), c.TrainerFacts)
    async def trainer_assigned(uow: UnitOfWork, e: CloudEvent, d: c.TrainerFacts) -> None:
        await contacts.record_staff(
            uow, role="trainer", staff_id=d.trainer_id, branch_id=d.branch_id,
            branch_code=d.code, name=d.name, email=d.email, language=d.language,
            subject=d.subject, occurred_at=_occurred_at(e),
        )  # fmt: skip

    @on(c.registry("trainer.unassigned.v1"), c.TrainerFacts)
    async def trainer_unassigned(uow: UnitOfWork, e: CloudEvent, d: c.TrainerFacts) -> None:
        await contacts.remove_staff(uow, role="trainer", staff_id=d.trainer_id, branch_code=d.code)

    @on(c.registry("staff.erased.v1"), c.StaffErasedFacts)
    async def staff_erased(uow: UnitOfWork, e: CloudEvent, d: c.StaffErasedFacts) -> None:
        await erasure.forget_staff(uow, role="coordinator", staff_id=d.staff_id)

    @on(c.registry("trainer.erased.v1"), c.TrainerErasedFacts)
    async def trainer_erased(uow: UnitOfWork, e: CloudEvent, d: c.TrainerErasedFacts) -> None:
        await erasure.forget_staff(uow, role="trainer", staff_id=d.trainer_id)

    @on(c.registry("staff.subject.changed.v1"), c.StaffSubjectFacts)
    async def staff_subject(uow: UnitOfWork, e: CloudEvent, d: c.StaffSubjectFacts) -> None:
        await contacts.record_staff_subject(
            uow, role="coordinator", staff_id=d.staff_id, subject=d.subject,
            occurred_at=_occurred_at(e),
        )  # fmt: skip

    @on(c.registry("trainer.subject.changed.v1"), c.TrainerSubjectFacts)
    async def trainer_subject(uow: UnitOfWork, e: CloudEvent, d: c.TrainerSubjectFacts) -> None:
        await contacts.record_staff_subject(
            uow, role="trainer", staff_id=d.trainer_id, subject=d.subject,
            occurred_at=_occurred_at(e),
        )  # fmt: skip

    def branch_told(fact: str) -> None:
        @on(c.registry(fact), c.BranchFacts)
        async def handle(uow: UnitOfWork, e: CloudEvent, d: c.BranchFacts) -> None:
            await branches.record_branch(uow, d, occurred_at=_occurred_at(e))

    branch_told("branch.registered.v1")
    branch_told("branch.updated.v1")

    @on(c.registry("visit.recorded.v1"), c.VisitFacts)
    async def visit_recorded(uow: UnitOfWork, e: CloudEvent, d: c.VisitFacts) -> None:
        await reminders.schedule_follow_up(uow, d)

    # -- tasks -------------------------------------------------------------------------

    @on(c.matching("task.published.v1"), c.TaskFacts)
    async def task_published(uow: UnitOfWork, e: CloudEvent, d: c.TaskFacts) -> None:
        await tasks.record_task(uow, notifier, e.id, d, occurred_at=_occurred_at(e))

    @on(c.matching("task.changed.v1"), c.TaskFacts)
    async def task_changed(uow: UnitOfWork, e: CloudEvent, d: c.TaskFacts) -> None:
        await tasks.record_task(uow, notifier, e.id, d, occurred_at=_occurred_at(e))

    @on(c.matching("task.cancelled.v1"), c.TaskFacts)
    async def task_cancelled(uow: UnitOfWork, e: CloudEvent, d: c.TaskFacts) -> None:
        await tasks.cancel_task(uow, notifier, e.id, d, occurred_at=_occurred_at(e))

    # -- applications and proposals ----------------------------------------------------

    @on(c.matching("application.submitted.v1"), c.ApplicationFacts)
    async def application_submitted(uow: UnitOfWork, e: CloudEvent, d: c.ApplicationFacts) -> None:
        task = await uow.session.get(Task, d.task_id)
        await messages.notify_staff(
            uow, notifier, cause=f"application.submitted:{d.application_id}",
            role="coordinator", branch_code=d.branch_code,
            template="application_submitted",
            params={"task_title": task.title if task else "—", "branch_code": d.branch_code},
        )  # fmt: skip

    @on(c.matching("application.withdrawn.v1"), c.ApplicationFacts)
    async def application_withdrawn(uow: UnitOfWork, e: CloudEvent, d: c.ApplicationFacts) -> None:
        task = await uow.session.get(Task, d.task_id)
        await messages.notify_staff(
            uow, notifier, cause=f"application.withdrawn:{d.application_id}",
            role="coordinator", branch_code=d.branch_code,
            template="application_withdrawn", about_volunteer=d.volunteer_id,
            params={
                "task_title": task.title if task else "—", "branch_code": d.branch_code,
                "task_url": f"{console}/koordynator/zadania/{d.task_id}",
            },
        )  # fmt: skip

    def to_volunteer(fact: str, template: str) -> None:
        @on(c.matching(fact), c.ApplicationFacts)
        async def handle(uow: UnitOfWork, e: CloudEvent, d: c.ApplicationFacts) -> None:
            await messages.notify_about_task(
                uow, notifier, f"{fact}:{d.application_id}", template=template,
                volunteer_id=d.volunteer_id,
                task_id=d.task_id, branch_code=d.branch_code,
            )  # fmt: skip

    to_volunteer("application.accepted.v1", "application_accepted")
    to_volunteer("application.rejected.v1", "application_rejected")
    to_volunteer("application.promoted.v1", "application_promoted")

    @on(c.matching("proposal.made.v1"), c.ProposalFacts)
    async def proposal_made(uow: UnitOfWork, e: CloudEvent, d: c.ProposalFacts) -> None:
        await messages.notify_proposal(uow, notifier, f"proposal.made:{d.proposal_id}", d)

    # -- assignments, hours, certificates ----------------------------------------------

    @on(c.matching("assignment.confirmed.v1"), c.AssignmentFacts)
    async def assignment_confirmed(uow: UnitOfWork, e: CloudEvent, d: c.AssignmentFacts) -> None:
        await tasks.confirm_assignment(
            uow, notifier, f"assignment.confirmed:{d.assignment_id}", d, occurred_at=_occurred_at(e)
        )

    def assignment_ended(fact: str, status: str) -> None:
        @on(c.matching(fact), c.AssignmentFacts)
        async def handle(uow: UnitOfWork, e: CloudEvent, d: c.AssignmentFacts) -> None:
            await tasks.end_assignment(
                uow,
                notifier,
                f"{fact}:{d.assignment_id}",
                d,
                status=status,
                occurred_at=_occurred_at(e),
            )

    assignment_ended("assignment.cancelled.v1", "cancelled")
    assignment_ended("assignment.completed.v1", "completed")
    assignment_ended("assignment.no_show.v1", "no_show")

    # -- a volunteer's dates: reminders, excuses, milestones -----------------------------

    @on(c.matching("shift.planned.v1"), c.ShiftFacts)
    async def shift_planned(uow: UnitOfWork, e: CloudEvent, d: c.ShiftFacts) -> None:
        await shifts.plan_shift(uow, notifier, d)

    @on(c.matching("shift.excused.v1"), c.ShiftFacts)
    async def shift_excused(uow: UnitOfWork, e: CloudEvent, d: c.ShiftFacts) -> None:
        await shifts.excuse_shift(uow, notifier, d, f"shift.excused:{d.occurrence_id}")

    @on(c.matching("shift.promoted.v1"), c.ShiftFacts)
    async def shift_promoted(uow: UnitOfWork, e: CloudEvent, d: c.ShiftFacts) -> None:
        await shifts.promote_shift(uow, notifier, d, f"shift.promoted:{d.occurrence_id}")

    @on(c.matching("shift.declined.v1"), c.ShiftFacts)
    async def shift_declined(uow: UnitOfWork, e: CloudEvent, d: c.ShiftFacts) -> None:
        await shifts.cancel_shift(uow, notifier, d)

    @on(c.matching("shift.cancelled.v1"), c.ShiftFacts)
    async def shift_cancelled(uow: UnitOfWork, e: CloudEvent, d: c.ShiftFacts) -> None:
        await shifts.cancel_shift(uow, notifier, d)

    @on(c.matching("milestone.reached.v1"), c.MilestoneFacts)
    async def milestone_reached(uow: UnitOfWork, e: CloudEvent, d: c.MilestoneFacts) -> None:
        await shifts.thank_for_milestone(uow, notifier, d)

    @on(c.matching("hours.approved.v1"), c.HoursFacts)
    async def hours_approved(uow: UnitOfWork, e: CloudEvent, d: c.HoursFacts) -> None:
        await messages.notify_about_task(
            uow, notifier, f"hours.approved:{d.entry_id}", template="hours_approved",
            volunteer_id=d.volunteer_id,
            task_id=d.task_id, branch_code=d.branch_code,
            extra={"hours": f"{d.hours.normalize():f}", "worked_on": d.worked_on},
        )  # fmt: skip

    @on(c.matching("certificate.issued.v1"), c.CertificateFacts)
    async def certificate_issued(uow: UnitOfWork, e: CloudEvent, d: c.CertificateFacts) -> None:
        await messages.notify_volunteer(
            uow, notifier, cause=f"certificate.issued:{d.certificate_id}",
            volunteer_id=d.volunteer_id,
            template="certificate_issued", branch_code=d.branch_code,
            params={"branch_code": d.branch_code},
        )  # fmt: skip

    # -- references (opinie): the coordinator writes, the volunteer downloads ------------

    @on(c.matching("reference.requested.v1"), c.ReferenceFacts)
    async def reference_requested(uow: UnitOfWork, e: CloudEvent, d: c.ReferenceFacts) -> None:
        await messages.notify_staff(
            uow, notifier, cause=f"reference.requested:{d.reference_id}",
            role="coordinator", branch_code=d.branch_code,
            template="reference_requested", about_volunteer=d.volunteer_id,
            params={
                "branch_code": d.branch_code, "references_url": f"{console}/koordynator/opinie",
            },
        )  # fmt: skip

    @on(c.matching("reference.written.v1"), c.ReferenceFacts)
    async def reference_written(uow: UnitOfWork, e: CloudEvent, d: c.ReferenceFacts) -> None:
        await messages.notify_volunteer(
            uow, notifier, cause=f"reference.written:{d.reference_id}",
            volunteer_id=d.volunteer_id, template="reference_ready", branch_code=d.branch_code,
            params={
                "branch_code": d.branch_code,
                "agreements_url": f"{console}/wolontariusz/porozumienia",
            },
        )  # fmt: skip

    # -- child-protection checks: the branch renews them ---------------------------------

    def check_told(fact: str, template: str) -> None:
        @on(c.matching(fact), c.ChildProtectionCheckFacts)
        async def handle(uow: UnitOfWork, e: CloudEvent, d: c.ChildProtectionCheckFacts) -> None:
            # No name in the message: the link opens the volunteer's page for the signed-in
            # coordinator of the branch.
            await messages.notify_staff(
                uow, notifier, cause=f"{fact}:{d.check_id}",
                role="coordinator", branch_code=d.branch_code, template=template,
                params={
                    "branch_code": d.branch_code, "expires_on": d.expires_on,
                    "volunteer_url": f"{console}/koordynator/wolontariusze/{d.volunteer_id}",
                },
            )  # fmt: skip

    check_told("child_protection_check.expiring.v1", "child_protection_expiring")
    check_told("child_protection_check.expired.v1", "child_protection_expired")

    # Who coordinates or trains at which branch: the branches staff tokens act for.
    return STAFF_SCOPE.follow(table)


def bindings(table: EventHandlers) -> tuple[Binding, ...]:
    return tuple(Binding(exchange_for(event_type), event_type) for event_type in table.event_types)
