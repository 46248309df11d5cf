"""Integration events a service publishes: typed data, one class per event type.

    class VolunteerRegistered(IntegrationEvent):
        fact: ClassVar[str] = "volunteer.registered.v1"
        volunteer_id: uuid.UUID

The full type is ``pl.waw.volunteering.<service>.<fact>``; the class is the schema other
services and city systems read in the generated AsyncAPI catalogue.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.cloudevents import EVENT_TYPE_PREFIX


class IntegrationEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    fact: ClassVar[str]

    @classmethod
    def event_type(cls, service: str) -> str:
        return f"{EVENT_TYPE_PREFIX}.{service}.{cls.fact}"
