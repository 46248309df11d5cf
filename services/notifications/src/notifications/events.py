"""The integration events notifications publishes: a message went out, or could not."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from shared.events import IntegrationEvent

Channel = Literal["email", "sms", "in_app"]


class MessageSent(IntegrationEvent):
    """The channel's provider accepted the message (an in-app message is in the inbox)."""

    fact: ClassVar[str] = "message.sent.v1"

    message_id: uuid.UUID
    channel: Channel
    template: str
    recipient_ref: str


class MessageFailed(MessageSent):
    """The message cannot be delivered: the provider refused it, or retries ran out."""

    fact: ClassVar[str] = "message.failed.v1"

    reason: str


PUBLISHED_EVENTS: tuple[type[IntegrationEvent], ...] = (MessageSent, MessageFailed)
