"""Notifications's use cases: one function per consumed event or command.

A consumed event becomes messages in the same transaction as its inbox record: each
message row is the intent to send, keyed by (cause, recipient, channel), so a redelivered
event or a re-fired reminder never makes a second one. The sender (``sender.py``) delivers
the queued rows afterwards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from notifications import contracts as c
from notifications.clock import Clock
from notifications.domain.rules import (
    DIGESTIBLE,
    SMS_TEMPLATES,
    WARSAW,
    idempotency_key,
    is_minor_copy_needed,
    next_digest_at,
    reminder_due,
    unfilled_check_due,
)
from notifications.events import MessageSent
from notifications.redaction import without_contacts, without_links
from notifications.rendering import Renderer
from notifications.settings import NotificationsSettings
from notifications.tables import (
    SCHEMA,
    Assignment,
    ErasedVolunteer,
    Message,
    Preference,
    Reminder,
    Staff,
    StaffPreference,
    Task,
    VolunteerContact,
    metadata,
)
from shared.erasure import purge_outbox
from shared.signed_links import sign_link_token
from shared.unit_of_work import UnitOfWork


def _table(name: str) -> sa.Table:
    return metadata.tables[f"{SCHEMA}.{name}"]


MESSAGES = _table("messages")
LOG = _table("delivery_log")
REMINDERS = _table("reminders")
ERASED = _table("erased_volunteers")
CONTACTS = _table("volunteer_contacts")
PREFERENCES = _table("preferences")
STAFF_PREFERENCES = _table("staff_preferences")

FOLLOW_UP_HOUR = time(8, 0)


@dataclass(frozen=True)
class Notifier:
    """What the use cases need besides the unit of work: settings, templates, the clock."""

    settings: NotificationsSettings
    renderer: Renderer
    clock: Clock


async def _serialize(uow: UnitOfWork, kind: str, entity: uuid.UUID) -> None:
    """Events about one task (or one person) may be handled at the same time by concurrent
    consumers; a transaction-scoped advisory lock makes them take turns, so each sees what
    the other committed. Order when both are taken: task, then person."""
    connection = await uow.session.connection()
    await connection.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"notifications:{kind}:{entity}"},
    )


# -- contacts ---------------------------------------------------------------------------


async def record_volunteer_contact(
    uow: UnitOfWork, data: c.VolunteerContact, *, occurred_at: datetime
) -> None:
    """Keep the newest copy; a person who was forgotten is not brought back."""
    session = uow.session
    await _serialize(uow, "person", data.volunteer_id)
    if await session.get(ErasedVolunteer, data.volunteer_id) is not None:
        return
    contact = await session.get(VolunteerContact, data.volunteer_id, with_for_update=True)
    if contact is not None and occurred_at < contact.changed_at:
        return
    contact = contact or VolunteerContact(volunteer_id=data.volunteer_id, changed_at=occurred_at)
    contact.first_name = data.first_name
    contact.email = data.email
    contact.phone = data.phone
    contact.consent_email = data.consents.email
    contact.consent_sms = data.consents.sms
    contact.language = data.language if data.language in ("pl", "en") else "pl"
    contact.guardian = data.guardian.model_dump() if data.guardian else None
    contact.changed_at = occurred_at
    session.add(contact)


async def erase_volunteer(uow: UnitOfWork, volunteer_id: uuid.UUID) -> None:
    """Forget the person: contact data, preferences, inbox and the texts and addresses of
    messages to them (and to their guardian) go; queued messages and reminders are cancelled;
    outbox rows carrying their contact data go; the delivery log stays, anonymous and
    without the providers' answers."""
    connection = await uow.session.connection()
    # Reminders first: the sender locks a reminder row, then the person.
    await connection.execute(
        REMINDERS.update()
        .where(REMINDERS.c.volunteer_id == volunteer_id, REMINDERS.c.status == "pending")
        .values(status="cancelled")
    )
    await _serialize(uow, "person", volunteer_id)
    # Events about the person that repeat their contact data (a provider's answer naming
    # the address) leave the outbox now, not when it is trimmed after 72 h.
    contact = await uow.session.get(VolunteerContact, volunteer_id)
    if contact is not None:
        guardian = contact.guardian or {}
        await purge_outbox(
            connection,
            SCHEMA,
            identifiers=[str(volunteer_id)],
            personal=[
                contact.first_name,
                contact.email,
                contact.phone,
                guardian.get("name"),
                guardian.get("email"),
            ],
        )
    await connection.execute(
        insert(ERASED)
        .values(volunteer_id=volunteer_id, erased_at=datetime.now(UTC))
        .on_conflict_do_nothing()
    )
    await connection.execute(CONTACTS.delete().where(CONTACTS.c.volunteer_id == volunteer_id))
    await connection.execute(PREFERENCES.delete().where(PREFERENCES.c.volunteer_id == volunteer_id))
    cancelled = await connection.execute(
        MESSAGES.update()
        .where(MESSAGES.c.volunteer_id == volunteer_id, MESSAGES.c.status == "queued")
        .values(status="cancelled", lease_until=None)
        .returning(MESSAGES.c.id)
    )
    for (message_id,) in cancelled:
        await log_delivery(uow, message_id, "cancelled", "the person asked to be forgotten")
    await connection.execute(
        MESSAGES.delete().where(
            MESSAGES.c.volunteer_id == volunteer_id, MESSAGES.c.channel == "in_app"
        )
    )
    await connection.execute(
        MESSAGES.update()
        .where(MESSAGES.c.volunteer_id == volunteer_id)
        .values(address=None, subject=None, body=None, last_answer=None, claim_token=None)
    )
    # The log keeps what happened and when; what the providers said about them goes.
    await connection.execute(
        LOG.update()
        .where(
            LOG.c.message_id.in_(
                sa.select(MESSAGES.c.id).where(MESSAGES.c.volunteer_id == volunteer_id)
            ),
            LOG.c.status.in_(("sent", "retry", "failed")),
        )
        .values(detail=None)
    )
    await connection.execute(
        REMINDERS.update()
        .where(REMINDERS.c.volunteer_id == volunteer_id, REMINDERS.c.status == "pending")
        .values(status="cancelled")
    )


async def record_staff(
    uow: UnitOfWork,
    *,
    role: str,
    staff_id: uuid.UUID,
    branch_id: uuid.UUID,
    branch_code: str,
    name: str,
    email: str,
    language: str,
    subject: str | None,
    occurred_at: datetime,
) -> None:
    session = uow.session
    staff = await session.get(Staff, (staff_id, role, branch_code), with_for_update=True)
    if staff is not None and occurred_at < staff.changed_at:
        return
    staff = staff or Staff(
        staff_id=staff_id,
        role=role,
        branch_code=branch_code,
        branch_id=branch_id,
        name=name,
        email=email,
        changed_at=occurred_at,
    )
    staff.branch_id, staff.name, staff.email = branch_id, name, email
    staff.language, staff.subject, staff.changed_at = language, subject, occurred_at
    session.add(staff)


async def record_staff_subject(
    uow: UnitOfWork, *, role: str, staff_id: uuid.UUID, subject: str | None, occurred_at: datetime
) -> None:
    """registry's staff / trainer subject.changed: the person's rows at every branch take the
    new user id, unless a newer event already told them more."""
    rows = await uow.session.exec(
        select(Staff)
        .where(Staff.staff_id == staff_id, Staff.role == role, col(Staff.changed_at) <= occurred_at)
        .with_for_update()
    )
    for staff in rows.all():
        staff.subject, staff.changed_at = subject, occurred_at
        uow.session.add(staff)


async def coordinator_by_subject(uow: UnitOfWork, subject: str) -> uuid.UUID | None:
    """The staff id of the coordinator whose tokens carry ``subject`` (None if nobody's)."""
    query = (
        select(Staff.staff_id)
        .where(Staff.subject == subject, Staff.role == "coordinator")
        # Registry keeps user ids unique; should events about a moved id cross, the latest wins.
        .order_by(col(Staff.changed_at).desc())
        .limit(1)
    )
    return (await uow.session.exec(query)).first()


async def remove_staff(
    uow: UnitOfWork, *, role: str, staff_id: uuid.UUID, branch_code: str
) -> None:
    staff = await uow.session.get(Staff, (staff_id, role, branch_code))
    if staff is not None:
        await uow.session.delete(staff)


async def forget_staff(uow: UnitOfWork, *, role: str, staff_id: uuid.UUID) -> None:
    """registry erased a coordinator or trainer: their rows at every branch, their choices,
    and the address and text of every message to them go; queued ones are cancelled.
    (The copy of their assignments forgets them in the same transaction: staff_scope.)"""
    connection = await uow.session.connection()
    staff = _table("staff")
    await connection.execute(
        staff.delete().where(staff.c.staff_id == staff_id, staff.c.role == role)
    )
    if role == "coordinator":
        await connection.execute(
            STAFF_PREFERENCES.delete().where(STAFF_PREFERENCES.c.staff_id == staff_id)
        )
    ref = f"staff:{staff_id}"
    await connection.execute(
        MESSAGES.update()
        .where(MESSAGES.c.recipient_ref == ref, MESSAGES.c.status.in_(("queued", "held")))
        .values(status="cancelled", lease_until=None)
    )
    mine = sa.select(MESSAGES.c.id).where(MESSAGES.c.recipient_ref == ref)
    await connection.execute(LOG.update().where(LOG.c.message_id.in_(mine)).values(detail=None))
    await connection.execute(
        MESSAGES.update()
        .where(MESSAGES.c.recipient_ref == ref)
        .values(address=None, subject=None, body=None, last_answer=None)
    )


# -- tasks and assignments ------------------------------------------------------------------


async def record_task(
    uow: UnitOfWork, notifier: Notifier, event_id: str, data: c.TaskFacts, *, occurred_at: datetime
) -> None:
    """task.published / task.changed: keep the task; a moved task moves its volunteers'
    reminders and tells them; the unfilled-places check follows the start."""
    session = uow.session
    await _serialize(uow, "task", data.task_id)
    task = await session.get(Task, data.task_id, with_for_update=True)
    if task is not None and occurred_at < task.changed_at:
        return
    task = task or Task(
        task_id=data.task_id,
        branch_id=data.branch_id,
        branch_code=data.branch_code,
        title=data.title,
        type=data.type,
        places=data.places,
        changed_at=occurred_at,
    )
    task.title, task.type, task.places = data.title, data.type, data.places
    task.starts_at, task.ends_at, task.changed_at = data.starts_at, data.ends_at, occurred_at
    session.add(task)
    if not task.cancelled:
        await _schedule_unfilled_check(uow, notifier, task)
    for assignment in await _confirmed_assignments(uow, task.task_id):
        if (assignment.starts_at, assignment.ends_at) == (data.starts_at, data.ends_at):
            continue
        # The shift moved (also when this is the first we hear of the task itself).
        assignment.starts_at, assignment.ends_at = data.starts_at, data.ends_at
        session.add(assignment)
        await _schedule_shift_reminder(uow, notifier, assignment)
        await notify_volunteer(
            uow,
            notifier,
            cause=event_id,
            volunteer_id=assignment.volunteer_id,
            template="shift_changed",
            branch_code=task.branch_code,
            params=_task_params(task, starts_at=data.starts_at, ends_at=data.ends_at),
        )


async def cancel_task(
    uow: UnitOfWork, notifier: Notifier, event_id: str, data: c.TaskFacts, *, occurred_at: datetime
) -> None:
    session = uow.session
    await record_task(uow, notifier, event_id, data, occurred_at=occurred_at)
    task = await session.get(Task, data.task_id)
    assert task is not None
    task.cancelled = True
    session.add(task)
    await _cancel_reminder(uow, f"task_unfilled:{task.task_id}")
    for assignment in await _confirmed_assignments(uow, task.task_id):
        assignment.status = "cancelled"
        session.add(assignment)
        await _cancel_reminder(uow, f"shift_reminder:{assignment.assignment_id}")
        await notify_volunteer(
            uow,
            notifier,
            cause=event_id,
            volunteer_id=assignment.volunteer_id,
            template="shift_cancelled",
            branch_code=task.branch_code,
            params={**_task_params(task), "reason": data.reason},
        )


async def confirm_assignment(
    uow: UnitOfWork,
    notifier: Notifier,
    event_id: str,
    data: c.AssignmentFacts,
    *,
    occurred_at: datetime,
) -> None:
    session = uow.session
    await _serialize(uow, "task", data.task_id)
    assignment = await session.get(Assignment, data.assignment_id, with_for_update=True)
    if assignment is not None:
        return  # already known (or already cancelled: a late confirmation changes nothing)
    task = await session.get(Task, data.task_id)
    starts_at, ends_at = data.starts_at, data.ends_at
    if task is not None and task.changed_at > occurred_at:
        starts_at, ends_at = task.starts_at, task.ends_at  # the task moved since
    assignment = Assignment(
        assignment_id=data.assignment_id,
        task_id=data.task_id,
        volunteer_id=data.volunteer_id,
        branch_id=data.branch_id,
        branch_code=data.branch_code,
        starts_at=starts_at,
        ends_at=ends_at,
        status="confirmed",
        changed_at=occurred_at,
    )
    session.add(assignment)
    await session.flush()
    await _schedule_shift_reminder(uow, notifier, assignment)
    await notify_volunteer(
        uow,
        notifier,
        cause=event_id,
        volunteer_id=data.volunteer_id,
        template="assignment_confirmed",
        branch_code=data.branch_code,
        params={
            **_task_params(task, branch_code=data.branch_code),
            "starts_at": starts_at,
            "ends_at": ends_at,
        },
    )


async def end_assignment(
    uow: UnitOfWork,
    notifier: Notifier,
    event_id: str,
    data: c.AssignmentFacts,
    *,
    status: str,
    occurred_at: datetime,
) -> None:
    """cancelled / completed / no_show: the reminder goes; the volunteer hears of a
    cancellation, the coordinators of a no-show."""
    session = uow.session
    await _serialize(uow, "task", data.task_id)
    assignment = await session.get(Assignment, data.assignment_id, with_for_update=True)
    already_ended = assignment is not None and assignment.status != "confirmed"
    assignment = assignment or Assignment(
        assignment_id=data.assignment_id,
        task_id=data.task_id,
        volunteer_id=data.volunteer_id,
        branch_id=data.branch_id,
        branch_code=data.branch_code,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        status=status,
        changed_at=occurred_at,
    )
    if not already_ended:
        assignment.status, assignment.changed_at = status, occurred_at
    session.add(assignment)
    await _cancel_reminder(uow, f"shift_reminder:{data.assignment_id}")
    task = await session.get(Task, data.task_id)
    params = {
        **_task_params(task, branch_code=data.branch_code),
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
    }
    if status == "cancelled" and not already_ended:
        await notify_volunteer(
            uow,
            notifier,
            cause=event_id,
            volunteer_id=data.volunteer_id,
            template="shift_cancelled",
            branch_code=data.branch_code,
            params={**params, "reason": None},
        )
    elif status == "no_show":
        await notify_staff(
            uow,
            notifier,
            cause=event_id,
            role="coordinator",
            branch_code=data.branch_code,
            template="no_show",
            params=params,
        )


# -- messages to volunteers ------------------------------------------------------------------


async def notify_about_task(
    uow: UnitOfWork,
    notifier: Notifier,
    event_id: str,
    *,
    template: str,
    volunteer_id: uuid.UUID,
    task_id: uuid.UUID,
    branch_code: str,
    extra: dict[str, Any] | None = None,
) -> None:
    task = await uow.session.get(Task, task_id)
    await notify_volunteer(
        uow,
        notifier,
        cause=event_id,
        volunteer_id=volunteer_id,
        template=template,
        branch_code=branch_code,
        params={**_task_params(task, branch_code=branch_code), **(extra or {})},
    )


async def notify_proposal(
    uow: UnitOfWork, notifier: Notifier, event_id: str, data: c.ProposalFacts
) -> None:
    """A proposal with accept / decline links that need no login (signed, single-use)."""
    settings = notifier.settings
    lifetime_s = max(int((data.expires_at - datetime.now(UTC)).total_seconds()), 60)

    def link(action: str) -> str:
        token = sign_link_token(
            settings.proposal_link_secret,
            purpose="proposal.respond",
            subject=str(data.proposal_id),
            lifetime_s=lifetime_s,
            action=action,
        )
        base = settings.console_public_url.rstrip("/")
        return f"{base}/wolontariusz/propozycje/{data.proposal_id}?action={action}&token={token}"

    await notify_about_task(
        uow,
        notifier,
        event_id,
        template="proposal_made",
        volunteer_id=data.volunteer_id,
        task_id=data.task_id,
        branch_code=data.branch_code,
        extra={
            "accept_url": link("accept"),
            "decline_url": link("decline"),
            "expires_at": data.expires_at,
        },
    )


def my_page_url(notifier: Notifier, volunteer_id: uuid.UUID) -> str:
    """The volunteer's own pages in the console, opened by a signed link (no password)."""
    settings = notifier.settings
    token = sign_link_token(
        settings.volunteer_link_secret,
        purpose="volunteer.session",
        subject=str(volunteer_id),
        lifetime_s=settings.volunteer_link_lifetime_hours * 3600,
    )
    return f"{settings.console_public_url.rstrip('/')}/wolontariusz/wejscie?t={token}"


async def notify_volunteer(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    cause: str,
    volunteer_id: uuid.UUID,
    template: str,
    branch_code: str | None,
    params: dict[str, Any],
) -> None:
    """In the inbox always; by email and SMS only with consent; a copy to a minor's guardian
    of what concerns their agreement and shifts. Nothing to a forgotten person."""
    session = uow.session
    await _serialize(uow, "person", volunteer_id)
    if await session.get(ErasedVolunteer, volunteer_id) is not None:
        return
    contact = await session.get(VolunteerContact, volunteer_id)
    language = contact.language if contact else "pl"
    personal = {"name": contact.first_name if contact else None}
    rendered = notifier.renderer.render(
        template,
        language,
        {**params, **personal, "my_page_url": my_page_url(notifier, volunteer_id)},
    )
    ref = f"volunteer:{volunteer_id}"

    async def put(
        recipient_ref: str,
        channel: str,
        address: str | None,
        subject: str | None,
        body: str,
        message_template: str = template,
    ) -> None:
        await queue_message(
            uow,
            key=idempotency_key(cause, recipient_ref, channel),
            channel=channel,
            template=message_template,
            language=language,
            recipient_ref=recipient_ref,
            volunteer_id=volunteer_id,
            branch_code=branch_code,
            address=address,
            subject=subject,
            body=body,
        )

    await put(ref, "in_app", None, rendered.subject, rendered.body)
    if contact is None:
        return
    if contact.consent_email and contact.email:
        await put(ref, "email", contact.email, rendered.subject, rendered.body)
    if template in SMS_TEMPLATES and rendered.sms and contact.consent_sms and contact.phone:
        await put(ref, "sms", contact.phone, None, rendered.sms)
    guardian = contact.guardian
    if (
        is_minor_copy_needed(template, has_guardian=guardian is not None)
        and contact.consent_email
        and guardian
        and guardian["email"]
    ):
        # The guardian reads the same message, without the link that opens the ward's pages.
        original = notifier.renderer.render(template, language, {**params, **personal})
        copy = notifier.renderer.render(
            "guardian_copy",
            language,
            {
                "name": guardian["name"],
                "ward_name": contact.first_name,
                "original_subject": original.subject,
                "original_body": original.body,
            },
        )
        await put(
            f"guardian:{volunteer_id}",
            "email",
            guardian["email"],
            copy.subject,
            copy.body,
            "guardian_copy",
        )


async def notify_staff(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    cause: str,
    role: str,
    branch_code: str,
    template: str,
    params: dict[str, Any],
    staff_id: uuid.UUID | None = None,
) -> None:
    """Staff get email at their work address (no consent needed for work messages); a
    coordinator who prefers the daily digest gets these in it instead."""
    query = select(Staff).where(Staff.role == role, Staff.branch_code == branch_code)
    if staff_id is not None:
        query = query.where(Staff.staff_id == staff_id)
    for staff in (await uow.session.exec(query)).all():
        rendered = notifier.renderer.render(
            template, staff.language, {**params, "name": staff.name}
        )
        ref = f"staff:{staff.staff_id}"
        held = template in DIGESTIBLE and await _prefers_digest(uow, staff.staff_id)
        queued = await queue_message(
            uow, key=idempotency_key(cause, ref, "email"), channel="email", recipient_ref=ref,
            address=staff.email, subject=rendered.subject, body=rendered.body,
            template=template, language=staff.language, volunteer_id=None,
            branch_code=branch_code, held=held,
        )  # fmt: skip
        if queued is not None and held:
            await _schedule_digest(uow, notifier, staff.staff_id)


async def set_staff_preference(uow: UnitOfWork, staff_id: uuid.UUID, daily_digest: bool) -> None:
    connection = await uow.session.connection()
    await connection.execute(
        insert(STAFF_PREFERENCES)
        .values(staff_id=staff_id, daily_digest=daily_digest)
        .on_conflict_do_update(index_elements=["staff_id"], set_={"daily_digest": daily_digest})
    )
    if not daily_digest:
        # What waits for a digest goes now, one by one.
        released = await connection.execute(
            MESSAGES.update()
            .where(MESSAGES.c.recipient_ref == f"staff:{staff_id}", MESSAGES.c.status == "held")
            .values(status="queued")
            .returning(MESSAGES.c.id)
        )
        for (message_id,) in released:
            await log_delivery(uow, message_id, "queued", "the daily digest was turned off")


async def _prefers_digest(uow: UnitOfWork, staff_id: uuid.UUID) -> bool:
    preference = await uow.session.get(StaffPreference, staff_id)
    return preference is not None and preference.daily_digest


async def _schedule_digest(uow: UnitOfWork, notifier: Notifier, staff_id: uuid.UUID) -> None:
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


async def _send_digest(
    uow: UnitOfWork, notifier: Notifier, staff_id: uuid.UUID, cause: str
) -> None:
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
    digest_id = await queue_message(
        uow, key=idempotency_key(cause, ref, "email"), channel="email", recipient_ref=ref,
        address=staff.email, subject=rendered.subject, body=rendered.body,
        template="daily_digest", language=staff.language, volunteer_id=None, branch_code=None,
    )  # fmt: skip
    for message in held:
        message.status = "digested"
        uow.session.add(message)
        await log_delivery(uow, message.id, "digested", f"in the daily digest {digest_id}")


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


# -- reminders ---------------------------------------------------------------------------


async def schedule_follow_up(uow: UnitOfWork, data: c.VisitFacts) -> None:
    """A trainer hears of a follow-up on its day, at 08:00 in Warsaw."""
    if data.follow_up_on is None:
        return
    await _upsert_reminder(
        uow,
        key=f"follow_up_due:{data.visit_id}",
        kind="follow_up_due",
        due_at=datetime.combine(data.follow_up_on, FOLLOW_UP_HOUR, tzinfo=WARSAW),
        volunteer_id=None,
        subject_id=data.visit_id,
        payload={
            "trainer_id": str(data.trainer_id),
            "branch_code": data.code,
            "visited_on": data.visited_on.isoformat(),
            "follow_up_on": data.follow_up_on.isoformat(),
        },
    )


async def set_reminder_preference(uow: UnitOfWork, volunteer_id: uuid.UUID, hours: int) -> None:
    """A volunteer's own lead time; their pending shift reminders move with it."""
    connection = await uow.session.connection()
    await connection.execute(
        insert(PREFERENCES)
        .values(volunteer_id=volunteer_id, reminder_hours_before=hours)
        .on_conflict_do_update(
            index_elements=["volunteer_id"], set_={"reminder_hours_before": hours}
        )
    )
    pending = await uow.session.exec(
        select(Reminder).where(
            Reminder.volunteer_id == volunteer_id,
            Reminder.kind == "shift_reminder",
            Reminder.status == "pending",
        )
    )
    for reminder in pending.all():
        starts_at = datetime.fromisoformat(reminder.payload["starts_at"])
        reminder.due_at = reminder_due(starts_at, hours)
        uow.session.add(reminder)


async def reminder_hours(uow: UnitOfWork, notifier: Notifier, volunteer_id: uuid.UUID) -> int:
    preference = await uow.session.get(Preference, volunteer_id)
    if preference is not None:
        return preference.reminder_hours_before
    return notifier.settings.reminder_hours_before


async def fire_reminder(
    uow: UnitOfWork, notifier: Notifier, reminder: Reminder, now: datetime
) -> None:
    """A due reminder becomes its messages (the caller marks it done in this transaction)."""
    cause = f"{reminder.key}@{reminder.due_at.isoformat()}"
    session = uow.session
    if reminder.kind == "shift_reminder":
        assignment = await session.get(Assignment, reminder.subject_id)
        if assignment is None or assignment.status != "confirmed" or assignment.starts_at is None:
            return
        if assignment.starts_at <= now:
            return  # the shift has begun: a reminder now would only confuse
        task = await session.get(Task, assignment.task_id)
        await notify_volunteer(
            uow,
            notifier,
            cause=cause,
            volunteer_id=assignment.volunteer_id,
            template="shift_reminder",
            branch_code=assignment.branch_code,
            params={
                **_task_params(task, branch_code=assignment.branch_code),
                "starts_at": assignment.starts_at,
                "ends_at": assignment.ends_at,
            },
        )
    elif reminder.kind == "task_unfilled":
        task = await session.get(Task, reminder.subject_id)
        if task is None or task.cancelled or task.starts_at is None or task.starts_at <= now:
            return
        confirmed = len(await _confirmed_assignments(uow, task.task_id))
        if confirmed >= task.places:
            return
        await notify_staff(
            uow,
            notifier,
            cause=cause,
            role="coordinator",
            branch_code=task.branch_code,
            template="task_unfilled",
            params={**_task_params(task), "confirmed": confirmed, "places": task.places},
        )
    elif reminder.kind == "daily_digest":
        await _send_digest(uow, notifier, reminder.subject_id, cause)
    elif reminder.kind == "follow_up_due":
        payload = reminder.payload
        await notify_staff(
            uow,
            notifier,
            cause=cause,
            role="trainer",
            branch_code=payload["branch_code"],
            staff_id=uuid.UUID(payload["trainer_id"]),
            template="follow_up_due",
            params={
                "branch_code": payload["branch_code"],
                "visited_on": date.fromisoformat(payload["visited_on"]),
                "follow_up_on": date.fromisoformat(payload["follow_up_on"]),
            },
        )


async def _schedule_shift_reminder(
    uow: UnitOfWork, notifier: Notifier, assignment: Assignment
) -> None:
    key = f"shift_reminder:{assignment.assignment_id}"
    if assignment.starts_at is None:
        await _cancel_reminder(uow, key)  # a flexible task has no shift to remind of
        return
    hours = await reminder_hours(uow, notifier, assignment.volunteer_id)
    await _upsert_reminder(
        uow,
        key=key,
        kind="shift_reminder",
        due_at=reminder_due(assignment.starts_at, hours),
        volunteer_id=assignment.volunteer_id,
        subject_id=assignment.assignment_id,
        payload={"starts_at": assignment.starts_at.isoformat()},
    )


async def _schedule_unfilled_check(uow: UnitOfWork, notifier: Notifier, task: Task) -> None:
    """A check N days before the start; none for a task published (or moved) closer to its
    start than that: its coordinators know it has just begun recruiting."""
    key = f"task_unfilled:{task.task_id}"
    due_at = (
        unfilled_check_due(task.starts_at, notifier.settings.unfilled_days_before)
        if task.starts_at
        else None
    )
    if due_at is None or due_at < notifier.clock.now():
        await _cancel_reminder(uow, key)
        return
    await _upsert_reminder(
        uow,
        key=key,
        kind="task_unfilled",
        due_at=due_at,
        volunteer_id=None,
        subject_id=task.task_id,
        payload={"starts_at": task.starts_at.isoformat() if task.starts_at else None},
    )


async def _upsert_reminder(
    uow: UnitOfWork,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    volunteer_id: uuid.UUID | None,
    subject_id: uuid.UUID,
    payload: dict[str, Any],
) -> None:
    """Schedule, or move: a moved reminder is pending again at its new time (a reminder
    already sent for the old time is sent again for the new one)."""
    connection = await uow.session.connection()
    values = {
        "key": key,
        "kind": kind,
        "due_at": due_at,
        "status": "pending",
        "volunteer_id": volunteer_id,
        "subject_id": subject_id,
        "payload": payload,
    }
    await connection.execute(
        insert(REMINDERS)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={"due_at": due_at, "status": "pending", "payload": payload},
            where=sa.or_(REMINDERS.c.due_at != due_at, REMINDERS.c.status == "pending"),
        )
    )


async def _cancel_reminder(uow: UnitOfWork, key: str) -> None:
    connection = await uow.session.connection()
    await connection.execute(
        REMINDERS.update()
        .where(REMINDERS.c.key == key, REMINDERS.c.status == "pending")
        .values(status="cancelled")
    )


async def _confirmed_assignments(uow: UnitOfWork, task_id: uuid.UUID) -> list[Assignment]:
    result = await uow.session.exec(
        select(Assignment)
        .where(Assignment.task_id == task_id, Assignment.status == "confirmed")
        .order_by(col(Assignment.assignment_id))
        .with_for_update()
    )
    return list(result.all())


def _task_params(
    task: Task | None,
    *,
    branch_code: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "task_title": task.title if task else "—",
        "branch_code": task.branch_code if task else branch_code,
        "starts_at": starts_at or (task.starts_at if task else None),
        "ends_at": ends_at or (task.ends_at if task else None),
    }
