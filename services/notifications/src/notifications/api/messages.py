"""The delivery log for staff: messages and each one's history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import col, select

from notifications.api.common import Limit, Offset
from notifications.tables import DeliveryLogEntry, Message
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.validation import Code

router = APIRouter()


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
