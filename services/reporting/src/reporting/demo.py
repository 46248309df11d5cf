"""A small, realistic programme as the agreed events: for tests, demos and seeding.

Two editions of the library programme (2025 and 2026), three branches in two districts,
a trainer, stages, visits, volunteers (one a minor), tasks, assignments, hours, proposals
and their answers, a certificate and the messages notifications sent.
Every id is derived from a name, so the same scenario always has the same ids.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reporting.domain import facts as f

NAMESPACE = uuid.UUID("5b0f8c1e-8d7c-4d1a-9a57-0c1f7a2a9e11")
REGISTRY = "/volunteering/registry"
MATCHING = "/volunteering/matching"
NOTIFICATIONS = "/volunteering/notifications"


def uid(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


def _event(type_: str, data: dict[str, Any], at: datetime, source: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": uid(f"event:{type_}:{sorted(data.items())!r}:{at.isoformat()}"),
        "source": source,
        "type": type_,
        "time": at.isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


EDITIONS = {
    "2025": (date(2025, 1, 1), date(2025, 12, 31)),
    "2026": (date(2026, 1, 1), date(2026, 12, 31)),
}
BRANCHES = {
    "wola-12": "wola",
    "wola-7": "wola",
    "mokotow-3": "mokotow",
}
TRAINER = uid("trainer:anna")
VOLUNTEERS = {"ola": True, "jan": False, "ewa": False, "piotr": False}


def scenario() -> list[dict[str, Any]]:
    """The events in the order they happened (tests shuffle them)."""
    events: list[dict[str, Any]] = []

    def registry(fact: str, data: dict[str, Any], at: datetime) -> None:
        events.append(_event(f.registry(fact), data, at, REGISTRY))

    def matching(fact: str, data: dict[str, Any], at: datetime) -> None:
        events.append(_event(f.matching(fact), data, at, MATCHING))

    for year, (starts, ends) in EDITIONS.items():
        registry(
            "edition.opened.v1",
            {
                "edition_id": uid(f"edition:{year}"),
                "year": int(year),
                "name": f"Edycja {year}",
                "institution_type": "library_branch",
                "starts_on": starts.isoformat(),
                "ends_on": ends.isoformat(),
            },
            _at(starts - timedelta(days=20)),
        )
    for code, district in BRANCHES.items():
        registry(
            "branch.registered.v1",
            {
                "branch_id": uid(f"branch:{code}"),
                "code": code,
                "name": f"Biblioteka dla Dzieci i Młodzieży {code}",
                "district": district,
                "institution_type": "library_branch",
                "district_library": f"Biblioteka Publiczna w Dzielnicy {district.title()}",
                "address": "ul. Przykładowa 1",
            },
            _at(date(2024, 12, 1)),
        )
    registry(
        "edition.closed.v1",
        {
            "edition_id": uid("edition:2025"),
            "year": 2025,
            "name": "Edycja 2025",
            "institution_type": "library_branch",
            "starts_on": "2025-01-01",
            "ends_on": "2025-12-31",
        },
        _at(date(2026, 1, 2)),
    )
    enrolments = {"2025": ["wola-12"], "2026": ["wola-12", "wola-7", "mokotow-3"]}
    for year, codes in enrolments.items():
        for code in codes:
            registry(
                "branch.enrolled.v1",
                {
                    "branch_id": uid(f"branch:{code}"),
                    "code": code,
                    "edition_id": uid(f"edition:{year}"),
                    "funding_pln": "5000.00",
                },
                _at(EDITIONS[year][0]),
            )
    registry(
        "branch.withdrawn.v1",
        {
            "branch_id": uid("branch:mokotow-3"),
            "code": "mokotow-3",
            "edition_id": uid("edition:2026"),
            "reason": "remont",
        },
        _at(date(2026, 3, 1)),
    )
    registry(
        "coordinator.assigned.v1",
        {
            "branch_id": uid("branch:wola-12"),
            "code": "wola-12",
            "staff_id": uid("staff:maria"),
            "name": "Maria Kowalska",
            "email": "maria.kowalska@example.pl",
            "language": "pl",
        },
        _at(date(2026, 1, 5)),
    )
    for code in ("wola-12", "wola-7"):
        registry(
            "trainer.assigned.v1",
            {
                "branch_id": uid(f"branch:{code}"),
                "code": code,
                "edition_id": uid("edition:2026"),
                "trainer_id": TRAINER,
                "name": "Anna Trenerska",
                "email": "anna@example.pl",
                "language": "pl",
            },
            _at(date(2026, 1, 10)),
        )
    stages = {
        ("wola-12", "2026"): {
            "trained": date(2026, 1, 20),
            "programme_prepared": date(2026, 2, 10),
            "recruiting": date(2026, 3, 1),
            "volunteers_active": date(2026, 3, 15),
        },
        ("wola-7", "2026"): {"trained": date(2026, 1, 25)},
        ("wola-12", "2025"): {"trained": date(2025, 2, 1), "evaluated": date(2025, 12, 1)},
    }
    for (code, year), reached in stages.items():
        for stage, day in reached.items():
            registry(
                "stage.reached.v1",
                {
                    "branch_id": uid(f"branch:{code}"),
                    "code": code,
                    "edition_id": uid(f"edition:{year}"),
                    "stage": stage,
                    "reached_on": day.isoformat(),
                },
                _at(day),
            )
    for name, code, visited, follow_up in (
        ("v1", "wola-12", date(2026, 2, 1), date(2026, 3, 1)),
        ("v2", "wola-12", date(2026, 3, 5), date(2026, 4, 20)),
        ("v3", "wola-7", date(2026, 2, 2), date(2026, 2, 20)),
    ):
        registry(
            "visit.recorded.v1",
            {
                "visit_id": uid(f"visit:{name}"),
                "branch_id": uid(f"branch:{code}"),
                "code": code,
                "edition_id": uid("edition:2026"),
                "trainer_id": TRAINER,
                "visited_on": visited.isoformat(),
                "follow_up_on": follow_up.isoformat(),
            },
            _at(visited),
        )
    registry(
        "programme.submitted.v1",
        {
            "branch_id": uid("branch:wola-12"),
            "code": "wola-12",
            "edition_id": uid("edition:2026"),
            "submitted_on": "2026-02-10",
        },
        _at(date(2026, 2, 10)),
    )
    for name, minor in VOLUNTEERS.items():
        matching(
            "volunteer.registered.v1",
            {
                "volunteer_id": uid(f"volunteer:{name}"),
                "districts": ["wola"],
                "minor": minor,
                "languages": ["pl"],
                "registered_at": _at(date(2025, 3, 1)).isoformat(),
            },
            _at(date(2025, 3, 1)),
        )
    tasks = {
        # name: (code, type, starts, places, cancelled)
        "reading-2025": ("wola-12", "reading_help", date(2025, 4, 10), 2, False),
        "reading-2026": ("wola-12", "reading_help", date(2026, 4, 10), 2, False),
        "homework-2026": ("wola-12", "homework_help", date(2026, 5, 12), 1, False),
        "contest-2026": ("wola-7", "contest", date(2026, 5, 20), 3, True),
    }
    for name, (code, kind, starts, places, cancelled) in tasks.items():
        data = {
            "task_id": uid(f"task:{name}"),
            "branch_id": uid(f"branch:{code}"),
            "branch_code": code,
            "type": kind,
            "title": f"Zadanie {name}",
            "starts_at": _at(starts, 14).isoformat(),
            "ends_at": _at(starts, 16).isoformat(),
            "places": places,
            "min_age": None,
            "with_children": True,
            "reason": None,
        }
        matching("task.published.v1", data, _at(starts - timedelta(days=14)))
        if cancelled:
            matching(
                "task.cancelled.v1",
                {**data, "reason": "odwołane"},
                _at(starts - timedelta(days=3)),
            )
    assignments = {
        # name: (task, volunteer, final status, hours approved?)
        "a1": ("reading-2025", "ola", "completed", "approved"),
        "a2": ("reading-2025", "jan", "completed", "approved"),
        "a3": ("reading-2026", "ola", "completed", "approved"),
        "a4": ("reading-2026", "ewa", "no_show", None),
        "a5": ("homework-2026", "piotr", "completed", "logged"),
    }
    for name, (task, volunteer, status, hours) in assignments.items():
        code, _, starts, _, _ = tasks[task]
        data = {
            "assignment_id": uid(f"assignment:{name}"),
            "task_id": uid(f"task:{task}"),
            "volunteer_id": uid(f"volunteer:{volunteer}"),
            "branch_id": uid(f"branch:{code}"),
            "branch_code": code,
            "starts_at": _at(starts, 14).isoformat(),
            "ends_at": _at(starts, 16).isoformat(),
        }
        matching("assignment.confirmed.v1", data, _at(starts - timedelta(days=7)))
        matching(f"assignment.{status}.v1", data, _at(starts, 17))
        if hours:
            entry = {
                "entry_id": uid(f"hours:{name}"),
                "assignment_id": data["assignment_id"],
                "task_id": data["task_id"],
                "branch_id": data["branch_id"],
                "branch_code": code,
                "volunteer_id": data["volunteer_id"],
                "hours": "2.5",
                "worked_on": starts.isoformat(),
            }
            matching("hours.logged.v1", entry, _at(starts, 18))
            if hours == "approved":
                matching("hours.approved.v1", entry, _at(starts + timedelta(days=1)))
    proposals = {
        # name: (task, volunteer, answer)
        "p1": ("reading-2026", "jan", "accepted"),
        "p2": ("homework-2026", "ewa", "declined"),
        "p3": ("reading-2026", "piotr", "expired"),
        "p4": ("homework-2026", "jan", None),
    }
    for name, (task, volunteer, answer) in proposals.items():
        code, _, starts, _, _ = tasks[task]
        made = _at(starts - timedelta(days=10))
        data = {
            "proposal_id": uid(f"proposal:{name}"),
            "task_id": uid(f"task:{task}"),
            "volunteer_id": uid(f"volunteer:{volunteer}"),
            "branch_id": uid(f"branch:{code}"),
            "branch_code": code,
            "expires_at": (made + timedelta(days=2)).isoformat(),
        }
        matching("proposal.made.v1", data, made)
        if answer:
            matching(f"proposal.{answer}.v1", data, made + timedelta(days=1))
    matching(
        "certificate.issued.v1",
        {
            "certificate_id": uid("certificate:ola"),
            "volunteer_id": uid("volunteer:ola"),
            "branch_id": uid("branch:wola-12"),
            "branch_code": "wola-12",
        },
        _at(date(2026, 6, 1)),
    )
    for name, channel, template, status in (
        ("m1", "email", "assignment_confirmed", "sent"),
        ("m2", "sms", "shift_reminder", "sent"),
        ("m3", "sms", "shift_reminder", "failed"),
        ("m4", "in_app", "assignment_confirmed", "sent"),
    ):
        message = {
            "message_id": uid(f"message:{name}"),
            "channel": channel,
            "template": template,
            "recipient_ref": f"volunteer:{uid('volunteer:jan')}",
        }
        if status == "failed":
            message["reason"] = "numer nieosiągalny"
        events.append(
            _event(
                f.notifications(f"message.{status}.v1"),
                message,
                _at(date(2026, 4, 3)),
                NOTIFICATIONS,
            )
        )
    return events
