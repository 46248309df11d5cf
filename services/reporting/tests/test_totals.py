"""The totals' rules: the cells an item counts in, deltas, and answers equal to the views."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from reporting import demo
from reporting.contracts import READERS
from reporting.domain import totals, views
from reporting.domain.entities import Entity, Volunteer, fold, merge, snapshots
from reporting.domain.totals import Contribution, Totals
from reporting.domain.views import Filters, State

EDITION_2025 = uuid.UUID(demo.uid("edition:2025"))
EDITION_2026 = uuid.UUID(demo.uid("edition:2026"))


def as_facts(events: list[dict[str, Any]]) -> list[tuple[str, BaseModel, datetime]]:
    return [
        (
            e["type"],
            READERS[e["type"]].model_validate(e["data"]),
            datetime.fromisoformat(e["time"]),
        )
        for e in events
    ]


def contributions(state: State) -> list[Contribution]:
    return [totals.contribution(state, item) for item in views.items(state)]


def aggregated(state: State) -> Totals:
    return totals.aggregate(contributions(state), state.volunteers)


FILTERS = [
    replace(dims, edition_id=edition)
    for edition in (None, EDITION_2025, EDITION_2026, uuid.uuid4())
    for dims in (
        Filters(),
        Filters(district="wola"),
        Filters(district="mokotow"),
        Filters(branch="wola-12"),
        Filters(institution_type="library_branch"),
        Filters(task_type="reading_help"),
        Filters(task_type="contest"),
    )
]


def answers_from_totals(state: State, cells: Totals) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for filters in FILTERS:
        question = totals.summary_question(filters)
        assert question is not None
        answers[f"summary {filters}"] = totals.answer_summary(question, cells.cells)
        for by in views.DIMENSIONS:
            asked = totals.breakdown_question(filters, by)
            if asked is not None:
                rows = totals.answer_breakdown(asked, cells.cells, by, state, filters)
                answers[f"breakdown {by} {filters}"] = rows
        for period in ("week", "month"):
            asked = totals.timeseries_question(filters, period)
            if asked is not None:
                answers[f"{period} {filters}"] = totals.answer_timeseries(asked, cells.cells)
    scoped = Filters(scope=frozenset({"wola-7", "mokotow-3"}))
    asked = totals.breakdown_question(scoped, "branch")
    assert asked is not None
    answers["breakdown scoped"] = totals.answer_breakdown(
        asked, cells.cells, "branch", state, scoped
    )
    return answers


def answers_from_views(state: State, expected_keys: set[str]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for filters in FILTERS:
        answers[f"summary {filters}"] = views.summary(state, filters)
        for by in views.DIMENSIONS:
            answers[f"breakdown {by} {filters}"] = views.breakdown(state, filters, by)
        for period in ("week", "month"):
            answers[f"{period} {filters}"] = views.timeseries(state, filters, period)
    scoped = Filters(scope=frozenset({"wola-7", "mokotow-3"}))
    answers["breakdown scoped"] = views.breakdown(state, scoped, "branch")
    return {key: value for key, value in answers.items() if key in expected_keys}


def test_the_totals_answer_exactly_as_the_views() -> None:
    state = State.of(fold(as_facts(demo.scenario())).values())

    from_totals = answers_from_totals(state, aggregated(state))

    assert len(from_totals) > 70
    assert from_totals == answers_from_views(state, set(from_totals))
    summary = from_totals[f"summary {Filters(edition_id=EDITION_2026)}"]
    assert (summary.proposals_made, summary.proposals_accepted) == (4, 1)
    assert (summary.proposals_declined, summary.proposals_expired) == (1, 1)
    assert summary.certificates_issued == 1


def test_an_item_counts_in_its_edition_and_in_every_edition_per_grouping() -> None:
    state = State.of(fold(as_facts(demo.scenario())).values())
    entry = next(i for i in views.items(state) if i.what == "hours" and i.day == date(2026, 4, 10))

    cells = totals.contribution(state, entry).cells()

    assert len(cells) == 14
    assert (str(EDITION_2026), "district", "wola") in cells
    assert ("*", "task_type", "reading_help") in cells
    assert (str(EDITION_2026), "week", "2026-04-06") in cells
    assert ("*", "month", "2026-04-01") in cells


def test_questions_the_totals_do_not_answer_fall_back_to_the_views() -> None:
    assert totals.summary_question(Filters(date_from=date(2026, 1, 1))) is None
    assert totals.summary_question(Filters(district="wola", branch="wola-12")) is None
    assert totals.summary_question(Filters(scope=frozenset({"wola-12"}))) is None
    assert totals.breakdown_question(Filters(district="wola"), "branch") is None
    assert totals.breakdown_question(Filters(task_type="contest"), "task_type") is None
    assert totals.timeseries_question(Filters(branch="wola-12"), "week") is None


def test_a_volunteer_is_active_once_per_cell_however_many_entries() -> None:
    state = State.of(fold(as_facts(demo.scenario())).values())
    ola = uuid.UUID(demo.uid("volunteer:ola"))
    whole = aggregated(state)

    everywhere = whole.volunteers[(("*", "all", ""), ola)]

    assert everywhere == [2, 2]  # two assignments, two approved entries
    assert whole.cells[("*", "all", "")].counters[1] == 2  # ola and jan


def live_totals(events: list[dict[str, Any]]) -> Totals:
    """The totals after applying facts one by one, by delta, as the consumer does."""
    store: dict[tuple[str, str], Entity] = {}
    contributed: dict[tuple[str, str], Contribution] = {}
    result = Totals()
    for event_type, data, at in as_facts(events):
        for incoming in snapshots(event_type, data, at):
            address = (incoming.kind, incoming.key)
            before = store.get(address)
            after = store[address] = merge(before, incoming)
            if isinstance(after, Volunteer):
                assert before is None or isinstance(before, Volunteer)
                totals.profile_changed(result, after.volunteer_id, before, after)
        # The consumer re-derives only the items a fact touches; here: every item.
        state = State.of(store.values())
        new = {c.address: c for c in contributions(state)}
        change = totals.delta(
            (contributed.get(a), new.get(a)) for a in contributed.keys() | new.keys()
        )
        totals.apply(result, change, state.volunteers)
        contributed = new
    return result


@pytest.mark.parametrize("seed", range(4))
def test_deltas_in_any_order_with_duplicates_reach_the_rebuilt_totals(seed: int) -> None:
    events = demo.scenario()
    shuffled = events + random.Random(seed).sample(events, k=len(events) // 3)
    random.Random(seed + 50).shuffle(shuffled)

    live = live_totals(shuffled)

    rebuilt = aggregated(State.of(fold(as_facts(events)).values()))
    assert live.cells == rebuilt.cells
    assert live.volunteers == rebuilt.volunteers
    assert live.branches == rebuilt.branches


def test_sums_keep_decimal_hours_exact() -> None:
    state = State.of(fold(as_facts(demo.scenario())).values())

    row = aggregated(state).cells[(str(EDITION_2025), "all", "")]

    assert totals.figures(row).approved_hours == Decimal("5.0")
