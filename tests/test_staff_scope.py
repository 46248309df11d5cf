"""Staff branch scope comes from registry's assignments, in every service, within seconds.

On the real broker and database: registry assigns a coordinator and a trainer; their
production-style RS256 tokens (no ``branches`` claim, or a false one) are let in to their
branch in matching, notifications and reporting once the events arrive, and kept out as
soon as registry unassigns them. Erasing them in registry leaves their name, e-mail and
phone in no table of any service.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any

import httpx

from registry.assignments import announce_assignments
from registry.testing import Registry
from shared.cloudevents import CloudEvent
from shared.service import Service
from shared.testing.platform import TestPlatform, eventually
from shared.testing.staff import JwksIssuer
from shared.topology import EVENTS_EXCHANGE

SERVICES = ("registry", "matching", "notifications", "reporting")


@asynccontextmanager
async def clients(services: list[Service]) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    opened: dict[str, httpx.AsyncClient] = {}
    try:
        for service in services:
            transport = httpx.ASGITransport(app=service.http)
            opened[service.name] = httpx.AsyncClient(transport=transport, base_url="http://svc")
        yield opened
    finally:
        for client in opened.values():
            await client.aclose()


async def programme(registry: Registry) -> dict[str, Any]:
    """Two enrolled branches; wola-12 gets a coordinator and a trainer with user ids."""
    edition = await registry.edition(2026)
    await registry.branch("wola-12")
    await registry.branch("mokotow-3", name="Biblioteka na Mokotowie")
    enrolment = await registry.enrol(edition, "wola-12")
    await registry.enrol(edition, "mokotow-3")
    coordinator = await registry.call(
        "POST",
        "/v1/staff",
        expect=201,
        json={
            "name": "Agnieszka Zakrzewska-Ołdakowska",
            "email": "agnieszka.zakrzewska@biblioteka-wola.example.pl",
            "phone": "+48601234567",
            "subject": "kc-agnieszka",
        },
    )
    trainer = await registry.call(
        "POST",
        "/v1/trainers",
        expect=201,
        json={
            "name": "Bartłomiej Trenerowicz",
            "email": "bartlomiej.trenerowicz@fundacja.example.pl",
            "phone": "+48609876543",
            "subject": "kc-bartlomiej",
            "organisation": "Fundacja Szkoleń Wolontariatu",
        },
    )
    await registry.call(
        "POST",
        "/v1/branches/wola-12/coordinators",
        expect=201,
        json={"staff_id": coordinator["id"]},
    )
    await registry.call(
        "POST",
        f"/v1/enrolments/{enrolment['id']}/trainers",
        expect=201,
        json={"trainer_id": trainer["id"]},
    )
    return {"enrolment": enrolment, "coordinator": coordinator, "trainer": trainer}


def task_body(branch: str) -> dict[str, Any]:
    first_day = date.today() + timedelta(days=10)
    return {
        "branch_code": branch,
        "type": "reading_help",
        "title": "Głośne czytanie dla dzieci",
        "schedule": {"kind": "one_off", "first_day": first_day.isoformat(), "start": "10:00",
                     "end": "12:00"},
        "places": 2,
        "min_age": 13,
        "skills": [],
        "with_children": False,
    }  # fmt: skip


Probe = Callable[[str], Awaitable[dict[str, bool]]]


def coordinator_probe(http: dict[str, httpx.AsyncClient], task_id: str) -> Probe:
    """Whether a coordinator's token is let in to wola-12 in each service."""

    async def probe(token: str) -> dict[str, bool]:
        headers = {"authorization": f"Bearer {token}"}
        answers = {
            "matching": await http["matching"].get(
                f"/v1/tasks/{task_id}/applications", headers=headers
            ),
            "notifications": await http["notifications"].get(
                "/v1/messages", params={"branch_code": "wola-12"}, headers=headers
            ),
            "reporting": await http["reporting"].get(
                "/v1/reports/summary", params={"branch": "wola-12"}, headers=headers
            ),
        }
        for name, answer in answers.items():
            assert answer.status_code in (200, 403, 404), f"{name}: {answer.text}"
        return {name: answer.status_code == 200 for name, answer in answers.items()}

    return probe


async def test_unassigning_in_registry_ends_access_in_every_service_within_seconds(
    platform: TestPlatform,
) -> None:
    issuer = JwksIssuer()
    with issuer.serving() as jwks_url:
        async with (
            platform.running(*SERVICES, sender_enabled=False, auth_jwks_url=jwks_url) as started,
            clients(started) as http,
        ):
            registry = Registry(platform, started[0], http["registry"])
            ids = await programme(registry)
            admin = {"authorization": f"Bearer {issuer.sign('city_admin', subject='kc-city')}"}

            async def matching_knows_the_branch() -> str | None:
                response = await http["matching"].post(
                    "/v1/tasks", json=task_body("wola-12"), headers=admin
                )
                assert response.status_code in (201, 404, 409), response.text
                return str(response.json()["id"]) if response.status_code == 201 else None

            task_id = await eventually(matching_knows_the_branch, timeout=30)
            assert task_id is not None
            probe = coordinator_probe(http, task_id)
            # The token names no branch: registry's assignment is what counts.
            coordinator = issuer.sign("coordinator", subject="kc-agnieszka")
            everywhere = {"matching": True, "notifications": True, "reporting": True}
            nowhere = dict.fromkeys(everywhere, False)

            async def let_in() -> bool:
                return await probe(coordinator) == everywhere

            await eventually(let_in, timeout=30, message="the coordinator let in everywhere")
            # Someone else, whose token claims wola-12, is let in nowhere.
            claims_it = issuer.sign("coordinator", subject="kc-nobody", branches=("wola-12",))
            assert await probe(claims_it) == nowhere
            # The same person's token as a trainer does not borrow the coordinator's branches.
            as_trainer = issuer.sign("trainer", subject="kc-agnieszka")
            summary = await http["reporting"].get(
                "/v1/reports/summary",
                params={"branch": "wola-12"},
                headers={"authorization": f"Bearer {as_trainer}"},
            )
            assert summary.status_code == 403

            unassigned_at = time.monotonic()
            await registry.call(
                "DELETE", f"/v1/branches/wola-12/coordinators/{ids['coordinator']['id']}",
                expect=204,
            )  # fmt: skip

            async def kept_out() -> bool:
                return await probe(coordinator) == nowhere

            await eventually(kept_out, timeout=10, message="the coordinator kept out everywhere")
            assert time.monotonic() - unassigned_at < 10

            # The trainer reads reporting for wola-12 until registry unassigns them too.
            trainer = issuer.sign("trainer", subject="kc-bartlomiej", branches=("mokotow-3",))

            async def trainer_sees(branch: str) -> int:
                answer = await http["reporting"].get(
                    "/v1/reports/summary",
                    params={"branch": branch},
                    headers={"authorization": f"Bearer {trainer}"},
                )
                return answer.status_code

            async def trainer_let_in() -> bool:
                return await trainer_sees("wola-12") == 200

            await eventually(trainer_let_in, timeout=30, message="the trainer let in")
            assert await trainer_sees("mokotow-3") == 403  # the claim counts for nothing
            enrolment_id = ids["enrolment"]["id"]
            trainer_id = ids["trainer"]["id"]
            await registry.call(
                "DELETE", f"/v1/enrolments/{enrolment_id}/trainers/{trainer_id}", expect=204
            )
            await registry.call(
                "DELETE", f"/v1/enrolments/{enrolment_id}/trainers/{trainer_id}", expect=404
            )

            async def trainer_kept_out() -> bool:
                return await trainer_sees("wola-12") == 403

            await eventually(trainer_kept_out, timeout=10, message="the trainer kept out")
            outbox = await platform.fetch(
                "SELECT event_type FROM registry.outbox"
                " WHERE event_type LIKE '%trainer.unassigned%'"
            )
            assert len(outbox) == 1


async def test_announcing_assignments_lets_a_late_service_catch_up(platform: TestPlatform) -> None:
    """Assignments made before a service kept its copy reach it when registry announces them."""
    async with platform.running("registry") as (registry_service,):
        transport = httpx.ASGITransport(app=registry_service.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            await programme(Registry(platform, registry_service, client))

        async def all_published() -> bool:
            waiting = await platform.fetchval(
                "SELECT count(*) FROM registry.outbox WHERE published_at IS NULL"
            )
            return bool(waiting == 0)

        await eventually(all_published, message="registry's events published")
        # Reporting's queue did not exist yet: what registry published went past it.
        async with platform.running("reporting"):
            assert await platform.fetchval("SELECT count(*) FROM reporting.staff_assignments") == 0
            async with registry_service.unit_of_work() as uow:
                assert await announce_assignments(uow) == 2

            async def caught_up() -> list[Any]:
                return await platform.fetch(
                    "SELECT a.role, a.branch_code, s.subject FROM reporting.staff_assignments a"
                    " JOIN reporting.staff_subjects s USING (role, person_id)"
                    " WHERE a.active ORDER BY a.role"
                )

            rows = await eventually(caught_up, message="reporting caught up")
            assert [tuple(row) for row in rows] == [
                ("coordinator", "wola-12", "kc-agnieszka"),
                ("trainer", "wola-12", "kc-bartlomiej"),
            ]


async def rows_holding(platform: TestPlatform, needles: list[str]) -> list[str]:
    """Every table of every service's schema, each row as text (byte columns decoded, as
    the outbox's bodies are): the tables and needles found."""
    columns = await platform.fetch(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = ANY($1::text[]) ORDER BY table_schema, table_name",
        list(SERVICES),
    )
    tables: dict[tuple[str, str], list[str]] = {}
    for column in columns:
        name = f'"{column["column_name"]}"'
        text = (
            f"convert_from({name}, 'UTF8')" if column["data_type"] == "bytea" else f"{name}::text"
        )
        tables.setdefault((column["table_schema"], column["table_name"]), []).append(text)
    found = []
    for (schema, table), texts in tables.items():
        row_text = " || ' ' || ".join(f"coalesce({text}, '')" for text in texts)
        for needle in needles:
            hits = await platform.fetchval(
                f'SELECT count(*) FROM "{schema}"."{table}" WHERE ({row_text}) ILIKE $1',
                f"%{needle}%",
            )
            if hits:
                found.append(f"{schema}.{table}: {needle!r} ×{hits}")
    return found


async def test_erased_staff_and_trainers_leave_no_name_or_email_in_any_service(
    platform: TestPlatform,
) -> None:
    issuer = JwksIssuer()
    with issuer.serving() as jwks_url:
        async with (
            platform.running(*SERVICES, sender_enabled=False, auth_jwks_url=jwks_url) as started,
            clients(started) as http,
        ):
            registry = Registry(platform, started[0], http["registry"])
            ids = await programme(registry)
            coordinator, trainer = ids["coordinator"], ids["trainer"]
            needles = [
                "Zakrzewska", "agnieszka.zakrzewska", "601234567", "kc-agnieszka",
                "Trenerowicz", "bartlomiej.trenerowicz", "609876543", "kc-bartlomiej",
            ]  # fmt: skip

            async def notifications_knows_both() -> bool:
                count = await platform.fetchval("SELECT count(*) FROM notifications.staff")
                return bool(count == 2)

            await eventually(notifications_knows_both, message="notifications knows the staff")
            # A message to the coordinator (with her name and address) waits in notifications.
            application = CloudEvent.create(
                source="/volunteering/matching",
                type="pl.waw.volunteering.matching.application.submitted.v1",
                data={
                    "application_id": str(uuid.uuid4()), "task_id": str(uuid.uuid4()),
                    "volunteer_id": str(uuid.uuid4()), "branch_id": coordinator_branch(ids),
                    "branch_code": "wola-12",
                },
            )  # fmt: skip
            await platform.publish(
                application.to_structured(),
                exchange=EVENTS_EXCHANGE,
                routing_key=application.type,
                message_id=application.id,
            )

            async def message_waits() -> bool:
                return bool(
                    await platform.fetchval(
                        "SELECT count(*) FROM notifications.messages WHERE address = $1",
                        coordinator["email"],
                    )
                )

            await eventually(message_waits, message="a message to the coordinator")
            for schema in ("matching", "reporting"):

                async def copied(schema: str = schema) -> bool:
                    count = await platform.fetchval(
                        f"SELECT count(*) FROM {schema}.staff_subjects WHERE subject IS NOT NULL"
                    )
                    return bool(count == 2)

                await eventually(copied, message=f"{schema} copied the assignments")
            # She opens the branch's kiosk and closes it again: the rows name her.
            await kiosk_opened_and_revoked(
                http["matching"], issuer.sign("coordinator", subject="kc-agnieszka")
            )
            assert await rows_holding(platform, needles), "the test looks for what is there"

            erased = await registry.call("POST", f"/v1/staff/{coordinator['id']}/erasure")
            assert erased["email"].endswith("@erased.invalid") and erased["phone"] is None
            await registry.call("POST", f"/v1/trainers/{trainer['id']}/erasure")
            # Erased once; an erased person is not assigned, changed or erased again.
            await registry.call("POST", f"/v1/staff/{coordinator['id']}/erasure", expect=409)
            await registry.call(
                "POST", "/v1/branches/mokotow-3/coordinators", expect=409,
                json={"staff_id": coordinator["id"]},
            )  # fmt: skip

            async def forgotten_everywhere() -> bool:
                forgotten = await platform.fetchval(
                    "SELECT count(*) FROM ("
                    " SELECT person_id FROM matching.staff_subjects WHERE erased_at IS NOT NULL"
                    " UNION ALL SELECT person_id FROM notifications.staff_subjects"
                    "  WHERE erased_at IS NOT NULL"
                    " UNION ALL SELECT person_id FROM reporting.staff_subjects"
                    "  WHERE erased_at IS NOT NULL) erased"
                )
                return bool(forgotten == 6)

            await eventually(forgotten_everywhere, message="every copy forgot them")
            # Let the relays publish what erasure emitted; published rows keep no names.
            await eventually(
                lambda: registry_outbox_drained(platform), message="registry's outbox published"
            )
            assert await rows_holding(platform, needles) == []
            # Their tokens open nothing any more.
            token = issuer.sign("coordinator", subject="kc-agnieszka")
            answer = await http["notifications"].get(
                "/v1/messages",
                params={"branch_code": "wola-12"},
                headers={"authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 403


async def kiosk_opened_and_revoked(matching: httpx.AsyncClient, token: str) -> None:
    headers = {"authorization": f"Bearer {token}"}
    opened = await matching.post(
        "/v1/branches/wola-12/kiosk",
        json={"device": "Tablet", "opened_by": "Agnieszka Zakrzewska"},
        headers=headers,
    )
    assert opened.status_code == 201, opened.text
    revoked = await matching.post(
        f"/v1/kiosks/{opened.json()['session_id']}/revoke",
        json={"revoked_by": "Agnieszka Zakrzewska"},
        headers=headers,
    )
    assert revoked.status_code == 200, revoked.text


def coordinator_branch(ids: dict[str, Any]) -> str:
    return str(ids["enrolment"]["branch"]["id"])


async def registry_outbox_drained(platform: TestPlatform) -> bool:
    waiting = await platform.fetchval(
        "SELECT count(*) FROM registry.outbox WHERE published_at IS NULL"
    )
    return bool(waiting == 0)
