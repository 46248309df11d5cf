"""Everything matching holds about a volunteer, for the person themselves (RODO art. 15 and
20): as JSON and as a readable PDF; and their own request for erasure, which takes the
same path as the portal's ``volunteer.erasure_requested`` (``volunteers.erase_volunteer``).

Kiosk codes (a live pass) and digests of secret links are left out: they are keys, not
facts about the person. A certificate's PDF is listed, not embedded (it has its own link).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode
from sqlmodel import SQLModel, col, select

from matching import volunteers
from matching.certificate_pdf import DEJAVU_SANS
from matching.contracts import PortalErasureRequested
from matching.tables import (
    Agreement,
    Application,
    Assignment,
    CalendarFeed,
    Certificate,
    ChildProtectionCheck,
    HoursEntry,
    Milestone,
    Occurrence,
    Proposal,
    Task,
    Volunteer,
)
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork

# Per table: what is not the person's data (keys, digests, whole documents).
LEFT_OUT: dict[type[SQLModel], set[str]] = {
    Occurrence: {"code"},
    Certificate: {"pdf"},
    CalendarFeed: {"token_digest"},
}
# The sections in the order people read them, with their Polish and English headings.
SECTIONS = (
    ("profile", "Profil", "Profile"),
    ("child_protection_checks", "Weryfikacje (ustawa Kamilka)", "Child-protection checks"),
    ("applications", "Zgłoszenia", "Applications"),
    ("proposals", "Propozycje", "Proposals"),
    ("assignments", "Przydziały", "Assignments"),
    ("shifts", "Dyżury według dat", "Shifts by date"),
    ("hours", "Godziny", "Hours"),
    ("milestones", "Osiągnięcia", "Milestones"),
    ("agreements", "Porozumienia", "Agreements"),
    ("certificates", "Zaświadczenia", "Certificates"),
    ("calendar_feed", "Link do kalendarza", "Calendar link"),
    ("tasks", "Zadania, których to dotyczy", "Tasks concerned"),
)


def _plain(row: SQLModel) -> dict[str, Any]:
    """A row as JSON values (ids, moments and amounts as text)."""
    return row.model_dump(mode="json", exclude=LEFT_OUT.get(type(row), set()))


async def _all(uow: UnitOfWork, table: type[Any], volunteer_id: uuid.UUID) -> Sequence[Any]:
    query = select(table).where(col(table.volunteer_id) == volunteer_id)
    return (await uow.session.exec(query)).all()


async def _volunteer(uow: UnitOfWork, volunteer_id: uuid.UUID) -> Volunteer:
    volunteer = await uow.session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.erased_at is not None:
        raise Problem(404, "Volunteer not found", f"no volunteer with id {volunteer_id}")
    return volunteer


async def collect(uow: UnitOfWork, volunteer_id: uuid.UUID) -> dict[str, Any]:
    """Every record of the person, by section (see ``SECTIONS``)."""
    volunteer = await _volunteer(uow, volunteer_id)
    found: dict[str, Sequence[Any]] = {
        "child_protection_checks": await _all(uow, ChildProtectionCheck, volunteer_id),
        "applications": await _all(uow, Application, volunteer_id),
        "proposals": await _all(uow, Proposal, volunteer_id),
        "assignments": await _all(uow, Assignment, volunteer_id),
        "shifts": await _all(uow, Occurrence, volunteer_id),
        "hours": await _all(uow, HoursEntry, volunteer_id),
        "milestones": await _all(uow, Milestone, volunteer_id),
        "agreements": await _all(uow, Agreement, volunteer_id),
        "certificates": await _all(uow, Certificate, volunteer_id),
        "calendar_feed": await _all(uow, CalendarFeed, volunteer_id),
    }
    task_ids = {
        row.task_id for key in ("applications", "proposals", "assignments") for row in found[key]
    }
    tasks = (
        (await uow.session.exec(select(Task).where(col(Task.id).in_(task_ids)))).all()
        if task_ids
        else []
    )
    data: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(),
        "profile": _plain(volunteer),
        **{key: [_plain(row) for row in rows] for key, rows in found.items()},
        "tasks": [
            {
                "id": str(task.id),
                "title": task.title,
                "branch_code": task.branch_code,
                "starts_at": task.starts_at.isoformat(),
                "ends_at": task.ends_at.isoformat(),
            }
            for task in tasks
        ],
    }
    return data


def _lines(value: Any) -> Iterable[str]:
    """A section's content as lines: one record a paragraph of "field: value"."""
    records = value if isinstance(value, list) else [value]
    if not records:
        yield "—"
    for record in records:
        yield "; ".join(
            f"{key}: {', '.join(map(str, item)) if isinstance(item, list) else item}"
            for key, item in record.items()
            if item not in (None, [], {})
        )


def render_pdf(data: dict[str, Any]) -> bytes:
    """The same data for people: a heading per section (Polish / English), a paragraph per
    record."""
    pdf = FPDF(format="A4")
    pdf.set_title("Moje dane w programie wolontariatu / My data in the volunteering programme")
    pdf.set_creator("Wolontariat w bibliotekach m.st. Warszawy")
    pdf.add_font("DejaVu", "", str(DEJAVU_SANS))
    pdf.add_page()
    pdf.set_font("DejaVu", size=16)
    pdf.multi_cell(0, 9, "Moje dane w programie wolontariatu", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    pdf.multi_cell(
        0,
        6,
        f"My data in the volunteering programme. Stan na / as of {data['generated_at']}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for key, polish, english in SECTIONS:
        pdf.ln(4)
        pdf.set_font("DejaVu", size=13)
        pdf.multi_cell(0, 8, f"{polish} / {english}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=9)
        for line in _lines(data[key]):
            # Long ids break anywhere rather than running off the page.
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)
            pdf.ln(1)
    return bytes(pdf.output())


async def request_erasure(uow: UnitOfWork, volunteer_id: uuid.UUID) -> datetime:
    """The person asks to be forgotten: the portal's erasure, for their portal id."""
    volunteer = await _volunteer(uow, volunteer_id)
    if volunteer.portal_id is None:
        raise Problem(409, "Cannot erase", "the profile has no portal id to erase by")
    requested_at = datetime.now(UTC)
    erased = await volunteers.erase_volunteer(
        uow, PortalErasureRequested(portal_id=volunteer.portal_id, requested_at=requested_at)
    )
    assert erased is not None and erased.erased_at is not None
    return erased.erased_at
