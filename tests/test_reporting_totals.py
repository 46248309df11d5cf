"""Reporting's totals on the real database: facts applied concurrently, in any order and
twice, by the live path; a rebuild writes exactly the same rows; the answers the dashboard
reads from them are the views' answers."""

from __future__ import annotations

import asyncio
import importlib.util
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from reporting import demo, totals_queries
from reporting.app import MIGRATIONS_DIR
from reporting.contracts import READERS
from reporting.domain import facts as f
from reporting.domain import totals, views
from reporting.domain.monitoring import branch_stages, monitoring_rows
from reporting.domain.views import Filters
from reporting.projections import (
    apply_fact,
    bump_log_version,
    latest_activity,
    load_monitoring_state,
    load_state,
    rebuild,
)
from reporting.tables import Fact
from shared.db import Database
from shared.errors import is_transient
from shared.testing.platform import TestPlatform

EDITION_2026 = uuid.UUID(demo.uid("edition:2026"))
TABLES = {
    "contributions": "kind, key",
    "totals": "edition, grouped_by, value",
    "total_volunteers": "edition, grouped_by, value, volunteer_id",
    "total_branches": "edition, grouped_by, value, branch_id",
    "message_totals": "channel, template",
    "snapshots": "kind, key",
    "branch_activity": "kind, key",
}


async def record(database: Database, event: dict[str, Any]) -> None:
    """What the consumer does with one event, retried like the consumer on a deadlock."""
    for attempt in range(20):
        try:
            async with database.transaction() as session:
                fact = Fact(
                    event_id=event["id"],
                    event_source=event["source"],
                    event_type=event["type"],
                    occurred_at=datetime.fromisoformat(event["time"]),
                    recorded_at=datetime.now(UTC),
                    data=READERS[event["type"]]
                    .model_validate(event["data"])
                    .model_dump(mode="json"),
                )
                session.add(fact)
                await session.flush()
                await apply_fact(session, fact)
                await bump_log_version(session)
            return
        except Exception as error:
            if not is_transient(error) or attempt == 19:
                raise
            await asyncio.sleep(0.01 * attempt)


async def read_tables(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    async with database.transaction() as session:
        connection = await session.connection()
        return {
            table: [
                tuple(row)
                for row in await connection.execute(
                    text(f"SELECT * FROM reporting.{table} ORDER BY {order}")
                )
            ]
            for table, order in TABLES.items()
        }


@pytest.fixture
async def database(platform: TestPlatform) -> Any:
    database = Database(platform.database_url("reporting"), "reporting")
    yield database
    await database.dispose()


@pytest.mark.parametrize("seed", [1, 2])
async def test_concurrent_shuffled_duplicated_facts_then_rebuild_give_the_same_rows(
    database: Database, seed: int
) -> None:
    events = demo.scenario()
    rng = random.Random(seed)
    again = [{**e, "id": str(uuid.uuid4())} for e in rng.sample(events, k=len(events) // 3)]
    queue = rng.sample(events + again, k=len(events) + len(again))

    async def worker(mine: list[dict[str, Any]]) -> None:
        for event in mine:
            await record(database, event)

    await asyncio.gather(*(worker(queue[n::4]) for n in range(4)))
    live = await read_tables(database)

    async with database.transaction() as session:
        assert await rebuild(session) == len(queue)
    rebuilt = await read_tables(database)

    assert live["totals"] and live["total_volunteers"] and live["message_totals"]
    assert live["branch_activity"]
    for table in TABLES:
        assert live[table] == rebuilt[table], table
    async with database.transaction() as session:
        connection = await session.connection()
        counts = {
            tuple(row[:2]): tuple(row[2:])
            for row in await connection.execute(text("SELECT * FROM reporting.message_totals"))
        }
    assert counts == {
        ("email", "assignment_confirmed"): (1, 0),
        ("in_app", "assignment_confirmed"): (1, 0),
        ("sms", "shift_reminder"): (1, 1),
    }


async def test_the_dashboards_rows_answer_as_the_views_and_follow_a_late_branch(
    database: Database,
) -> None:
    events = demo.scenario()
    wola7 = [
        e for e in events if e["type"] == f.BRANCH_REGISTERED and e["data"]["code"] == "wola-7"
    ]
    # wola-7's registration arrives last: its items first count under no district.
    for event in [e for e in events if e not in wola7]:
        await record(database, event)

    async def answers() -> tuple[Any, Any]:
        async with database.transaction() as session:
            connection = await session.connection()
            state = await load_state(session)
            filters = Filters(edition_id=EDITION_2026)
            question = totals.breakdown_question(filters, "district")
            assert question is not None
            cells = await totals_queries.read_cells(connection, question)
            from_totals = totals.answer_breakdown(question, cells, "district", state, filters)
            return from_totals, views.breakdown(state, filters, "district")

    before, expected_before = await answers()
    assert before == expected_before
    assert {row["key"] for row in before} == {"wola", None}

    await record(database, wola7[0])
    after, expected_after = await answers()

    assert after == expected_after
    assert [row["key"] for row in after] == ["wola"]
    assert after[0]["branches_enrolled"] == 2 and after[0]["tasks_cancelled"] == 1


def random_filters(state: views.State, rng: random.Random) -> Filters:
    """Any combination of the filters a reader can send, from the values in ``state``."""
    every = views.items(state)
    days = sorted({item.day for item in every if item.day is not None})
    dims = {
        name: sorted({str(item.dims[name]) for item in every if item.dims[name]})
        for name in ("edition", "district", "branch", "institution_type", "task_type")
    }

    def maybe(name: str) -> str | None:
        return rng.choice(dims[name]) if dims[name] and rng.random() < 0.3 else None

    edition = maybe("edition")
    start, end = sorted(rng.sample(days, 2)) if rng.random() < 0.6 else (None, None)
    return Filters(
        edition_id=uuid.UUID(edition) if edition else None,
        district=maybe("district"),
        branch=maybe("branch"),
        institution_type=maybe("institution_type"),
        task_type=maybe("task_type"),
        date_from=start if rng.random() < 0.8 else None,
        date_to=end if rng.random() < 0.8 else None,
        scope=(
            frozenset(rng.sample(dims["branch"], rng.randint(1, len(dims["branch"]))))
            if rng.random() < 0.5
            else None
        ),
    )


async def test_a_selection_of_the_contributions_answers_as_the_views(
    database: Database,
) -> None:
    """Date ranges, a reader's branches and several filters at once: read in SQL from the
    contributions, exactly the views' figures."""
    for event in demo.scenario():
        await record(database, event)
    rng = random.Random(7)
    dimensions: tuple[views.Dimension, ...] = (
        "edition",
        "district",
        "branch",
        "institution_type",
        "task_type",
    )
    async with database.transaction() as session:
        connection = await session.connection()
        state = await load_state(session)
        editions = await totals_queries.editions(connection)
        checked = 0
        for _ in range(60):
            filters = random_filters(state, rng)
            selected = await totals_queries.read_selection(connection, filters, "all")
            assert totals.selection_summary(selected) == views.summary(state, filters), filters
            for by in dimensions:
                selected = await totals_queries.read_selection(connection, filters, by)
                expected = views.breakdown(state, filters, by)
                assert totals.selection_breakdown(selected, by, editions, filters) == expected, (
                    filters,
                    by,
                )
                checked += bool(expected)
            for period in ("week", "month"):
                selected = await totals_queries.read_selection(connection, filters, period)
                assert totals.selection_timeseries(selected, period) == views.timeseries(
                    state, filters, period
                ), (filters, period)
    assert checked > 50  # most selections are not empty: the comparison means something


async def test_monitoring_and_stages_from_the_small_state_and_branch_activity_answer_as_the_views(
    database: Database,
) -> None:
    """The monitoring's snapshots and the branches' latest activity from
    ``branch_activity``: the same rows as from every snapshot, on any day."""
    for event in demo.scenario():
        await record(database, event)
    async with database.transaction() as session:
        connection = await session.connection()
        full = await load_state(session)
        small = await load_monitoring_state(session)
        assert small.trainers and small.enrolments and small.visits and small.stages
        assert not (small.tasks or small.assignments or small.hours or small.volunteers)
        assert not (small.proposals or small.certificates or small.messages)
        days = sorted({day for branch in full.branches for day in full.activity_days(branch)})
        todays = sorted(
            {date(2024, 6, 1), date(2027, 6, 1)}
            | {day + timedelta(days=shift) for day in days for shift in (-1, 0, 31)}
        )
        branches = {assignment.branch_id for assignment in small.trainers}
        filters_tried = [
            Filters(),
            Filters(edition_id=EDITION_2026),
            Filters(edition_id=uuid.UUID(demo.uid("edition:2025"))),
            Filters(district="wola"),
            Filters(district="mokotow"),
            Filters(branch="wola-7"),
            Filters(scope=frozenset({"wola-12"})),
            Filters(task_type="reading_help", date_from=date(2026, 1, 1)),
            Filters(institution_type="library_branch", scope=frozenset({"wola-7", "mokotow-3"})),
        ]
        trainers = (None, uuid.UUID(demo.TRAINER), uuid.uuid4())
        items_decide = at_risk = 0
        for today in todays:
            recorded = await latest_activity(connection, branches, today)
            assert all(day <= today for day in recorded.values())
            for filters in filters_tried:
                for trainer in trainers:
                    expected = monitoring_rows(full, filters, today, trainer)
                    rows = monitoring_rows(small, filters, today, trainer, recorded)
                    assert rows == expected, (filters, today, trainer)
                    items_decide += monitoring_rows(small, filters, today, trainer) != rows
                    at_risk += sum(row["at_risk"] for row in rows)
        for filters in filters_tried:
            assert branch_stages(small, filters) == branch_stages(full, filters)
    # The items' days are the last activity on some of those days; some rows are at risk.
    assert items_decide and at_risk
    assert any(branch_stages(full, filters) for filters in filters_tried)


def _migration(name: str) -> Any:
    path = next(Path(MIGRATIONS_DIR, "versions").glob(f"{name}_*.py"))
    spec = importlib.util.spec_from_file_location(f"reporting_migration_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_migration_fills_branch_activity_as_the_live_path(database: Database) -> None:
    for event in demo.scenario():
        await record(database, event)
    live = (await read_tables(database))["branch_activity"]
    async with database.transaction() as session:
        connection = await session.connection()
        await connection.execute(text("DELETE FROM reporting.branch_activity"))
        await connection.execute(text(_migration("0005").BACKFILL))
    assert live and (await read_tables(database))["branch_activity"] == live
