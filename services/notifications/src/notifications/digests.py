"""The coordinators' daily digest: messages held for it, and the digest sent at 07:00.

A digest gathers messages that came from many events, each in its own trace: composing it
is a span of its own (in the trace of the reminder that fires it, and its e-mail's send in
turn in the digest's) with a span link to the trace every held message was written in.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from opentelemetry.trace import Link, SpanKind, get_current_span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from notifications.domain.rules import idempotency_key, next_digest_at
from notifications.message_queue import log_delivery, queue_message
from notifications.notifier import REMINDERS, Notifier
from notifications.tables import Message, Staff, StaffPreference
from shared.observability.tracing import TRACEPARENT, TRACESTATE, configure_tracing
from shared.unit_of_work import UnitOfWork

_propagator = TraceContextTextMapPropagator()


async def prefers_digest(uow: UnitOfWork, staff_id: uuid.UUID) -> bool:
    preference = await uow.session.get(StaffPreference, staff_id)
    return preference is not None and preference.daily_digest


async def schedule_digest(uow: UnitOfWork, notifier: Notifier, staff_id: uuid.UUID) -> None:
    """One pending digest per coordinator, at the next 07:00 in Warsaw."""
    due_at = next_digest_at(notifier.clock.now())
    connection = await uow.session.connection()
    await connection.execute(
        insert(REMINDERS)
        .values(
            key=f"daily_digest:{staff_id}",
            kind="daily_digest",
            due_at=due_at,
            status="pending",
            volunteer_id=None,
            subject_id=staff_id,
            payload={},
        )
        .on_conflict_do_update(
            index_elements=["key"],
            set_={"due_at": due_at, "status": "pending"},
            where=REMINDERS.c.status != "pending",
        )
    )


async def send_digest(uow: UnitOfWork, notifier: Notifier, staff_id: uuid.UUID, cause: str) -> None:
    ref = f"staff:{staff_id}"
    held = list(
        (
            await uow.session.exec(
                select(Message)
                .where(Message.recipient_ref == ref, Message.status == "held")
                .order_by(col(Message.created_at))
                .with_for_update()
            )
        ).all()
    )
    if not held:
        return
    staff = (await uow.session.exec(select(Staff).where(Staff.staff_id == staff_id))).first()
    if staff is None:  # no longer a coordinator anywhere
        for message in held:
            message.status = "cancelled"
            uow.session.add(message)
            await log_delivery(uow, message.id, "cancelled", "the coordinator was unassigned")
        return
    items = [f"{message.branch_code}: {message.subject}" for message in held]
    rendered = notifier.renderer.render(
        "daily_digest", staff.language, {"name": staff.name, "items": items}
    )
    with digest_span(held):  # the digest's message is written in it, so its send follows
        digest_id = await queue_message(
            uow, key=idempotency_key(cause, ref, "email"), channel="email", recipient_ref=ref,
            address=staff.email, subject=rendered.subject, body=rendered.body,
            template="daily_digest", language=staff.language, volunteer_id=None,
            branch_code=None,
        )  # fmt: skip
    for message in held:
        message.status = "digested"
        uow.session.add(message)
        await log_delivery(uow, message.id, "digested", f"in the daily digest {digest_id}")


def digest_span(held: Sequence[Message]) -> AbstractContextManager[Any]:
    """Composing a digest, linked to the trace of each message it gathers (the span that
    held it); nothing when tracing is off. Ids only: no address or text in the span."""
    provider = configure_tracing("notifications")  # the process's provider, if tracing is on
    if provider is None:
        return nullcontext()
    links = []
    for message in held:
        carrier = {
            name: value
            for name, value in (
                (TRACEPARENT, message.traceparent),
                (TRACESTATE, message.tracestate),
            )
            if value
        }
        context = get_current_span(_propagator.extract(carrier)).get_span_context()
        if context.is_valid:
            links.append(Link(context, {"notifications.message_id": str(message.id)}))
    return provider.get_tracer("notifications.digests").start_as_current_span(
        "compose daily digest",
        kind=SpanKind.INTERNAL,
        links=links,
        attributes={"notifications.digest_items": len(held)},
    )
