"""Messages to volunteers (inbox, email, SMS, a copy to a minor's guardian) and to staff.

A consumed event becomes messages in the same transaction as its inbox record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from notifications import contracts as c
from notifications.branches import branch_params
from notifications.digests import prefers_digest, schedule_digest
from notifications.domain.rules import (
    DIGESTIBLE,
    SMS_TEMPLATES,
    idempotency_key,
    is_minor_copy_needed,
)
from notifications.message_queue import queue_message
from notifications.notifier import Notifier, serialize
from notifications.tables import ErasedVolunteer, Staff, Task, VolunteerContact
from shared.signed_links import sign_link_token
from shared.unit_of_work import UnitOfWork


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
        params={**task_params(task, branch_code=branch_code), **(extra or {})},
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
    await serialize(uow, "person", volunteer_id)
    if await session.get(ErasedVolunteer, volunteer_id) is not None:
        return
    contact = await session.get(VolunteerContact, volunteer_id)
    language = contact.language if contact else "pl"
    personal = {"name": contact.first_name if contact else None}
    params = {**await branch_params(uow, branch_code), **params}
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
    about_volunteer: uuid.UUID | None = None,
) -> None:
    """Staff get email at their work address (no consent needed for work messages); a
    coordinator who prefers the daily digest gets these in it instead. A message about one
    volunteer is recorded as about them: their erasure removes its text too."""
    params = {**await branch_params(uow, branch_code), **params}
    query = select(Staff).where(Staff.role == role, Staff.branch_code == branch_code)
    if staff_id is not None:
        query = query.where(Staff.staff_id == staff_id)
    for staff in (await uow.session.exec(query)).all():
        rendered = notifier.renderer.render(
            template, staff.language, {**params, "name": staff.name}
        )
        ref = f"staff:{staff.staff_id}"
        held = template in DIGESTIBLE and await prefers_digest(uow, staff.staff_id)
        queued = await queue_message(
            uow, key=idempotency_key(cause, ref, "email"), channel="email", recipient_ref=ref,
            address=staff.email, subject=rendered.subject, body=rendered.body,
            template=template, language=staff.language, volunteer_id=about_volunteer,
            branch_code=branch_code, held=held,
        )  # fmt: skip
        if queued is not None and held:
            await schedule_digest(uow, notifier, staff.staff_id)


def task_params(
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
