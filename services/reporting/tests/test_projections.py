"""Projection rules over lists of facts: no database, no broker."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from reporting import demo
from reporting.contracts import READERS
from reporting.domain import facts as f
from reporting.domain import views
from reporting.domain.entities import Volunteer, fold
from reporting.domain.monitoring import MONITORING_KINDS, branch_stages, monitoring_rows
from reporting.domain.views import Filters, State

EDITION_2025 = uuid.UUID(demo.uid("edition:2025"))
EDITION_2026 = uuid.UUID(demo.uid("edition:2026"))


def as_facts(events: list[dict[str, Any]]) -> list[tuple[str, BaseModel, datetime]]:
    return [
        (
            event["type"],
            READERS[event["type"]].model_validate(event["data"]),
            datetime.fromisoformat(event["time"]),
        )
        for event in events
    ]


def state_of(events: list[dict[str, Any]]) -> State:
    return State.of(fold(as_facts(events)).values())


def every_view(state: State) -> dict[str, Any]:
    """Every view the API serves, over a few filters: what must not change."""
    result: dict[str, Any] = {}
    for edition in (None, EDITION_2025, EDITION_2026):
        filters = Filters(edition_id=edition)
        result[f"summary:{edition}"] = views.summary(state, filters)
        for by in views.DIMENSIONS:
            result[f"breakdown:{edition}:{by}"] = views.breakdown(state, filters, by)
        result[f"weeks:{edition}"] = views.timeseries(state, filters, "week")
        result[f"months:{edition}"] = views.timeseries(state, filters, "month")
        result[f"stages:{edition}"] = branch_stages(state, filters)
        result[f"monitoring:{edition}"] = monitoring_rows(state, filters, date(2026, 6, 1))
    result["retention:edition"] = views.retention(state, Filters(), "edition")
    result["retention:month"] = views.retention(state, Filters(), "month")
    return result


def test_figures_for_an_edition() -> None:
    state = state_of(demo.scenario())

    figures = views.summary(state, Filters(edition_id=EDITION_2026))

    assert figures == views.Figures(
        branches_enrolled=2,  # mokotow-3 withdrew
        volunteers_recruited=3,
        volunteers_active=1,  # piotr's hours are logged, not approved yet
        approved_hours=Decimal("2.5"),
        tasks_published=3,
        tasks_cancelled=1,
        tasks_filled=2,
        fill_rate=1.0,
        no_shows=1,
        minors_share=0.3333,
        proposals_made=4,
        proposals_accepted=1,
        proposals_declined=1,
        proposals_expired=1,
        certificates_issued=1,
    )
    earlier = views.summary(state, Filters(edition_id=EDITION_2025))
    assert (earlier.branches_enrolled, earlier.volunteers_active) == (1, 2)
    assert earlier.approved_hours == Decimal("5.0")


def test_breakdowns_by_district_and_task_type() -> None:
    state = state_of(demo.scenario())
    filters = Filters(edition_id=EDITION_2026)

    by_district = {row["key"]: row for row in views.breakdown(state, filters, "district")}
    by_type = {row["key"]: row for row in views.breakdown(state, filters, "task_type")}

    assert set(by_district) == {"wola"}
    assert by_district["wola"]["branches_enrolled"] == 2
    assert by_type["reading_help"]["no_shows"] == 1
    assert by_type["contest"]["tasks_cancelled"] == 1
    assert by_type["homework_help"]["volunteers_recruited"] == 1


def test_filters_scope_and_period() -> None:
    state = state_of(demo.scenario())

    mine = views.summary(state, Filters(scope=frozenset({"wola-7"})))
    may = views.summary(state, Filters(date_from=date(2026, 5, 1), date_to=date(2026, 5, 31)))

    assert (mine.branches_enrolled, mine.tasks_published, mine.volunteers_recruited) == (1, 1, 0)
    assert may.tasks_published == 2 and may.volunteers_recruited == 1


def test_time_series_by_week_and_month() -> None:
    state = state_of(demo.scenario())

    months = views.timeseries(state, Filters(), "month")
    weeks = views.timeseries(state, Filters(), "week")

    april = next(row for row in months if row["period_start"] == date(2026, 4, 1))
    assert april["approved_hours"] == Decimal("2.5") and april["volunteers_recruited"] == 2
    assert all(row["period_start"].weekday() == 0 for row in weeks)
    assert sum(row["approved_hours"] for row in weeks) == Decimal("7.5")


def test_retention_counts_volunteers_active_again_later() -> None:
    state = state_of(demo.scenario())

    rows = views.retention(state, Filters(), "edition")

    assert [(r["label"], r["volunteers_active"], r["returned_later"]) for r in rows] == [
        ("Edycja 2025", 2, 1),
        ("Edycja 2026", 1, 0),
    ]
    assert rows[0]["retention_rate"] == 0.5
    assert rows[1]["returning_from_earlier"] == 1


def test_branch_stages_with_dates() -> None:
    state = state_of(demo.scenario())

    rows = branch_stages(state, Filters(edition_id=EDITION_2026))

    wola12 = next(row for row in rows if row["branch"] == "wola-12")
    assert [row["branch"] for row in rows] == ["wola-12", "wola-7"]
    assert wola12["current_stage"] == "volunteers_active"
    assert wola12["recruiting_on"] == date(2026, 3, 1)
    assert wola12["programme_submitted_on"] == date(2026, 2, 10)


def test_monitoring_follow_ups_and_risks() -> None:
    state = state_of(demo.scenario())

    june = {r["branch"]: r for r in monitoring_rows(state, Filters(), date(2026, 6, 1))}
    july = {r["branch"]: r for r in monitoring_rows(state, Filters(), date(2026, 7, 1))}

    assert june["wola-12"]["last_visit_on"] == date(2026, 3, 5)
    assert june["wola-12"]["follow_ups_due"] == [date(2026, 4, 20)]
    assert june["wola-12"]["risks"] == ["stage_stalled"]
    assert july["wola-12"]["risks"] == ["no_activity_30_days", "stage_stalled"]
    assert june["wola-7"]["current_stage"] == "trained"
    assert next(s["stage"] for s in june["wola-12"]["stages"]) == "trained"


def latest_item_activity(state: State, today: date) -> dict[uuid.UUID, date]:
    """What ``reporting.branch_activity`` answers: per branch, the items' latest day up to
    ``today``."""
    latest: dict[uuid.UUID, date] = {}
    for entity in [*state.tasks.values(), *state.assignments, *state.hours]:
        found = views.activity_of(entity)
        assert found is not None
        branch_id, day = found
        if day <= today and (branch_id not in latest or latest[branch_id] < day):
            latest[branch_id] = day
    return latest


def test_monitoring_and_stages_from_the_small_kinds_and_the_items_latest_days() -> None:
    entities = list(fold(as_facts(demo.scenario())).values())
    full = State.of(entities)
    small = State.of(e for e in entities if e.kind in MONITORING_KINDS)
    assert not (small.tasks or small.assignments or small.hours or small.volunteers)
    days = sorted({day for branch in full.branches for day in full.activity_days(branch)})
    todays = [days[0] - timedelta(days=1), *days, days[-1] + timedelta(days=45)]
    items_decide = 0
    for today in todays:
        recorded = latest_item_activity(full, today)
        for filters in (Filters(), Filters(edition_id=EDITION_2026), Filters(branch="wola-7")):
            for trainer in (None, uuid.UUID(demo.TRAINER), uuid.uuid4()):
                expected = monitoring_rows(full, filters, today, trainer)
                assert monitoring_rows(small, filters, today, trainer, recorded) == expected
                items_decide += monitoring_rows(small, filters, today, trainer) != expected
            assert branch_stages(small, filters) == branch_stages(full, filters)
    assert items_decide  # the items' days are the last activity on some of these days


def test_an_items_activity_is_its_branch_and_day() -> None:
    state = state_of(demo.scenario())
    task = next(iter(state.tasks.values()))
    assignment, entry = state.assignments[0], state.hours[0]

    assert views.activity_of(task) == (task.branch_id, views.local_date(task.published_at))
    assert views.activity_of(assignment) == (
        assignment.branch_id,
        views.local_date(assignment.first_seen_at),
    )
    assert views.activity_of(entry) == (entry.branch_id, entry.worked_on)
    assert views.activity_of(state.editions[EDITION_2026]) is None
    assert views.activity_of(state.visits[0]) is None  # the state's own: in every state


@pytest.mark.parametrize("seed", range(5))
def test_out_of_order_and_duplicate_facts_give_the_same_numbers(seed: int) -> None:
    events = demo.scenario()
    shuffled = events + random.Random(seed).sample(events, k=len(events) // 2)
    random.Random(seed + 100).shuffle(shuffled)

    assert every_view(state_of(shuffled)) == every_view(state_of(events))


def test_an_erasure_before_the_registration_still_erases() -> None:
    volunteer = demo.uid("volunteer:ola")
    erased = {
        "type": f.VOLUNTEER_ERASED,
        "data": {"volunteer_id": volunteer},
        "time": "2026-08-01T10:00:00+00:00",
    }
    events = [erased, *demo.scenario()]

    stored = fold(as_facts(events))[("volunteer", volunteer)]

    assert isinstance(stored, Volunteer) and stored.erased and stored.minor is True
    # Her hours and her place in the counts stay: reporting only knows an anonymous id.
    after = views.summary(state_of(events), Filters(edition_id=EDITION_2026))
    assert after == views.summary(state_of(demo.scenario()), Filters(edition_id=EDITION_2026))


def test_coordinator_and_trainer_facts_keep_no_names_or_emails() -> None:
    logged = [
        READERS[e["type"]].model_validate(e["data"]).model_dump(mode="json")
        for e in demo.scenario()
        if e["type"] in (f.COORDINATOR_ASSIGNED, f.TRAINER_ASSIGNED)
    ]

    assert logged and all(not {"name", "email", "language"} & set(data) for data in logged)
