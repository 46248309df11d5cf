"""Reporting on the real broker and database: agreed events in, figures and exports out.

The events are published onto ``volunteering.events`` as registry, matching and
notifications would publish them, shuffled and partly duplicated; the figures must be
those of the ordered scenario, the dashboard's answers from the totals those computed
from the snapshots, a rebuild from the fact log must write exactly the same snapshots and
totals, and an erasure must change nothing but the count of erased volunteers.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import aio_pika
import httpx
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pypdf import PdfReader

from reporting import demo
from reporting.api.monitoring import MonitoringRow
from reporting.api.reports import BranchStagesRow
from reporting.domain import facts as f
from reporting.domain.monitoring import branch_stages, monitoring_rows
from reporting.domain.views import Filters
from reporting.projections import load_state
from shared.db import Database
from shared.service import Service
from shared.testing.platform import TestPlatform, cloud_event, eventually
from shared.topology import EVENTS_EXCHANGE

EDITION_2026 = demo.uid("edition:2026")
VIEWS = (
    "/v1/reports/summary",
    f"/v1/reports/summary?edition_id={EDITION_2026}",
    "/v1/reports/breakdown?by=edition",
    f"/v1/reports/breakdown?by=district&edition_id={EDITION_2026}",
    "/v1/reports/breakdown?by=task_type",
    "/v1/reports/breakdown?by=institution_type",
    "/v1/reports/breakdown?by=branch&date_from=2026-01-01",
    "/v1/reports/timeseries?period=week",
    "/v1/reports/timeseries?period=month",
    "/v1/reports/retention?by=edition",
    "/v1/reports/retention?by=month",
    "/v1/reports/branches",
    "/v1/monitoring?as_of=2026-06-01",
    "/v1/reports/summary?task_type=reading_help",
    f"/v1/reports/summary?district=wola&edition_id={EDITION_2026}",
    f"/v1/reports/breakdown?by=branch&edition_id={EDITION_2026}",
    f"/v1/reports/timeseries?period=month&edition_id={EDITION_2026}",
    "/v1/reports/messages",
)
# Read from the totals; the same question with a date range that excludes nothing is
# computed from the snapshots instead: the two must agree.
FROM_TOTALS = (
    "/v1/reports/summary?",
    f"/v1/reports/summary?edition_id={EDITION_2026}&",
    "/v1/reports/summary?task_type=reading_help&",
    f"/v1/reports/summary?institution_type=library_branch&edition_id={EDITION_2026}&",
    "/v1/reports/breakdown?by=edition&",
    f"/v1/reports/breakdown?by=district&edition_id={EDITION_2026}&",
    "/v1/reports/breakdown?by=task_type&",
    "/v1/reports/breakdown?by=branch&",
    "/v1/reports/timeseries?period=week&",
    f"/v1/reports/timeseries?period=month&edition_id={EDITION_2026}&",
)
TOTALS_TABLES = {
    "snapshots": "kind, key",
    "contributions": "kind, key",
    "totals": "edition, grouped_by, value",
    "total_volunteers": "edition, grouped_by, value, volunteer_id",
    "total_branches": "edition, grouped_by, value, branch_id",
    "message_totals": "channel, template",
    "branch_activity": "kind, key",
}


async def publish_events(platform: TestPlatform, events: list[dict[str, Any]]) -> None:
    """As registry and matching publish: persistent, confirmed, message id = event id."""
    connection = await aio_pika.connect(platform.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(EVENTS_EXCHANGE, ensure=False)
        for event in events:
            await exchange.publish(
                aio_pika.Message(
                    json.dumps(event).encode(),
                    content_type="application/cloudevents+json",
                    message_id=event["id"],
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=event["type"],
            )


async def facts_logged(platform: TestPlatform) -> int:
    return int(await platform.fetchval("SELECT count(*) FROM reporting.facts") or 0)


async def wait_for_facts(platform: TestPlatform, expected: int) -> None:
    async def all_logged() -> bool:
        return await facts_logged(platform) >= expected

    await eventually(all_logged, message=f"reporting did not log {expected} facts")


async def read_tables(platform: TestPlatform) -> dict[str, list[tuple[Any, ...]]]:
    """The snapshots and every totals table, row by row."""
    return {
        table: [
            tuple(row)
            for row in await platform.fetch(f"SELECT * FROM reporting.{table} ORDER BY {order}")
        ]
        for table, order in TOTALS_TABLES.items()
    }


def client_for(
    service: Service, platform: TestPlatform, *roles: str, **claims: Any
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.http),
        base_url="http://reporting",
        headers={"authorization": f"Bearer {platform.token(*roles, **claims)}"},
    )


async def every_view(client: httpx.AsyncClient) -> dict[str, Any]:
    result = {}
    for path in VIEWS:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text)
        result[path] = response.json()
    return result


@pytest.fixture
async def reporting(platform: TestPlatform) -> AsyncIterator[Service]:
    async with platform.running("reporting") as (service,):
        yield service


async def test_shuffled_and_duplicated_events_give_the_scenarios_numbers_and_rebuild_agrees(
    platform: TestPlatform, reporting: Service
) -> None:
    ordered = demo.scenario()
    # The figures must be the ordered scenario's (the unit tests derive the same from
    # the facts in order); the rebuild replays the log in the order the facts arrived.
    shuffled = random.Random(7).sample(ordered, k=len(ordered))
    redelivered = random.Random(8).sample(ordered, k=10)  # same ids: the inbox drops them
    republished = [  # same facts under new ids: the merge rules absorb them
        {**event, "id": str(uuid.uuid4())} for event in random.Random(9).sample(ordered, k=10)
    ]
    await publish_events(platform, shuffled + redelivered + republished)
    await wait_for_facts(platform, len(ordered) + len(republished))

    async with client_for(reporting, platform, "city_admin") as client:
        live = await every_view(client)
        summary = live[f"/v1/reports/summary?edition_id={EDITION_2026}"]
        assert summary == {
            "branches_enrolled": 2,
            "volunteers_recruited": 3,
            "volunteers_active": 1,
            "approved_hours": "2.5",
            "tasks_published": 3,
            "tasks_cancelled": 1,
            "tasks_filled": 2,
            "fill_rate": 1.0,
            "no_shows": 1,
            "minors_share": 0.3333,
            "proposals_made": 4,
            "proposals_accepted": 1,
            "proposals_declined": 1,
            "proposals_expired": 1,
            "certificates_issued": 1,
        }
        counts = (await client.get("/v1/volunteers/count")).json()
        assert counts == {"registered": 4, "erased": 0, "current": 4, "minors": 1}
        for path in FROM_TOTALS:
            computed = (await client.get(path + "date_from=1900-01-01")).json()
            assert (await client.get(path)).json() == computed, path
        messages = {
            (m["channel"], m["template"]): (m["sent"], m["failed"])
            for m in live["/v1/reports/messages"]["items"]
        }
        assert messages == {
            ("email", "assignment_confirmed"): (1, 0),
            ("in_app", "assignment_confirmed"): (1, 0),
            ("sms", "shift_reminder"): (1, 1),
        }

        live_tables = await read_tables(platform)
        assert all(live_tables.values())
        env = {**os.environ, **platform.env("reporting")}
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "reporting", "rebuild"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert f"from {len(ordered) + len(republished)} facts" in done.stdout

        assert await read_tables(platform) == live_tables
        assert await every_view(client) == live
        assert (await client.get("/v1/volunteers/count")).json() == counts


async def test_an_erasure_keeps_every_number_but_the_erased_count(
    platform: TestPlatform, reporting: Service
) -> None:
    events = demo.scenario()
    await publish_events(platform, events)
    await wait_for_facts(platform, len(events))
    async with client_for(reporting, platform, "city_admin") as client:
        before = await every_view(client)

        erased = cloud_event(
            f.VOLUNTEER_ERASED,
            {"volunteer_id": demo.uid("volunteer:ola")},
            source=demo.MATCHING,
        )
        await publish_events(platform, [erased])
        await wait_for_facts(platform, len(events) + 1)

        assert await every_view(client) == before
        counts = (await client.get("/v1/volunteers/count")).json()
        assert counts == {"registered": 4, "erased": 1, "current": 3, "minors": 1}
    # The fact log and the read models hold ids and facts: no names, no emails.
    stored = await platform.fetch("SELECT data::text AS data FROM reporting.facts")
    assert stored and not any("@" in row["data"] or "Kowalska" in row["data"] for row in stored)


async def test_cached_views_follow_every_new_fact(
    platform: TestPlatform, reporting: Service
) -> None:
    events = demo.scenario()
    await publish_events(platform, events)
    await wait_for_facts(platform, len(events))
    path = f"/v1/reports/summary?edition_id={EDITION_2026}"
    async with client_for(reporting, platform, "city_admin") as client:
        assert (await client.get(path)).json()["volunteers_active"] == 1
        assert (await client.get(path)).json()["volunteers_active"] == 1  # from the cache
        hours = next(
            e
            for e in events
            if e["type"] == f.matching("hours.logged.v1")
            and e["data"]["entry_id"] == demo.uid("hours:a5")
        )
        approved = cloud_event(f.matching("hours.approved.v1"), hours["data"], source=demo.MATCHING)
        await publish_events(platform, [approved])

        async def piotr_counted() -> bool:
            return bool((await client.get(path)).json()["volunteers_active"] == 2)

        await eventually(piotr_counted, message="the cached summary did not follow the fact")


async def test_monitoring_and_stages_over_http_answer_as_the_views_and_follow_new_hours(
    platform: TestPlatform, reporting: Service
) -> None:
    """Served from the small kinds and ``branch_activity``: the views' rows over every
    snapshot, before and after a new hours entry moves a branch's last activity."""
    events = demo.scenario()
    await publish_events(platform, events)
    await wait_for_facts(platform, len(events))
    database = Database(platform.database_url("reporting"), "reporting")
    days = ("2025-01-01", "2025-04-11", "2026-03-02", "2026-06-01", "2026-07-01", "2027-01-01")

    async def served_and_expected() -> tuple[list[Any], list[Any]]:
        async with database.transaction() as session:
            state = await load_state(session)
        served: list[Any] = []
        expected: list[Any] = []
        for day in days:
            page = (await client.get(f"/v1/monitoring?as_of={day}&limit=1000")).json()
            served.append(page["items"])
            rows = monitoring_rows(state, Filters(), date.fromisoformat(day))
            expected.append([MonitoringRow.model_validate(r).model_dump(mode="json") for r in rows])
        exported = (await client.get("/v1/exports/monitoring.csv?as_of=2026-07-01")).content
        served.append(exported.decode("utf-8-sig").count("\n"))
        expected.append(len(expected[days.index("2026-07-01")]) + 1)
        page = (await client.get("/v1/reports/branches?limit=1000")).json()
        served.append(page["items"])
        rows = branch_stages(state, Filters())
        expected.append([BranchStagesRow.model_validate(r).model_dump(mode="json") for r in rows])
        return served, expected

    try:
        async with client_for(reporting, platform, "city_admin") as client:
            served, expected = await served_and_expected()
            assert served == expected
            july = {row["branch"]: row for row in served[days.index("2026-07-01")]}
            assert "no_activity_30_days" in july["wola-12"]["risks"]

            logged = next(
                e
                for e in events
                if e["type"] == f.matching("hours.logged.v1")
                and e["data"]["branch_code"] == "wola-12"
            )
            entry = {**logged["data"], "entry_id": str(uuid.uuid4()), "worked_on": "2026-06-20"}
            await publish_events(
                platform, [cloud_event(f.matching("hours.logged.v1"), entry, source=demo.MATCHING)]
            )
            await wait_for_facts(platform, len(events) + 1)

            served, expected = await served_and_expected()
            assert served == expected
            july = {row["branch"]: row for row in served[days.index("2026-07-01")]}
            assert july["wola-12"]["last_activity_on"] == "2026-06-20"
            assert "no_activity_30_days" not in july["wola-12"]["risks"]
    finally:
        await database.dispose()


async def test_who_sees_what(platform: TestPlatform, reporting: Service) -> None:
    events = demo.scenario()
    await publish_events(platform, events)
    await wait_for_facts(platform, len(events))
    trainer = client_for(reporting, platform, "trainer", branches=("wola-12", "wola-7"))
    coordinator = client_for(reporting, platform, "coordinator", branches=("wola-7",))
    volunteer = client_for(reporting, platform, "volunteer")
    async with trainer, coordinator, volunteer:
        mine = (await trainer.get("/v1/reports/breakdown?by=branch")).json()
        assert sorted(row["key"] for row in mine["items"]) == ["wola-12", "wola-7"]
        second = (await trainer.get("/v1/reports/breakdown?by=branch&limit=1&offset=1")).json()
        assert (second["total"], [row["key"] for row in second["items"]]) == (2, ["wola-7"])
        risky = (await trainer.get("/v1/monitoring?as_of=2026-07-01&at_risk=true")).json()
        assert {row["branch"] for row in risky["items"]} == {"wola-12", "wola-7"}
        calm = (await trainer.get("/v1/monitoring?as_of=2026-07-01&at_risk=false")).json()
        assert calm["items"] == []
        own = (await coordinator.get("/v1/reports/branches")).json()
        assert [row["branch"] for row in own["items"]] == ["wola-7"]
        monitoring = (await coordinator.get("/v1/monitoring?as_of=2026-06-01")).json()
        assert [row["branch"] for row in monitoring["items"]] == ["wola-7"]

        other = await coordinator.get("/v1/reports/summary?branch=wola-12")
        assert other.status_code == 403
        assert other.headers["content-type"] == "application/problem+json"
        assert (await volunteer.get("/v1/reports/summary")).status_code == 403
        assert (await trainer.get("/v1/exports/open-data.csv")).status_code == 403
        bad = await trainer.get("/v1/reports/breakdown?by=colour")
        assert bad.status_code == 422
        anonymous = await httpx.AsyncClient(
            transport=httpx.ASGITransport(app=reporting.http), base_url="http://reporting"
        ).get("/v1/reports/summary")
        assert anonymous.status_code == 401


async def test_exports_over_http(platform: TestPlatform, reporting: Service) -> None:
    events = demo.scenario()
    await publish_events(platform, events)
    await wait_for_facts(platform, len(events))
    async with client_for(reporting, platform, "city_admin") as admin:
        csv_response = await admin.get("/v1/exports/breakdown.csv?by=district")
        assert csv_response.status_code == 200
        assert csv_response.headers["content-type"].startswith("text/csv")
        assert csv_response.content.decode("utf-8-sig").splitlines()[0].startswith("key,label,")

        xlsx = await admin.get("/v1/exports/branches.xlsx")
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert next(sheet.values)[0] == "branch"

        open_data = await admin.get("/v1/exports/open-data.csv")
        assert open_data.status_code == 200 and b"<3" in open_data.content

        pdf = await admin.get(f"/v1/exports/editions/{EDITION_2026}/report.pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "Raport z edycji programu: Edycja 2026" in text
        assert "Postęp etapów wdrożenia w placówkach" in text
        assert "Wydane zaświadczenia 1" in text

        missing = await admin.get(f"/v1/exports/editions/{uuid.uuid4()}/report.pdf")
        assert missing.status_code == 404
