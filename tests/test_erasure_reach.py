"""Register, dead-letter, erase: then no table, outbox, inbox, parked queue or log line of
the run holds the person's name, e-mail or phone."""

from __future__ import annotations

from datetime import date

import pytest

from shared.deadletters import browse, parked_queues
from shared.testing.platform import TestPlatform, cloud_event, eventually
from tests.portal import REGISTERED, erasure_requested, volunteer_data

NAME, EMAIL, PHONE = "Jagoda", "jagoda.erasure@example.pl", "+48609111222"


async def test_an_erased_refused_registration_leaves_no_trace(
    platform: TestPlatform, capfd: pytest.CaptureFixture[str]
) -> None:
    # 15 years old, no guardian: matching refuses it, so it is dead-lettered whole.
    data = volunteer_data(
        "minor-erased",
        first_name=NAME,
        email=EMAIL,
        phone=PHONE,
        birth_date=date(2011, 6, 1).isoformat(),
    )
    async with platform.running("matching", "notifications", parked_purge_interval_s=0.5):
        await platform.publish_event(cloud_event(REGISTERED, data))

        async def parked() -> bool:
            return len(await platform.dead_letters("matching")) == 1

        await eventually(parked, message="the refused registration was not dead-lettered")
        letter = (await platform.dead_letters("matching"))[0]
        assert letter.reason == "invalid-data" and "guardian" in letter.detail
        await platform.publish_event(erasure_requested("minor-erased"))

        async def purged() -> bool:
            pending = await platform.fetchval("SELECT count(*) FROM matching.parked_purges")
            erased = await platform.fetchval("SELECT count(*) FROM matching.erased_portal_ids")
            return bool(pending == 0 and erased == 1)

        await eventually(purged, message="the erasure did not reach the parked messages")

    leftovers: list[str] = []
    for queue in parked_queues():
        for parked_letter in await browse(platform.amqp_url, queue):
            text = f"{parked_letter.body_preview} {parked_letter.detail}"
            leftovers += [f"{queue}: {v}" for v in (NAME, EMAIL, PHONE) if v in text]
    tables = await platform.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables"
        " WHERE table_schema IN ('registry', 'matching', 'notifications', 'reporting')"
        " AND table_type = 'BASE TABLE'"
    )
    for table in tables:
        name = f'"{table["table_schema"]}"."{table["table_name"]}"'
        rows = await platform.fetch(
            f"SELECT t::text AS row, "
            f"(SELECT string_agg(convert_from(body, 'UTF8'), ' ') FROM {name} o) AS body "
            f"FROM {name} t"
            if table["table_name"] == "outbox"
            else f"SELECT t::text AS row, '' AS body FROM {name} t"
        )
        for row in rows:
            text = f"{row['row']} {row['body'] or ''}"
            leftovers += [f"{name}: {v}" for v in (NAME, EMAIL, PHONE) if v in text]
    captured = capfd.readouterr()
    for line in (captured.out + captured.err).splitlines():
        leftovers += [f"log: {v}" for v in (NAME, EMAIL, PHONE) if v in line]
    assert leftovers == []
