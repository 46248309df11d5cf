"""A volunteer's inbox: their in-app messages, marked read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import col, select

from notifications.api.common import Limit, Offset, volunteer_id_of
from notifications.tables import Message
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service

router = APIRouter()


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


@router.get("/inbox", response_model=InboxPage)
async def read_inbox(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
    unread: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """The volunteer's own in-app messages, newest first; ``unread=true`` for new ones only."""
    volunteer_id = volunteer_id_of(principal)
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
    volunteer_id = volunteer_id_of(principal)
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
