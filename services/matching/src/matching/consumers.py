"""The events matching consumes, each mapped to its use case."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from matching import branches, kiosks, task_changes, volunteers
from matching.contracts import (
    CALENDAR_EVENT_CANCELLED,
    CALENDAR_EVENT_SCHEDULED,
    PORTAL_VOLUNTEER_ERASURE_REQUESTED,
    PORTAL_VOLUNTEER_REGISTERED,
    PORTAL_VOLUNTEER_UPDATED,
    CalendarEventCancelled,
    CalendarEventScheduled,
    PortalErasureRequested,
    PortalVolunteer,
)
from matching.readers import (
    BRANCH_ENROLLED,
    BRANCH_REGISTERED,
    BRANCH_UPDATED,
    BRANCH_WITHDRAWN,
    EDITION_CLOSED,
    EDITION_OPENED,
    BranchFacts,
    EditionFacts,
    EnrolmentFacts,
)
from shared.cloudevents import CloudEvent
from shared.consumer import EventHandlers
from shared.staff_scope import (
    STAFF_ERASED,
    TRAINER_ERASED,
    StaffErasedFacts,
    StaffScope,
    TrainerErasedFacts,
)
from shared.topology import EVENTS_EXCHANGE, INBOUND_EXCHANGE, Binding
from shared.unit_of_work import UnitOfWork

event_handlers = EventHandlers()

# The whole portal and calendar namespaces are bound, so an unknown type is dead-lettered
# with its reason instead of vanishing unrouted.
INBOUND_BINDINGS = (
    Binding(INBOUND_EXCHANGE, "pl.waw.portal.#"),
    Binding(INBOUND_EXCHANGE, "pl.waw.calendar.#"),
)


def _occurred_at(event: CloudEvent) -> datetime:
    return event.time or datetime.now(UTC)


async def on_volunteers(
    deliveries: Sequence[tuple[UnitOfWork, CloudEvent, PortalVolunteer]],
) -> None:
    """A run of registrations or updates: their profiles in one statement."""
    await volunteers.register_or_update_volunteers(
        [(uow, data, _occurred_at(event)) for uow, event, data in deliveries]
    )


@event_handlers.on(PORTAL_VOLUNTEER_REGISTERED, PortalVolunteer, together=on_volunteers)
async def on_volunteer_registered(
    uow: UnitOfWork, event: CloudEvent, data: PortalVolunteer
) -> None:
    await volunteers.register_or_update_volunteer(uow, data, occurred_at=_occurred_at(event))


@event_handlers.on(PORTAL_VOLUNTEER_UPDATED, PortalVolunteer, together=on_volunteers)
async def on_volunteer_updated(uow: UnitOfWork, event: CloudEvent, data: PortalVolunteer) -> None:
    await volunteers.register_or_update_volunteer(uow, data, occurred_at=_occurred_at(event))


@event_handlers.on(PORTAL_VOLUNTEER_ERASURE_REQUESTED, PortalErasureRequested)
async def on_erasure_requested(
    uow: UnitOfWork, event: CloudEvent, data: PortalErasureRequested
) -> None:
    await volunteers.erase_volunteer(uow, data)


@event_handlers.on(CALENDAR_EVENT_SCHEDULED, CalendarEventScheduled)
async def on_calendar_event_scheduled(
    uow: UnitOfWork, event: CloudEvent, data: CalendarEventScheduled
) -> None:
    await task_changes.schedule_from_calendar(uow, data, _occurred_at(event))


@event_handlers.on(CALENDAR_EVENT_CANCELLED, CalendarEventCancelled)
async def on_calendar_event_cancelled(
    uow: UnitOfWork, event: CloudEvent, data: CalendarEventCancelled
) -> None:
    await task_changes.cancel_from_calendar(uow, data, _occurred_at(event))


# -- matching's copy of the registry ----------------------------------------------------


@event_handlers.on(BRANCH_REGISTERED, BranchFacts)
async def on_branch_registered(uow: UnitOfWork, event: CloudEvent, data: BranchFacts) -> None:
    await branches.upsert_branch(uow, data, _occurred_at(event))


@event_handlers.on(BRANCH_UPDATED, BranchFacts)
async def on_branch_updated(uow: UnitOfWork, event: CloudEvent, data: BranchFacts) -> None:
    await branches.upsert_branch(uow, data, _occurred_at(event))


@event_handlers.on(EDITION_OPENED, EditionFacts)
async def on_edition_opened(uow: UnitOfWork, event: CloudEvent, data: EditionFacts) -> None:
    await branches.record_edition(uow, data, closed=False)


@event_handlers.on(EDITION_CLOSED, EditionFacts)
async def on_edition_closed(uow: UnitOfWork, event: CloudEvent, data: EditionFacts) -> None:
    await branches.record_edition(uow, data, closed=True)


@event_handlers.on(BRANCH_ENROLLED, EnrolmentFacts)
async def on_branch_enrolled(uow: UnitOfWork, event: CloudEvent, data: EnrolmentFacts) -> None:
    await branches.record_enrolment(uow, data, _occurred_at(event), enrolled=True)


@event_handlers.on(BRANCH_WITHDRAWN, EnrolmentFacts)
async def on_branch_withdrawn(uow: UnitOfWork, event: CloudEvent, data: EnrolmentFacts) -> None:
    await branches.record_enrolment(uow, data, _occurred_at(event), enrolled=False)


# Who coordinates or trains at which branch: the branches staff tokens act for.
STAFF_SCOPE = StaffScope("matching")
STAFF_SCOPE.follow(event_handlers)


# An erased coordinator or trainer is forgotten by the kiosks they opened or closed too.
async def _forget_kiosk_coordinator(uow: UnitOfWork, event: CloudEvent) -> None:
    await kiosks.forget_staff(uow, StaffErasedFacts.model_validate(event.data).staff_id)


async def _forget_kiosk_trainer(uow: UnitOfWork, event: CloudEvent) -> None:
    await kiosks.forget_staff(uow, TrainerErasedFacts.model_validate(event.data).trainer_id)


event_handlers.precede(STAFF_ERASED, _forget_kiosk_coordinator, StaffErasedFacts)
event_handlers.precede(TRAINER_ERASED, _forget_kiosk_trainer, TrainerErasedFacts)


# Integration events are bound one exact type at a time; inbound namespaces as a whole.
BINDINGS = INBOUND_BINDINGS + tuple(
    Binding(EVENTS_EXCHANGE, event_type)
    for event_type in event_handlers.event_types
    if event_type.startswith("pl.waw.volunteering.")
)
