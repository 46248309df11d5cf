"""The CloudEvents 1.0 envelope of docs/contracts.md, in both RabbitMQ binding modes.

Inbound messages may be *structured* (the whole event as JSON in the body) or *binary*
(attributes as ``ce-`` headers, ``datacontenttype`` as the AMQP content type, data alone in
the body). The platform itself always publishes structured mode.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
JSON_CONTENT_TYPE = "application/json"
BINARY_HEADER_PREFIX = "ce-"
EVENT_TYPE_PREFIX = "pl.waw.volunteering"

_EXTENSION_NAME = re.compile(r"[a-z0-9]{1,20}")


class InvalidMessage(Exception):
    """A message that can never be applied: it goes to the dead-letter queue with its reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event. Extension attributes are kept as extra fields."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"]
    id: str = Field(min_length=1, max_length=256)
    source: str = Field(min_length=1, max_length=1024)
    type: str = Field(min_length=1, max_length=256)
    time: datetime | None = None
    datacontenttype: str | None = JSON_CONTENT_TYPE
    dataschema: str | None = None
    subject: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    data: Any = None

    @field_validator("time", mode="before")
    @classmethod
    def _time_is_rfc3339(cls, value: Any) -> Any:
        # Binary mode may bring an AMQP timestamp (a datetime); a bare number is no RFC 3339.
        if isinstance(value, int | float | bool):
            raise ValueError("time must be an RFC 3339 string, not a number")
        return value

    @field_validator("time")
    @classmethod
    def _time_has_offset(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("time must be RFC 3339 with an offset or 'Z'")
        return value

    @model_validator(mode="after")
    def _extension_names(self) -> CloudEvent:
        for name in self.model_extra or {}:
            if name in ("data_base64",):
                raise ValueError("data_base64 is not accepted: data must be JSON")
            if not _EXTENSION_NAME.fullmatch(name):
                raise ValueError(
                    f"extension attribute {name!r} must be 1-20 lowercase letters or digits"
                )
        return self

    @classmethod
    def create(
        cls,
        *,
        type: str,
        source: str,
        data: Mapping[str, Any],
        subject: str | None = None,
        correlationid: str | None = None,
        causationid: str | None = None,
    ) -> CloudEvent:
        """A new event of the platform's own, with a fresh id and the current time."""
        return cls(
            specversion="1.0",
            id=str(uuid.uuid4()),
            source=source,
            type=type,
            time=datetime.now(UTC),
            datacontenttype=JSON_CONTENT_TYPE,
            subject=subject,
            correlationid=correlationid,
            causationid=causationid,
            data=dict(data),
        )

    def to_structured(self) -> bytes:
        """The JSON body of structured content mode."""
        return self.model_dump_json(exclude_none=True).encode()


def parse_amqp_message(
    body: bytes, headers: Mapping[str, Any] | None, content_type: str | None
) -> CloudEvent:
    """Read a CloudEvent from an AMQP message in either binding mode, or raise InvalidMessage."""
    headers = headers or {}
    binary_attributes = {
        key.lower()[len(BINARY_HEADER_PREFIX) :]: _header_text(value)
        for key, value in headers.items()
        if key.lower().startswith(BINARY_HEADER_PREFIX)
    }
    if "specversion" in binary_attributes and not _is_structured(content_type):
        return _parse_binary(body, binary_attributes, content_type)
    return _parse_structured(body)


def _is_structured(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == STRUCTURED_CONTENT_TYPE


def _parse_structured(body: bytes) -> CloudEvent:
    document = _load_json(body)
    if not isinstance(document, dict):
        raise InvalidMessage("not-a-cloudevent", "the body is JSON but not a CloudEvent object")
    if "data_base64" in document:
        raise InvalidMessage("not-a-cloudevent", "data_base64 is not accepted: data must be JSON")
    return _validate_envelope(document)


def _parse_binary(body: bytes, attributes: dict[str, str], content_type: str | None) -> CloudEvent:
    media_type = (content_type or JSON_CONTENT_TYPE).split(";")[0].strip().lower()
    if media_type != JSON_CONTENT_TYPE and not media_type.endswith("+json"):
        raise InvalidMessage(
            "not-a-cloudevent", f"binary-mode data must be JSON, not {media_type!r}"
        )
    document: dict[str, Any] = dict(attributes)
    document["datacontenttype"] = content_type or JSON_CONTENT_TYPE
    document["data"] = _load_json(body) if body else None
    return _validate_envelope(document)


def _validate_envelope(document: dict[str, Any]) -> CloudEvent:
    try:
        return CloudEvent.model_validate(document)
    except ValidationError as error:
        raise InvalidMessage("not-a-cloudevent", describe_validation_error(error)) from error


def _load_json(body: bytes) -> Any:
    try:
        # Decoded strictly first: json.loads(bytes) would guess UTF-16 or let surrogates in.
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidMessage("not-json", f"the body is not valid UTF-8 JSON ({error})") from error


def _header_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, naming the field: what a person needs to fix the message."""
    problems = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "(message)"
        problems.append(f"{location}: {item['msg']}")
    return "; ".join(problems)
