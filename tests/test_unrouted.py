"""No internal event dropped silently: an event published before its consumer's queue
exists is kept in its exchange's unrouted queue, and delivered once the queue is there
(``python -m shared.unrouted replay``)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from shared import unrouted
from shared.testing.platform import TestPlatform, eventually
from shared.topology import CONTACTS_EXCHANGE, EVENTS_EXCHANGE, UNROUTED
from tests.portal import registered

REGISTERED_INTERNAL = "pl.waw.volunteering.matching.volunteer.registered.v1"
CONTACT_CHANGED = "pl.waw.volunteering.matching.volunteer.contact.changed.v1"


def unrouted_count() -> float:
    return REGISTRY.get_sample_value("outbox_events_unrouted_total", {"service": "matching"}) or 0


@pytest.mark.parametrize("policies", [False, True], ids=["kept-by-the-relay", "alternate-exchange"])
async def test_an_event_published_before_its_consumer_exists_is_kept_and_delivered_later(
    platform: TestPlatform, policies: bool
) -> None:
    settings = {"broker_management_url": platform.management_url} if policies else {}
    before = unrouted_count()
    # Matching alone: nobody consumes its volunteer.registered nor its contact.changed yet.
    async with platform.running("matching", **settings):
        await platform.publish_event(registered("early-1"))

        async def both_kept() -> list[unrouted.UnroutedMessage]:
            found = await unrouted.peek(platform.amqp_url)
            return found if len(found) == 2 else []

        kept = await eventually(both_kept, message="both events kept as unrouted")
    by_type = {message.routing_key: message for message in kept}
    assert by_type[REGISTERED_INTERNAL].queue == UNROUTED[EVENTS_EXCHANGE]
    assert by_type[REGISTERED_INTERNAL].exchange == EVENTS_EXCHANGE
    # Contact data stays with the contacts exchange, unrouted or not.
    assert by_type[CONTACT_CHANGED].queue == UNROUTED[CONTACTS_EXCHANGE]
    assert by_type[CONTACT_CHANGED].exchange == CONTACTS_EXCHANGE
    # Without the alternate exchange the relay kept them, counting them as unrouted.
    assert unrouted_count() - before == (0 if policies else 2)
    # Listing them took nothing away.
    assert len(await unrouted.peek(platform.amqp_url)) == 2

    async with platform.running("reporting", **settings):
        # Reporting's queue exists now (registry's, notifications' not yet).
        sent = await unrouted.replay(platform.amqp_url)
        # Without an alternate exchange the broker says it found no queue for the contact
        # event; with one, the alternate exchange takes it back into its unrouted queue.
        expected = [REGISTERED_INTERNAL, CONTACT_CHANGED] if policies else [REGISTERED_INTERNAL]
        assert [message.routing_key for message in sent] == expected

        async def counted() -> bool:
            total = await platform.fetchval("SELECT registered FROM reporting.volunteer_totals")
            return bool(total == 1)

        await eventually(counted, message="reporting counted the replayed event")
        assert await platform.dead_letters("reporting") == []
    # The contact event found no queue again: it is kept, not lost.

    async def contact_kept_again() -> list[str]:
        return [message.routing_key for message in await unrouted.peek(platform.amqp_url)]

    assert await eventually(contact_kept_again) == [CONTACT_CHANGED]
    assert (
        await platform.fetchval("SELECT count(*) FROM matching.outbox WHERE published_at IS NULL")
        == 0
    )
