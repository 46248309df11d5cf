"""Demo data for a living programme: ``python -m matching seed``.

1. About 600 people register through the portal's inbound contract (CloudEvents on
   ``city.inbound``; some minors with guardians): the running matching service consumes
   them like any portal message.
2. Once matching's copy of the registry shows enrolled branches (registry's seed, published
   by the running registry), it creates tasks at those branches: past shifts, upcoming
   one-off and recurring shifts, and flexible tasks.
3. A batch plan turns into proposals; most are accepted (confirmed shifts); past shifts get
   logged and approved hours.

Everything goes through the same use cases as the API, so every event is written to the
outbox and published by the running service. Running it again changes nothing: portal ids
are stable and tasks are created only when the seed finds none of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import monotonic
from typing import Any

import aio_pika
from sqlmodel import col, func, select

from matching import assignments, hours, proposals, tasks
from matching.app import build_service
from matching.branches import open_edition_enrolment
from matching.contracts import PORTAL_VOLUNTEER_REGISTERED
from matching.domain.schedule import WARSAW
from matching.tables import Branch, Task, Volunteer
from shared.cloudevents import CloudEvent
from shared.logging import configure_logging
from shared.progress import Steps, steps
from shared.reference import warsaw_districts
from shared.service import Service
from shared.topology import INBOUND_EXCHANGE, declare_service_topology

VOLUNTEERS = 600
SEED_MARK = "[demo]"
FIRST_NAMES = [
    "Zofia", "Hanna", "Maja", "Julia", "Zuzanna", "Łucja", "Małgorzata", "Agnieszka", "Ewa",
    "Jan", "Antoni", "Szymon", "Jakub", "Michał", "Paweł", "Krzysztof", "Łukasz", "Piotr",
]  # fmt: skip
LAST_NAMES = [
    "Nowak", "Kowalska", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski", "Zieliński",
    "Szymańska", "Woźniak", "Dąbrowski", "Kozłowska", "Jankowski", "Mazur", "Krawczyk",
]  # fmt: skip
SKILLS = ["scratch", "fotografia", "czytanie", "plastyka", "python", "gry planszowe", "muzyka"]
INTERESTS = ["komiksy", "fantastyka", "historia", "przyroda", "teatr", "konkursie", "czytanie"]
TASKS = [
    ("reading_help", "Głośne czytanie dla dzieci", ["czytanie"], True),
    ("homework_help", "Odrabianie lekcji z uczniami", [], True),
    ("computer_help", "Kurs obsługi komputera dla seniorów", ["python"], False),
    ("contest", "Pomoc przy konkursie plastycznym", ["plastyka"], True),
    ("event_help", "Noc bibliotek", ["fotografia"], False),
    ("extra_classes", "Zajęcia z programowania w Scratchu", ["scratch"], True),
    ("daily_work", "Porządkowanie księgozbioru", [], False),
]


def portal_registration(index: int, rng: random.Random, today: date) -> dict[str, Any]:
    districts = sorted(warsaw_districts())
    minor = index % 6 == 0
    age = rng.randint(11, 17) if minor else rng.randint(18, 75)
    birth = today - timedelta(days=age * 365 + rng.randint(20, 340))
    slots = []
    for _ in range(rng.randint(1, 3)):
        start = rng.choice(["09:00", "12:00", "15:00", "16:00", "17:00", "22:00"])
        end = {"09:00": "13:00", "12:00": "16:00", "15:00": "19:00", "16:00": "20:00"}.get(
            start, "21:00" if start == "17:00" else "02:00"
        )
        slots.append({"weekday": rng.randint(1, 7), "start": start, "end": end})
    data: dict[str, Any] = {
        "portal_id": f"demo-{index:04d}",
        "first_name": rng.choice(FIRST_NAMES),
        "last_name": rng.choice(LAST_NAMES),
        "email": f"demo-{index:04d}@example.pl",
        "birth_date": birth.isoformat(),
        "districts": rng.sample(districts, rng.randint(1, 3)),
        "skills": rng.sample(SKILLS, rng.randint(0, 3)),
        "interests": rng.sample(INTERESTS, rng.randint(0, 3)),
        "languages": ["pl"] + (["en"] if rng.random() < 0.4 else []),
        "availability": slots,
        "consents": {"email": True, "sms": rng.random() < 0.3},
    }
    if rng.random() < 0.5:
        data["phone"] = f"+48{rng.randint(500000000, 899999999)}"
    if minor:
        data["guardian"] = {
            "name": f"{rng.choice(FIRST_NAMES)} {data['last_name']}",
            "email": f"opiekun-{index:04d}@example.pl",
            "consent_given_at": datetime.now(UTC).isoformat(),
        }
    return data


DEFAULT_CHUNK_SIZE = 20


async def publish_registrations(
    service: Service, count: int, progress: Steps | None = None
) -> None:
    rng = random.Random(2026)
    today = datetime.now(WARSAW).date()
    connection = await aio_pika.connect_robust(service.settings.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_service_topology(channel, service.topology)
        exchange = await channel.get_exchange(INBOUND_EXCHANGE)
        for index in range(count):
            event = CloudEvent.create(
                type=PORTAL_VOLUNTEER_REGISTERED,
                source=service.settings.portal_source,
                data=portal_registration(index, rng, today),
            )
            await exchange.publish(
                aio_pika.Message(
                    json.dumps(json.loads(event.to_structured())).encode(),
                    content_type="application/cloudevents+json",
                    message_id=event.id,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=event.type,
            )
            if progress is not None and ((index + 1) % 100 == 0 or index + 1 == count):
                progress.advance(index + 1 - progress.done)


async def wait_for(service: Service, count: int, timeout_s: float) -> list[Branch]:
    """Until the portal's people and the registry's enrolled branches are in matching's copy."""
    deadline = monotonic() + timeout_s
    while True:
        async with service.unit_of_work() as uow:
            people = (await uow.session.exec(select(func.count()).select_from(Volunteer))).one()
            enrolled = [
                branch
                for branch in (await uow.session.exec(select(Branch))).all()
                if await open_edition_enrolment(uow, branch) is not None
            ]
        if people >= count and enrolled:
            return enrolled
        if monotonic() > deadline:
            raise SystemExit(
                f"matching seed: after {timeout_s:.0f}s matching holds {people} volunteers and "
                f"{len(enrolled)} enrolled branches; are registry (seeded) and matching running?"
            )
        await asyncio.sleep(1)


def task_inputs(branch: Branch, rng: random.Random, today: date) -> list[tasks.TaskInput]:
    chosen = rng.sample(TASKS, 4)
    inputs: list[tasks.TaskInput] = []
    for position, (kind, title, skills, with_children) in enumerate(chosen):
        if position == 0:  # a past shift, for hours
            day = today - timedelta(days=rng.randint(3, 20))
            schedule = tasks.SchedulePlan(
                kind="one_off", first_day=day, start=time(16), end=time(19)
            )
        elif position == 1:
            day = today + timedelta(days=rng.randint(2, 30))
            schedule = tasks.SchedulePlan(
                kind="one_off", first_day=day, start=time(17), end=time(21)
            )
        elif position == 2:
            day = today + timedelta(days=rng.randint(1, 7))
            schedule = tasks.SchedulePlan(
                kind="recurring",
                first_day=day,
                start=time(16),
                end=time(20),
                rrule="FREQ=WEEKLY;COUNT=8",
            )
        else:
            start = today.replace(day=1) + timedelta(days=32)
            schedule = tasks.SchedulePlan(
                kind="flexible",
                first_day=start.replace(day=1),
                last_day=start.replace(day=28),
                hours=Decimal(15),
            )
        inputs.append(
            tasks.TaskInput(
                branch_code=branch.code,
                type=kind,
                title=f"{title} {SEED_MARK}",
                schedule=schedule,
                places=rng.randint(2, 6),
                min_age=16 if kind == "computer_help" else 13,
                skills=skills,
                with_children=with_children and position != 0,
            )
        )
    return inputs


async def seed_matching(
    service: Service,
    branches: Sequence[Branch],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Steps | None = None,
) -> dict[str, int]:
    """Tasks in chunks of ``chunk_size`` per transaction, a plan, then the answers to the
    proposals (one transaction each: a refused one is demo noise, not a lost chunk)."""
    rng = random.Random(7)
    today = datetime.now(WARSAW).date()
    async with service.unit_of_work() as uow:
        existing = (
            await uow.session.exec(select(func.count()).where(col(Task.title).endswith(SEED_MARK)))
        ).one()
    if existing:
        return {"tasks": 0, "proposals": 0, "confirmed": 0, "approved_hours_entries": 0}
    created: list[uuid.UUID] = []
    inputs = [data for branch in branches for data in task_inputs(branch, rng, today)]
    if progress is not None:
        progress.set_total(len(inputs))
    for start in range(0, len(inputs), chunk_size):
        chunk = inputs[start : start + chunk_size]
        async with service.unit_of_work() as uow:
            for data in chunk:
                created.append((await tasks.publish_task(uow, data)).id)
        if progress is not None:
            progress.advance(len(chunk))
    async with service.unit_of_work() as uow:
        result = await proposals.make_plan(uow, created, timedelta(hours=72))
        made = [proposal.id for proposal in result.proposals]
    confirmed = approved = 0
    for index, proposal_id in enumerate(made):
        if index % 5 == 4:
            continue  # some stay open for the volunteers to answer
        try:
            async with service.unit_of_work() as uow:
                proposal = await proposals.get_proposal(uow, proposal_id)
                assignment = await proposals.respond(uow, proposal, accept=index % 7 != 3)
                if assignment is None:
                    continue
                confirmed += 1
                task = await tasks.get_task(uow, assignment.task_id)
                worked_on = task.starts_at.astimezone(WARSAW).date()
                if worked_on < today:
                    entry = await hours.log_hours(
                        uow,
                        assignment,
                        task,
                        hours.HoursInput(hours=Decimal(3), worked_on=worked_on),
                        "volunteer",
                    )
                    await hours.decide(uow, entry, approve=True)
                    await assignments.finish(uow, assignment, task, assignments.COMPLETED)
                    approved += 1
        except Exception as error:  # one refused acceptance (e.g. a clash) is demo noise
            print(f"matching seed: proposal {proposal_id} not accepted: {error}")
    return {
        "tasks": len(created),
        "proposals": len(made),
        "confirmed": confirmed,
        "approved_hours_entries": approved,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matching seed", description=__doc__)
    parser.add_argument("--volunteers", type=int, default=VOLUNTEERS)
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for data")
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=DEFAULT_CHUNK_SIZE,
        help=f"tasks per transaction (default {DEFAULT_CHUNK_SIZE})",
    )
    args = parser.parse_args(argv)
    if args.chunk_size < 1:
        parser.error("--chunk-size must be at least 1")
    service = build_service()
    settings = service.settings
    configure_logging(settings.service_name, settings.log_level, json=settings.log_json)

    async def run() -> dict[str, int]:
        try:
            with steps("matching seed: registrations", args.volunteers) as published:
                await publish_registrations(service, args.volunteers, published)
            branches = await wait_for(service, args.volunteers, args.timeout)
            with steps("matching seed: tasks") as progress:
                return await seed_matching(
                    service, branches, chunk_size=args.chunk_size, progress=progress
                )
        finally:
            await service.database.dispose()

    summary = asyncio.run(run())
    print(
        f"matching seed: {args.volunteers} portal registrations; "
        + ", ".join(f"{key} {value}" for key, value in summary.items())
    )
    return 0
