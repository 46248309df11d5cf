"""Reporting's consumer handler applying batches of facts in one transaction, as the
batching consumer does: the rows every fact shares (the log, the counts, the cells, the
log's version) are written once at the commit, and a batch rolled back leaves nothing."""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from reporting.contracts import READERS
from reporting.demo import scenario
from reporting.handlers import record_fact, record_facts
from reporting.projections import rebuild
from shared.cloudevents import CloudEvent
from shared.db import Database
from shared.errors import is_transient
from shared.testing.platform import TestPlatform
from shared.unit_of_work import Messaging, UnitOfWork
from tests.test_reporting_totals import TABLES as READ_MODELS

MESSAGING = Messaging("reporting")
TABLES = {**READ_MODELS, "volunteers": "volunteer_id", "volunteer_totals": "id"}


@pytest.fixture
async def database(platform: TestPlatform) -> Any:
    database = Database(platform.database_url("reporting"), "reporting")
    yield database
    await database.dispose()


async def apply_batch(
    database: Database, batch: list[dict[str, Any]], *, together: bool = False
) -> None:
    """The batch in one transaction through the consumer's handler, retried whole on a
    deadlock as the consumer does; ``together``: each run of one type through the handler
    of runs, as the batching consumer hands them (the batch sorted by type first, so that
    the runs are long: the merge does not depend on order)."""
    if together:
        batch = sorted(batch, key=lambda raw: str(raw["type"]))
    for attempt in range(20):
        try:
            async with database.transaction() as session:
                if together:
                    for _, run in itertools.groupby(batch, key=lambda raw: raw["type"]):
                        await record_facts([delivery(session, raw) for raw in run])
                else:
                    for raw in batch:
                        await record_fact(*delivery(session, raw))
            return
        except Exception as error:
            if not is_transient(error) or attempt == 19:
                raise
            await asyncio.sleep(0.01 * attempt)


def delivery(
    session: AsyncSession, raw: dict[str, Any]
) -> tuple[UnitOfWork, CloudEvent, BaseModel]:
    event = CloudEvent.model_validate(raw)
    return (
        UnitOfWork(session, MESSAGING, event),
        event,
        READERS[event.type].model_validate(raw["data"]),
    )


async def read(database: Database) -> dict[str, Any]:
    async with database.transaction() as session:
        connection = await session.connection()
        tables = {
            table: [
                tuple(row)
                for row in await connection.execute(
                    text(f"SELECT * FROM reporting.{table} ORDER BY {order}")
                )
            ]
            for table, order in TABLES.items()
        }
        tables["facts"] = await connection.scalar(text("SELECT count(*) FROM reporting.facts"))
        tables["version"] = await connection.scalar(
            text("SELECT version FROM reporting.log_version")
        )
        return tables


@pytest.mark.parametrize("together", [False, True], ids=["one-by-one", "runs-together"])
async def test_batches_applied_concurrently_give_the_rows_of_a_rebuild(
    database: Database, together: bool
) -> None:
    events = scenario()
    rng = random.Random(7)
    # Redeliveries under new ids (the inbox is not in play here): merged as the same facts.
    again = [{**e, "id": str(uuid.uuid4())} for e in rng.sample(events, k=len(events) // 4)]
    queue = rng.sample(events + again, k=len(events) + len(again))
    batches = [queue[n : n + 9] for n in range(0, len(queue), 9)]

    async def worker(mine: list[list[dict[str, Any]]]) -> None:
        for batch in mine:
            await apply_batch(database, batch, together=together)

    await asyncio.gather(*(worker(batches[n::3]) for n in range(3)))
    live = await read(database)

    assert live["facts"] == len(queue)
    # Once per transaction, not per fact.
    assert 0 < live["version"] <= len(batches) < len(queue)
    assert live["totals"] and live["volunteer_totals"] and live["message_totals"]
    async with database.transaction() as session:
        assert await rebuild(session) == len(queue)
    rebuilt = await read(database)
    for table in TABLES:
        assert live[table] == rebuilt[table], table


async def test_a_batch_rolled_back_leaves_nothing(database: Database) -> None:
    events = scenario()
    before = await read(database)

    class Interrupted(Exception):
        pass

    with pytest.raises(Interrupted):
        async with database.transaction() as session:
            for raw in events[:20]:
                event = CloudEvent.model_validate(raw)
                data = READERS[event.type].model_validate(raw["data"])
                await record_fact(UnitOfWork(session, MESSAGING, event), event, data)
            raise Interrupted

    assert await read(database) == before
    await apply_batch(database, events[:20])
    after = await read(database)
    assert after["facts"] == before["facts"] + 20
    assert after["version"] == before["version"] + 1
    assert after["snapshots"] != before["snapshots"]
