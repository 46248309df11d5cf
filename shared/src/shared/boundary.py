"""The broker boundary: which exchange, routing key and source may carry which event type.

An event is applied only when:

- its CloudEvents ``type`` equals the routing key it arrived with;
- an inbound type (``pl.waw.portal.*``, ``pl.waw.calendar.*``) came through
  ``city.inbound`` from the source configured for that city system;
- an internal type (``pl.waw.volunteering.<service>.*``) came through the platform's own
  exchanges (``volunteering.events``, or ``volunteering.contacts`` for the types that carry
  contact data) from the service that owns it (``/volunteering/<service>``).

Anything else is refused with the reason ``forged-or-misrouted``; the detail names the
type, the routing key and the exchange, never a value of the event's data.

A message replayed by an operator (``shared.deadletters``, ``shared.unrouted``) comes
through the default exchange, which only operators may write to; the replay tools keep the
exchange and routing key it first arrived with in headers, and those are checked instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.cloudevents import EVENT_TYPE_PREFIX, CloudEvent, InvalidMessage
from shared.topology import INBOUND_EXCHANGE, exchange_for

FORGED_OR_MISROUTED = "forged-or-misrouted"
PORTAL_TYPE_PREFIX = "pl.waw.portal."
CALENDAR_TYPE_PREFIX = "pl.waw.calendar."
# The defaults of the contracts (docs/contracts.md); each deployment may set its own.
DEFAULT_PORTAL_SOURCE = "/city/portal"
DEFAULT_CALENDAR_SOURCE = "/city/calendar"
# Set by the replay tools on a message they put back through the default exchange.
ORIGINAL_EXCHANGE_HEADER = "x-original-exchange"
ORIGINAL_ROUTING_KEY_HEADER = "x-original-routing-key"
DEFAULT_EXCHANGE = ""


@dataclass(frozen=True)
class TrustedSources:
    """The ``source`` each city system's events must carry."""

    portal: str = DEFAULT_PORTAL_SOURCE
    calendar: str = DEFAULT_CALENDAR_SOURCE


def internal_owner(event_type: str) -> str | None:
    """The service that owns an internal type (``pl.waw.volunteering.<service>.…``)."""
    prefix = f"{EVENT_TYPE_PREFIX}."
    if not event_type.startswith(prefix):
        return None
    service = event_type[len(prefix) :].split(".", 1)[0]
    return service or None


def service_source(service: str) -> str:
    """The ``source`` of every event a service publishes (``shared.unit_of_work``)."""
    return f"/volunteering/{service}"


def arrival(
    exchange: str | None, routing_key: str | None, headers: Mapping[str, Any] | None
) -> tuple[str, str]:
    """The exchange and routing key a delivery first arrived with: its own, or for an
    operator's replay through the default exchange, the ones the replay tool kept."""
    exchange = exchange or DEFAULT_EXCHANGE
    routing_key = routing_key or ""
    if exchange == DEFAULT_EXCHANGE:
        headers = headers or {}
        return _text(headers.get(ORIGINAL_EXCHANGE_HEADER)), _text(
            headers.get(ORIGINAL_ROUTING_KEY_HEADER)
        )
    return exchange, routing_key


def check_boundary(
    event: CloudEvent, *, exchange: str, routing_key: str, sources: TrustedSources
) -> None:
    """Raise ``InvalidMessage(forged-or-misrouted)`` unless the event may have come this way."""
    where = f"type {event.type!r} with routing key {routing_key!r} on exchange {exchange!r}"
    if event.type != routing_key:
        raise InvalidMessage(FORGED_OR_MISROUTED, f"{where}: the type is not the routing key")
    if event.type.startswith(PORTAL_TYPE_PREFIX):
        _expect(event, where, exchange, INBOUND_EXCHANGE, sources.portal, "the portal")
        return
    if event.type.startswith(CALENDAR_TYPE_PREFIX):
        _expect(event, where, exchange, INBOUND_EXCHANGE, sources.calendar, "the calendar")
        return
    owner = internal_owner(event.type)
    if owner is None:
        raise InvalidMessage(FORGED_OR_MISROUTED, f"{where}: not a type of the platform")
    _expect(event, where, exchange, exchange_for(event.type), service_source(owner), owner)


def _expect(
    event: CloudEvent, where: str, exchange: str, expected_exchange: str, source: str, who: str
) -> None:
    if exchange != expected_exchange:
        raise InvalidMessage(
            FORGED_OR_MISROUTED, f"{where}: this type comes only through {expected_exchange!r}"
        )
    if event.source != source:
        # Only whose source it should be: the one it carries is the sender's claim.
        raise InvalidMessage(FORGED_OR_MISROUTED, f"{where}: not from the source of {who}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)
