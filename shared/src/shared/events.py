"""Integration events a service publishes: typed data, one class per event type.

    class VolunteerRegistered(IntegrationEvent):
        fact: ClassVar[str] = "volunteer.registered.v1"
        volunteer_id: uuid.UUID

The full type is ``pl.waw.volunteering.<service>.<fact>``; the class is the schema other
services and city systems read in the generated AsyncAPI catalogue.

An event caused by another carries that one's correlation id; an event emitted while an
HTTP request is handled carries the request's (``correlation_scope``, set by the service's
request middleware), so one id follows a person's action through every service it reaches.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.cloudevents import EVENT_TYPE_PREFIX


class IntegrationEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    fact: ClassVar[str]

    @classmethod
    def event_type(cls, service: str) -> str:
        return f"{EVENT_TYPE_PREFIX}.{service}.{cls.fact}"


_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


@contextmanager
def correlation_scope(correlation_id: str | None) -> Iterator[None]:
    """Events emitted inside the block (without a cause of their own) carry this id."""
    token = _correlation_id.set(correlation_id)
    try:
        yield
    finally:
        _correlation_id.reset(token)


def current_correlation_id() -> str | None:
    return _correlation_id.get()
