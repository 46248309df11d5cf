"""The CloudEvents envelope of docs/contracts.md, in both RabbitMQ binding modes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cloudevents.core.bindings import rabbitmq
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkCloudEvent

from shared.cloudevents import (
    STRUCTURED_CONTENT_TYPE,
    CloudEvent,
    InvalidMessage,
    parse_amqp_message,
)

REGISTERED = "pl.waw.portal.volunteer.registered.v1"
PORTAL = "/pl/waw/portal"


def envelope(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "specversion": "1.0",
        "id": "evt-1",
        "source": PORTAL,
        "type": REGISTERED,
        "time": "2026-11-24T12:00:00+01:00",
        "datacontenttype": "application/json",
        "data": {"portal_id": "p-1"},
    }
    document.update(changes)
    return document


def structured(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def with_raw_bytes_in_data(raw: bytes) -> bytes:
    """A complete structured event whose data holds ``raw`` inside a JSON string."""
    return structured(envelope(data={"note": "PLACEHOLDER"})).replace(b"PLACEHOLDER", raw)


def rejection(
    body: bytes,
    headers: dict[str, Any] | None = None,
    content_type: str | None = STRUCTURED_CONTENT_TYPE,
) -> InvalidMessage:
    with pytest.raises(InvalidMessage) as caught:
        parse_amqp_message(body, headers, content_type)
    return caught.value


def sdk_event(**attributes: Any) -> SdkCloudEvent:
    return SdkCloudEvent(
        {
            "type": REGISTERED,
            "source": PORTAL,
            "id": "evt-sdk",
            "datacontenttype": "application/json",
            **attributes,
        },
        {"portal_id": "p-1", "first_name": "Łucja"},
    )


# Structured mode


def test_structured_mode_reads_every_attribute_and_the_data() -> None:
    event = parse_amqp_message(
        structured(envelope(subject="volunteer/p-1")), {}, STRUCTURED_CONTENT_TYPE
    )

    assert event.id == "evt-1"
    assert event.source == PORTAL
    assert event.type == REGISTERED
    assert event.time == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert event.subject == "volunteer/p-1"
    assert event.data == {"portal_id": "p-1"}


def test_structured_content_type_with_parameters_is_structured() -> None:
    event = parse_amqp_message(
        structured(envelope()), None, "application/cloudevents+json; charset=utf-8"
    )

    assert event.id == "evt-1"


@pytest.mark.parametrize("content_type", [None, "application/json"])
def test_json_body_without_the_cloudevents_content_type_is_read_as_structured(
    content_type: str | None,
) -> None:
    event = parse_amqp_message(structured(envelope()), None, content_type)

    assert event.type == REGISTERED
    assert event.data == {"portal_id": "p-1"}


def test_structured_content_type_wins_over_stray_ce_headers() -> None:
    headers = {"ce-specversion": "1.0", "ce-id": "from-header", "ce-source": "/x", "ce-type": "x"}

    event = parse_amqp_message(structured(envelope()), headers, STRUCTURED_CONTENT_TYPE)

    assert event.id == "evt-1"
    assert event.data == {"portal_id": "p-1"}


def test_structured_mode_written_by_the_official_sdk_is_read() -> None:
    message = rabbitmq.to_structured(sdk_event(), JSONFormat())

    event = parse_amqp_message(message.body, message.headers, message.content_type)

    assert event.id == "evt-sdk"
    assert event.data == {"portal_id": "p-1", "first_name": "Łucja"}


def test_extension_attributes_correlationid_and_causationid_are_kept() -> None:
    body = structured(envelope(correlationid="corr-1", causationid="cause-1"))

    event = parse_amqp_message(body, None, STRUCTURED_CONTENT_TYPE)

    assert event.correlationid == "corr-1"
    assert event.causationid == "cause-1"


def test_other_lowercase_extension_attributes_are_kept() -> None:
    event = parse_amqp_message(
        structured(envelope(traceparent="00-abc-01")), None, STRUCTURED_CONTENT_TYPE
    )

    assert (event.model_extra or {}).get("traceparent") == "00-abc-01"


# Binary mode


def test_binary_mode_built_by_the_official_sdk_is_read() -> None:
    original = sdk_event(correlationid="corr-1", causationid="cause-1")
    message = rabbitmq.to_binary(original, JSONFormat())

    event = parse_amqp_message(message.body, message.headers, message.content_type)

    assert event.id == "evt-sdk"
    assert event.source == PORTAL
    assert event.type == REGISTERED
    assert event.time == original.get_time()
    assert event.datacontenttype == "application/json"
    assert event.correlationid == "corr-1"
    assert event.causationid == "cause-1"
    assert event.data == {"portal_id": "p-1", "first_name": "Łucja"}


def test_binary_mode_headers_given_as_bytes_are_decoded() -> None:
    message = rabbitmq.to_binary(sdk_event(subject="Żółć"), JSONFormat())
    headers = {key: value.encode() for key, value in message.headers.items()}

    event = parse_amqp_message(message.body, headers, message.content_type)

    assert event.id == "evt-sdk"
    assert event.specversion == "1.0"
    assert event.subject == "Żółć"


def test_binary_mode_header_names_are_case_insensitive() -> None:
    message = rabbitmq.to_binary(sdk_event(), JSONFormat())
    headers = {key.upper(): value for key, value in message.headers.items()}

    event = parse_amqp_message(message.body, headers, message.content_type)

    assert event.id == "evt-sdk"


def test_binary_mode_time_header_as_amqp_timestamp_is_read() -> None:
    stamp = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    headers: dict[str, Any] = {
        "ce-specversion": "1.0",
        "ce-id": "evt-2",
        "ce-source": PORTAL,
        "ce-type": REGISTERED,
        "ce-time": stamp,
    }

    event = parse_amqp_message(b'{"portal_id": "p-1"}', headers, "application/json")

    assert event.time == stamp


def test_binary_mode_with_an_empty_body_has_no_data() -> None:
    message = rabbitmq.to_binary(sdk_event(), JSONFormat())

    event = parse_amqp_message(b"", message.headers, message.content_type)

    assert event.data is None


# Rejections


def test_body_that_is_not_json_is_rejected_as_not_json() -> None:
    assert rejection(b"hello, this is not JSON").reason == "not-json"


def test_body_that_is_not_json_without_content_type_is_rejected_as_not_json() -> None:
    assert rejection(b"<xml/>", content_type=None).reason == "not-json"


def test_body_with_invalid_utf8_is_rejected_as_not_json() -> None:
    body = with_raw_bytes_in_data(b"\xff\xfe")

    assert rejection(body).reason == "not-json"


def test_body_with_an_encoded_surrogate_is_invalid_utf8_and_rejected_as_not_json() -> None:
    # ED A0 80 encodes the lone surrogate U+D800: never valid UTF-8 (RFC 3629).
    body = with_raw_bytes_in_data(b"\xed\xa0\x80")

    assert rejection(body).reason == "not-json"


def test_body_in_utf16_is_not_utf8_json_and_rejected_as_not_json() -> None:
    body = json.dumps(envelope()).encode("utf-16")

    assert rejection(body).reason == "not-json"


def test_json_array_is_rejected_as_not_a_cloudevent() -> None:
    assert rejection(b'[{"specversion": "1.0"}]').reason == "not-a-cloudevent"


def test_json_scalar_is_rejected_as_not_a_cloudevent() -> None:
    assert rejection(b'"1.0"').reason == "not-a-cloudevent"


@pytest.mark.parametrize("attribute", ["id", "source", "type", "specversion"])
def test_missing_required_attribute_is_rejected_naming_it(attribute: str) -> None:
    document = envelope()
    del document[attribute]

    invalid = rejection(structured(document))

    assert invalid.reason == "not-a-cloudevent"
    assert attribute in invalid.detail


@pytest.mark.parametrize("attribute", ["id", "source", "type"])
def test_empty_required_attribute_is_rejected_naming_it(attribute: str) -> None:
    invalid = rejection(structured(envelope(**{attribute: ""})))

    assert invalid.reason == "not-a-cloudevent"
    assert attribute in invalid.detail


def test_specversion_0_3_is_rejected() -> None:
    invalid = rejection(structured(envelope(specversion="0.3")))

    assert invalid.reason == "not-a-cloudevent"
    assert "specversion" in invalid.detail


def test_time_without_offset_is_rejected() -> None:
    invalid = rejection(structured(envelope(time="2026-11-24T12:00:00")))

    assert invalid.reason == "not-a-cloudevent"
    assert "time" in invalid.detail


def test_time_that_is_not_a_timestamp_is_rejected() -> None:
    invalid = rejection(structured(envelope(time="yesterday")))

    assert invalid.reason == "not-a-cloudevent"
    assert "time" in invalid.detail


def test_time_as_a_number_is_not_rfc3339_and_is_rejected() -> None:
    invalid = rejection(structured(envelope(time=1_795_000_000)))

    assert invalid.reason == "not-a-cloudevent"
    assert "time" in invalid.detail


@pytest.mark.parametrize(
    "name",
    ["CorrelationId", "correlation_id", "correlation-id", "a" * 21, "abc\n"],
    ids=["uppercase", "underscore", "hyphen", "too-long", "trailing-newline"],
)
def test_bad_extension_attribute_name_is_rejected(name: str) -> None:
    invalid = rejection(structured(envelope(**{name: "value"})))

    assert invalid.reason == "not-a-cloudevent"


def test_extension_attribute_name_of_20_characters_is_accepted() -> None:
    event = parse_amqp_message(
        structured(envelope(**{"a" * 20: "value"})), None, STRUCTURED_CONTENT_TYPE
    )

    assert (event.model_extra or {})["a" * 20] == "value"


def test_data_base64_is_rejected() -> None:
    document = envelope(data_base64="eyJwb3J0YWxfaWQiOiAicC0xIn0=")
    del document["data"]

    invalid = rejection(structured(document))

    assert invalid.reason == "not-a-cloudevent"
    assert "data_base64" in invalid.detail


def test_binary_mode_with_non_json_content_type_is_rejected() -> None:
    message = rabbitmq.to_binary(sdk_event(), JSONFormat())

    invalid = rejection(b"hello", dict(message.headers), "text/plain")

    assert invalid.reason == "not-a-cloudevent"
    assert "text/plain" in invalid.detail


def test_binary_mode_with_a_body_that_is_not_json_is_rejected_as_not_json() -> None:
    message = rabbitmq.to_binary(sdk_event(), JSONFormat())

    invalid = rejection(b"{not json", dict(message.headers), "application/json")

    assert invalid.reason == "not-json"


def test_binary_mode_with_missing_type_header_is_rejected_naming_it() -> None:
    message = rabbitmq.to_binary(sdk_event(), JSONFormat())
    headers = {key: value for key, value in message.headers.items() if key != "ce-type"}

    invalid = rejection(message.body, headers, message.content_type)

    assert invalid.reason == "not-a-cloudevent"
    assert "type" in invalid.detail


def test_binary_mode_with_specversion_0_3_is_rejected() -> None:
    message = rabbitmq.to_binary(sdk_event(), JSONFormat())
    headers = {**message.headers, "ce-specversion": "0.3"}

    invalid = rejection(message.body, headers, message.content_type)

    assert invalid.reason == "not-a-cloudevent"
    assert "specversion" in invalid.detail


# The platform's own events


def test_created_event_round_trips_through_structured_mode() -> None:
    created = CloudEvent.create(
        type="pl.waw.volunteering.matching.volunteer.registered.v1",
        source="/volunteering/matching",
        data={"volunteer_id": "v-1", "districts": ["wola"], "phone": None},
        subject="v-1",
        correlationid="corr-1",
        causationid="cause-1",
    )

    parsed = parse_amqp_message(created.to_structured(), {}, STRUCTURED_CONTENT_TYPE)

    assert parsed == created
    assert parsed.data == {"volunteer_id": "v-1", "districts": ["wola"], "phone": None}


def test_created_event_has_a_fresh_id_and_an_aware_time() -> None:
    first = CloudEvent.create(type="t.v1", source="/s", data={})
    second = CloudEvent.create(type="t.v1", source="/s", data={})

    assert first.id != second.id
    assert first.time is not None
    assert first.time.utcoffset() is not None
    assert first.specversion == "1.0"
    assert first.datacontenttype == "application/json"


def test_structured_body_leaves_out_unset_optional_attributes() -> None:
    document = json.loads(CloudEvent.create(type="t.v1", source="/s", data={}).to_structured())

    assert "subject" not in document
    assert "correlationid" not in document
    assert {"specversion", "id", "source", "type", "time", "datacontenttype", "data"} <= set(
        document
    )
