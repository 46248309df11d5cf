"""The broker boundary on the real broker and database: forged or misrouted events refused.

An event applies only when its type is its routing key, an inbound type came through
``city.inbound`` from its city system's configured source, and an internal type came through
the platform's own exchange from the service that owns it (``shared.boundary``).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.boundary import FORGED_OR_MISROUTED
from shared.deadletters import DeadLetterQueue
from shared.staff_scope import COORDINATOR_ASSIGNED
from shared.testing.platform import TestPlatform, cloud_event, eventually
from shared.topology import EVENTS_EXCHANGE, INBOUND_EXCHANGE, ServiceTopology
from tests.portal import REGISTERED, registered, volunteer_data

CALENDAR_SCHEDULED = "pl.waw.calendar.event.scheduled.v1"


def coordinator_assigned(source: str = "/volunteering/registry") -> dict[str, Any]:
    data = {
        "branch_id": str(uuid.uuid4()),
        "code": "wola-12",
        "staff_id": str(uuid.uuid4()),
        "subject": "kc-intruder",
        "name": "Ewa Intruz",
        "email": "ewa.intruz@example.pl",
        "language": "pl",
    }
    return cloud_event(COORDINATOR_ASSIGNED, data, source=source)


async def coordinators_in_matching(platform: TestPlatform) -> int:
    count = await platform.fetchval(
        "SELECT count(*) FROM matching.staff_assignments WHERE role = 'coordinator'"
    )
    return int(count or 0)


async def volunteers_in_matching(platform: TestPlatform) -> int:
    return int(await platform.fetchval("SELECT count(*) FROM matching.volunteers") or 0)


# Each: (event, exchange, routing key, what the detail names).
FORGERIES: dict[str, tuple[dict[str, Any], str, str, str]] = {
    # An outside publisher makes itself a branch's coordinator under a portal routing key.
    "registry's type under a portal key on city.inbound": (
        coordinator_assigned(),
        INBOUND_EXCHANGE,
        REGISTERED,
        "the type is not the routing key",
    ),
    "a portal type from another source": (
        cloud_event(REGISTERED, volunteer_data("forged"), source="/city/somebody-else"),
        INBOUND_EXCHANGE,
        REGISTERED,
        "not from the source of the portal",
    ),
    "a registry type from matching's source on volunteering.events": (
        coordinator_assigned(source="/volunteering/matching"),
        EVENTS_EXCHANGE,
        COORDINATOR_ASSIGNED,
        "not from the source of registry",
    ),
}


@pytest.mark.parametrize("case", list(FORGERIES))
async def test_a_forged_or_misrouted_event_is_dead_lettered_and_not_applied(
    platform: TestPlatform, case: str
) -> None:
    event, exchange, routing_key, detail_fragment = FORGERIES[case]
    async with platform.running("matching"):
        await platform.publish(
            event, exchange=exchange, routing_key=routing_key, message_id=str(event["id"])
        )
        await platform.publish_event(registered("genuine-after-forged"))

        async def genuine_applied() -> bool:
            return await volunteers_in_matching(platform) == 1

        await eventually(genuine_applied, message="the genuine event after the forged one")
        letters = await platform.dead_letters("matching")
    assert await coordinators_in_matching(platform) == 0
    assert [letter.reason for letter in letters] == [FORGED_OR_MISROUTED]
    assert detail_fragment in letters[0].detail
    assert letters[0].message_id == event["id"]
    # The detail names the type, routing key and exchange, never a value of the data.
    for value in ("Ewa Intruz", "ewa.intruz@example.pl", "kc-intruder", "Kowalska-Nowak"):
        assert value not in letters[0].detail


async def test_a_calendar_type_from_the_portal_is_refused(platform: TestPlatform) -> None:
    event = cloud_event(
        CALENDAR_SCHEDULED, {"calendar_id": "c-1"}, source="/city/portal"
    )  # the portal's source: the portal's user may not speak for the calendar
    async with platform.running("matching"):
        await platform.publish_event(event)

        async def refused() -> list[str]:
            return [letter.reason for letter in await platform.dead_letters("matching")]

        assert await eventually(refused) == [FORGED_OR_MISROUTED]


async def test_the_configured_sources_are_the_ones_accepted(platform: TestPlatform) -> None:
    async with platform.running("matching", portal_source="/city/portal-2026"):
        await platform.publish_event(registered("old-source"))  # /city/portal
        renamed = cloud_event(REGISTERED, volunteer_data("new-source"), source="/city/portal-2026")
        await platform.publish_event(renamed)

        async def applied() -> bool:
            return await volunteers_in_matching(platform) == 1

        await eventually(applied)
        letters = await platform.dead_letters("matching")
    assert [letter.reason for letter in letters] == [FORGED_OR_MISROUTED]
    assert await platform.fetchval("SELECT portal_id FROM matching.volunteers") == "new-source"


async def test_registry_s_own_event_on_volunteering_events_is_applied(
    platform: TestPlatform,
) -> None:
    event = coordinator_assigned()
    async with platform.running("matching"):
        await platform.publish(
            event,
            exchange=EVENTS_EXCHANGE,
            routing_key=COORDINATOR_ASSIGNED,
            message_id=event["id"],
        )

        async def applied() -> bool:
            return await coordinators_in_matching(platform) == 1

        await eventually(applied)
    assert await platform.dead_letters("matching") == []


async def test_a_replayed_dead_letter_is_checked_where_it_first_came_from(
    platform: TestPlatform,
) -> None:
    """A genuine event parked by the consumer (here: before its branch was known) applies
    when replayed; a forged one replayed is refused again."""
    forged = coordinator_assigned(source="/city/portal")
    async with platform.running("matching", unexpected_error_attempts="1"):
        await platform.publish(
            forged, exchange=INBOUND_EXCHANGE, routing_key=REGISTERED, message_id=forged["id"]
        )
        genuine = registered("replayed-1")
        # Parked by hand, as the consumer parks it: with its exchange and routing key.
        await platform.publish(
            genuine,
            exchange="volunteering.dead-letters",
            routing_key="matching",
            message_id=genuine["id"],
            headers={
                "x-dead-letter-reason": "handler-error",
                "x-original-exchange": INBOUND_EXCHANGE,
                "x-original-routing-key": REGISTERED,
            },
        )

        async def both_parked() -> bool:
            return len(await platform.dead_letters("matching")) == 2

        await eventually(both_parked)
        queue = DeadLetterQueue(platform.amqp_url, ServiceTopology("matching"))
        assert sorted(await queue.replay(None)) == sorted([forged["id"], genuine["id"]])

        async def genuine_applied() -> bool:
            return await volunteers_in_matching(platform) == 1

        await eventually(genuine_applied)

        async def forged_parked_again() -> list[str]:
            return [letter.message_id for letter in await platform.dead_letters("matching")]

        assert await eventually(forged_parked_again) == [forged["id"]]
    assert await coordinators_in_matching(platform) == 0
