"""The child-protection check is a record that expires, and the branch is told about it.

Dates are counted from today (Warsaw), since the service judges checks against today.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from matching import child_protection
from matching.domain.eligibility import check_expires_on
from matching.domain.schedule import WARSAW
from shared.testing.platform import TestPlatform, eventually
from tests.test_matching_support import (
    bearer,
    branch_id,
    client,
    enrol_branch,
    one_off_task,
    publish_registry,
    register_volunteers,
    registry_event,
    wait_enrolled,
)

STAFF_ID = "2b7c1f7e-0000-4000-8000-00000000c001"


def today() -> date:
    return datetime.now(WARSAW).date()


def task_on(day: date) -> dict[str, Any]:
    schedule = {"kind": "one_off", "first_day": day.isoformat(), "start": "10:00", "end": "12:00"}
    return one_off_task(with_children=True, min_age=None, schedule=schedule)


def check(register: date, record: date | None) -> dict[str, Any]:
    return {
        "branch_code": "wola-12",
        "register_checked_on": register.isoformat(),
        "criminal_record_on": record.isoformat() if record else None,
    }


async def test_a_check_records_who_what_and_when_and_expires(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "reader")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(
            platform.token("coordinator", branches=("wola-12",), subject="kc-koordynatorka")
        )
        volunteer = bearer(platform.token("volunteer", subject=ids["reader"]))
        task_day = today() + timedelta(days=20)
        task = (await http.post("/v1/tasks", json=task_on(task_day), headers=coordinator)).json()
        application = await http.post(f"/v1/tasks/{task['id']}/applications", headers=volunteer)
        assert application.status_code == 201, application.text
        url = f"/v1/volunteers/{ids['reader']}/child-protection-check"
        accept = f"/v1/applications/{application.json()['id']}/accept"

        # Older than the period already: nothing to record.
        stale = today() - timedelta(days=400)
        refused = await http.put(url, json=check(stale, stale), headers=coordinator)
        assert refused.status_code == 422 and "expired" in refused.json()["detail"]

        # A check that holds today but expires before the task's day does not open it.
        register, record = today() - timedelta(days=350), today() - timedelta(days=355)
        recorded = await http.put(url, json=check(register, record), headers=coordinator)
        assert recorded.status_code == 200, recorded.text
        expires = check_expires_on(register, record, 12)
        assert today() < expires < task_day
        body = recorded.json()
        assert body["recorded_by"] == "kc-koordynatorka"
        assert body["branch_code"] == "wola-12"
        assert body["register_checked_on"] == register.isoformat()
        assert body["criminal_record_on"] == record.isoformat()
        assert body["expires_on"] == expires.isoformat()
        assert body["opens_work_with_children"] is True
        recorded_at = datetime.fromisoformat(body["recorded_at"])
        assert abs(recorded_at - datetime.now(WARSAW)) < timedelta(minutes=1)
        too_old = await http.post(accept, headers=coordinator)
        assert too_old.status_code == 409
        assert f"expires on {expires.isoformat()}" in too_old.json()["detail"]

        # Without a certificate the register check alone is recorded but opens nothing.
        alone = await http.put(url, json=check(today(), None), headers=coordinator)
        assert alone.json()["opens_work_with_children"] is False
        assert (await http.post(accept, headers=coordinator)).status_code == 409

        # Renewed: the new check counts, and the place is confirmed.
        renewed = await http.put(
            url, json=check(today(), today() - timedelta(days=3)), headers=coordinator
        )
        assert renewed.json()["opens_work_with_children"] is True
        accepted = await http.post(accept, headers=coordinator)
        assert accepted.status_code == 200, accepted.text

        history = (
            await http.get(
                f"/v1/volunteers/{ids['reader']}/child-protection-checks", headers=coordinator
            )
        ).json()
        assert [c["criminal_record_on"] for c in history] == [
            (today() - timedelta(days=3)).isoformat(),
            None,
            record.isoformat(),
        ]
        assert [c["opens_work_with_children"] for c in history] == [True, False, False]


async def test_a_shorter_period_is_a_setting(platform: TestPlatform) -> None:
    async with (
        platform.running("matching", child_protection_valid_months=3) as (matching,),
        client(matching) as http,
    ):
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "reader")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        volunteer = bearer(platform.token("volunteer", subject=ids["reader"]))
        task = (
            await http.post(
                "/v1/tasks", json=task_on(today() + timedelta(days=10)), headers=coordinator
            )
        ).json()
        await http.post(f"/v1/tasks/{task['id']}/applications", headers=volunteer)
        four_months_ago = today() - timedelta(days=122)
        refused = await http.put(
            f"/v1/volunteers/{ids['reader']}/child-protection-check",
            json=check(four_months_ago, four_months_ago),
            headers=coordinator,
        )
        assert refused.status_code == 422, refused.text
        assert "3 months" in refused.json()["detail"]


async def test_the_branch_is_told_once_before_and_once_when_a_check_expires(
    platform: TestPlatform,
) -> None:
    services = ("matching", "notifications")
    async with (
        platform.running(*services, sender_enabled=False, child_protection_sweep_interval_s=0) as (
            matching,
            _,
        ),
        client(matching) as http,
    ):
        await enrol_branch(platform, "wola-12")
        await publish_registry(
            platform,
            registry_event(
                "coordinator.assigned.v1",
                {
                    "branch_id": branch_id("wola-12"),
                    "code": "wola-12",
                    "staff_id": STAFF_ID,
                    "name": "Ewa Nowak",
                    "email": "ewa.nowak@biblioteka.waw.pl",
                    "language": "pl",
                    "subject": "kc-ewa",
                },
            ),
        )
        ids = await register_volunteers(platform, "expiring", "renewed", first_name="Tymon")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",), subject="kc-ewa"))
        admin = bearer(platform.token("city_admin"))
        task = (
            await http.post(
                "/v1/tasks", json=task_on(today() + timedelta(days=5)), headers=coordinator
            )
        ).json()
        old = today() - timedelta(days=345)  # expires in about three weeks
        for portal_id in ("expiring", "renewed"):
            volunteer = bearer(platform.token("volunteer", subject=ids[portal_id]))
            await http.post(f"/v1/tasks/{task['id']}/applications", headers=volunteer)
            recorded = await http.put(
                f"/v1/volunteers/{ids[portal_id]}/child-protection-check",
                json=check(old, old),
                headers=coordinator,
            )
            assert recorded.status_code == 200, recorded.text
        # A renewed check replaces the old one: only the one that counts is told of.
        await http.put(
            f"/v1/volunteers/{ids['renewed']}/child-protection-check",
            json=check(today(), today()),
            headers=coordinator,
        )
        expires = check_expires_on(old, old, 12)

        sweep = "/v1/child-protection-checks/sweep"
        assert (await http.post(sweep, headers=coordinator)).status_code == 403
        first = await http.post(sweep, headers=admin)
        assert first.json() == {"expiring": 1, "expired": 0}, first.text
        assert (await http.post(sweep, headers=admin)).json() == {"expiring": 0, "expired": 0}
        # The day it expires (the date injected): told once more, and only once.
        for expected in (1, 0):
            async with matching.unit_of_work() as uow:
                result = await child_protection.sweep(uow, today=expires, notice_days=30)
            assert (result.expiring, result.expired) == (0, expected)

        async def told() -> list[Any]:
            rows = await platform.fetch(
                "SELECT template, recipient_ref, address, subject, body"
                " FROM notifications.messages WHERE template LIKE 'child_protection%'"
                " ORDER BY template DESC"
            )
            return rows if len(rows) == 2 else []

        messages = await eventually(told, message="the coordinator is told twice")

    events = await platform.fetch(
        "SELECT event_type, body FROM matching.outbox"
        " WHERE event_type LIKE '%child_protection_check%' ORDER BY seq"
    )
    facts = [
        (row["event_type"].removeprefix("pl.waw.volunteering.matching."), json.loads(row["body"]))
        for row in events
    ]
    assert [fact for fact, _ in facts] == [
        "child_protection_check.expiring.v1",
        "child_protection_check.expired.v1",
    ]
    for _, event in facts:
        assert event["data"]["volunteer_id"] == ids["expiring"]
        assert event["data"]["branch_code"] == "wola-12"
        assert event["data"]["expires_on"] == expires.isoformat()
        uuid.UUID(event["data"]["check_id"])

    polish_date = expires.strftime("%d.%m.%Y")
    assert [m["template"] for m in messages] == [
        "child_protection_expiring",
        "child_protection_expired",
    ]
    for message in messages:
        assert message["recipient_ref"] == f"staff:{STAFF_ID}"
        assert message["address"] == "ewa.nowak@biblioteka.waw.pl"
        assert "Weryfikacja do pracy z dziećmi" in message["subject"]
        assert polish_date in message["body"]
        assert f"/koordynator/wolontariusze/{ids['expiring']}" in message["body"]
        assert "Tymon" not in message["body"]  # no name in a message about someone
