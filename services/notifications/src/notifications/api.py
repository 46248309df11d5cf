"""Notifications's HTTP API: a volunteer's inbox and preferences; the delivery log for staff."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select

from notifications.contacts import coordinator_by_subject
from notifications.preferences import set_reminder_preference, set_staff_preference
from notifications.settings import NotificationsSettings
from notifications.tables import DeliveryLogEntry, Message, Preference, StaffPreference
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.unit_of_work import UnitOfWork
from shared.validation import Code, PageOffset

router = APIRouter(prefix="/v1", tags=["notifications"])

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[PageOffset, Query()]


class InboxMessage(BaseModel):
    id: uuid.UUID
    template: str
    subject: str | None
    body: str | None
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    items: list[InboxMessage]
    unread: int


class Preferences(BaseModel):
    reminder_hours_before: int = Field(ge=1, le=168)


class StaffPreferences(BaseModel):
    daily_digest: bool


class DeliveryStep(BaseModel):
    at: datetime
    status: str
    detail: str | None


class MessageView(BaseModel):
    id: uuid.UUID
    channel: str
    template: str
    language: str
    recipient_ref: str
    branch_code: str | None
    status: str
    attempts: int
    last_answer: str | None
    created_at: datetime
    sent_at: datetime | None


class MessageDetail(MessageView):
    log: list[DeliveryStep]


def _volunteer_id(principal: Principal) -> uuid.UUID:
    try:
        return uuid.UUID(principal.subject)
    except ValueError:
        raise Problem(
            403, "Forbidden", "the inbox and preferences belong to a volunteer (token sub)"
        ) from None


@router.get("/inbox", response_model=InboxPage)
async def read_inbox(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
    unread: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """The volunteer's own in-app messages, newest first; ``unread=true`` for new ones only."""
    volunteer_id = _volunteer_id(principal)
    mine = (
        col(Message.volunteer_id) == volunteer_id,
        Message.channel == "in_app",
        Message.recipient_ref == f"volunteer:{volunteer_id}",
    )
    async with service.unit_of_work() as uow:
        query = select(Message).where(*mine)
        if unread is not None:
            query = query.where(
                col(Message.read_at).is_(None) if unread else col(Message.read_at).is_not(None)
            )
        rows = await uow.session.exec(
            query.order_by(col(Message.created_at).desc(), col(Message.id))
            .limit(limit)
            .offset(offset)
        )
        items = [InboxMessage.model_validate(row, from_attributes=True) for row in rows.all()]
        unread_rows = await uow.session.exec(
            select(Message.id).where(*mine, col(Message.read_at).is_(None))
        )
        unread_count = len(unread_rows.all())
    return InboxPage(items=items, unread=unread_count)


@router.post("/inbox/{message_id}/read", response_model=InboxMessage)
async def mark_read(
    message_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    volunteer_id = _volunteer_id(principal)
    async with service.unit_of_work() as uow:
        message = await uow.session.get(Message, message_id, with_for_update=True)
        if (
            message is None
            or message.channel != "in_app"
            or message.recipient_ref != f"volunteer:{volunteer_id}"
        ):
            raise Problem(404, "Message not found", f"no message {message_id} in your inbox")
        if message.read_at is None:
            message.read_at = datetime.now(UTC)
            uow.session.add(message)
        return InboxMessage.model_validate(message, from_attributes=True)


@router.get("/preferences", response_model=Preferences)
async def read_preferences(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    volunteer_id = _volunteer_id(principal)
    async with service.unit_of_work() as uow:
        preference = await uow.session.get(Preference, volunteer_id)
    if preference is not None:
        return Preferences(reminder_hours_before=preference.reminder_hours_before)
    settings = service.settings
    assert isinstance(settings, NotificationsSettings)
    return Preferences(reminder_hours_before=settings.reminder_hours_before)


@router.put("/preferences", response_model=Preferences)
async def update_preferences(
    preferences: Preferences,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """How many hours before a shift the reminder comes; pending reminders move with it."""
    volunteer_id = _volunteer_id(principal)
    async with service.unit_of_work() as uow:
        await set_reminder_preference(uow, volunteer_id, preferences.reminder_hours_before)
    return preferences


async def _staff_id(uow: UnitOfWork, principal: Principal) -> uuid.UUID:
    """Tokens name a person by the identity provider's user id (``sub``); registry's events
    tell which coordinator carries it. A city admin has preferences here only when their
    own account is also a coordinator's."""
    staff_id = await coordinator_by_subject(uow, principal.subject)
    if staff_id is None:
        raise Problem(
            403,
            "Forbidden",
            f"użytkownik '{principal.subject}' nie jest znany jako koordynator / "
            f"user '{principal.subject}' is not known as a coordinator",
        )
    return staff_id


@router.get("/staff/preferences", response_model=StaffPreferences)
async def read_staff_preferences(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("coordinator"))],
) -> Any:
    async with service.unit_of_work() as uow:
        staff_id = await _staff_id(uow, principal)
        preference = await uow.session.get(StaffPreference, staff_id)
    return StaffPreferences(daily_digest=preference.daily_digest if preference else False)


@router.put("/staff/preferences", response_model=StaffPreferences)
async def update_staff_preferences(
    preferences: StaffPreferences,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("coordinator"))],
) -> Any:
    """A coordinator's choice: new applications, no-shows and unfilled tasks one by one, or
    in one digest at 07:00 (turning it off sends what was waiting)."""
    async with service.unit_of_work() as uow:
        staff_id = await _staff_id(uow, principal)
        await set_staff_preference(uow, staff_id, preferences.daily_digest)
    return preferences


@router.get("/messages", response_model=list[MessageView])
async def list_messages(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("coordinator"))],
    branch_code: Code | None = None,
    status: Literal["queued", "sent", "failed", "cancelled", "held", "digested"] | None = None,
    channel: Literal["email", "sms", "in_app"] | None = None,
    template: Annotated[Code | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """The delivery log: city admins see all, coordinators their branch's (``branch_code``)."""
    if "city_admin" not in principal.roles:
        if branch_code is None:
            raise Problem(403, "Forbidden", "coordinators must filter by their branch_code")
        if not principal.can_act_for_branch(branch_code):
            raise Problem(403, "Forbidden", f"you do not act for branch {branch_code!r}")
    query = select(Message)
    if branch_code is not None:
        query = query.where(Message.branch_code == branch_code)
    if status is not None:
        query = query.where(Message.status == status)
    if channel is not None:
        query = query.where(Message.channel == channel)
    if template is not None:
        query = query.where(Message.template == template)
    async with service.unit_of_work() as uow:
        rows = await uow.session.exec(
            query.order_by(col(Message.created_at).desc(), col(Message.id))
            .limit(limit)
            .offset(offset)
        )
        return [MessageView.model_validate(row, from_attributes=True) for row in rows.all()]


@router.get("/messages/{message_id}", response_model=MessageDetail)
async def read_message(
    message_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("coordinator"))],
) -> Any:
    """One message's delivery log: queued, sent, retried, failed (with the provider's answer)."""
    async with service.unit_of_work() as uow:
        message = await uow.session.get(Message, message_id)
        if message is None:
            raise Problem(404, "Message not found", f"no message with id {message_id}")
        if "city_admin" not in principal.roles and not (
            message.branch_code and principal.can_act_for_branch(message.branch_code)
        ):
            raise Problem(403, "Forbidden", "this message belongs to another branch")
        log = await uow.session.exec(
            select(DeliveryLogEntry)
            .where(DeliveryLogEntry.message_id == message_id)
            .order_by(col(DeliveryLogEntry.id))
        )
        steps = [DeliveryStep.model_validate(s, from_attributes=True) for s in log.all()]
        view = MessageView.model_validate(message, from_attributes=True)
    return MessageDetail(**view.model_dump(), log=steps)
