"""The queue of messages to send and each message's history.

Each message row is the intent to send, keyed by (cause, recipient, channel), so a
redelivered event or a re-fired reminder never makes a second one; the sender
(``sender.py``) delivers the queued rows afterwards and writes their history here."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from notifications.events import MessageSent
from notifications.notifier import LOG, MESSAGES
from notifications.redaction import without_contacts, without_links
from shared.observability.tracing import TRACEPARENT, TRACESTATE, trace_extensions
from shared.unit_of_work import UnitOfWork


async def queue_message(
    uow: UnitOfWork,
    *,
    key: str,
    channel: str,
    template: str,
    language: str,
    recipient_ref: str,
    volunteer_id: uuid.UUID | None,
    branch_code: str | None,
    address: str | None,
    subject: str | None,
    body: str,
    held: bool = False,
) -> uuid.UUID | None:
    """Record the intent to send; None when a message with this key already exists.
    An in-app message is delivered by being stored; a held one waits for a digest."""
    connection = await uow.session.connection()
    in_app = channel == "in_app"
    if in_app:
        # Delivered by being stored and read inside the console: the copy needs no link
        # that opens the volunteer's pages.
        body = without_links(body) or ""
    message_id = uuid.uuid4()
    # The span applying the event (or firing the reminder): the send will continue it.
    trace_context = trace_extensions()
    inserted = await connection.execute(
        insert(MESSAGES)
        .values(
            id=message_id,
            idempotency_key=key,
            channel=channel,
            template=template,
            language=language,
            recipient_ref=recipient_ref,
            volunteer_id=volunteer_id,
            branch_code=branch_code,
            address=address,
            subject=subject,
            body=body,
            status="sent" if in_app else "held" if held else "queued",
            attempts=0,
            created_at=sa.func.now(),
            sent_at=sa.func.now() if in_app else None,
            traceparent=trace_context.get(TRACEPARENT),
            tracestate=trace_context.get(TRACESTATE),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(MESSAGES.c.id)
    )
    if inserted.first() is None:
        return None
    await log_delivery(uow, message_id, "held" if held else "queued", None)
    if in_app:
        await log_delivery(uow, message_id, "sent", "in the inbox")
        await uow.emit(
            MessageSent(
                message_id=message_id,
                channel="in_app",
                template=template,
                recipient_ref=recipient_ref,
            ),
            subject=str(message_id),
        )
    return message_id


async def log_delivery(
    uow: UnitOfWork, message_id: uuid.UUID, status: str, detail: str | None
) -> None:
    """One line of a message's history; addresses and numbers in ``detail`` are replaced."""
    connection = await uow.session.connection()
    await connection.execute(
        LOG.insert().values(
            message_id=message_id, at=sa.func.now(), status=status, detail=without_contacts(detail)
        )
    )
