"""A branch's tasks (/koordynator/zadania): the list, publishing, changing and cancelling a
task, and one task's page with its applications, shifts and hours."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from console.api import ApiClient, ApiError
from console.i18n import N_, local_date
from console.pages._common import CSRF, Api, attempt, field, flash_refusal
from console.pages.coordinator._common import (
    MANY,
    WEEKDAYS,
    Coordinator,
    back_to,
    branch_place,
    choose_branch_page,
    chosen_branch,
    number_or_text,
    page_helpers,
)
from console.web import (
    api_error_message,
    flash,
    redirect,
    render,
)

router = APIRouter()
WARSAW = ZoneInfo("Europe/Warsaw")

# -- tasks ------------------------------------------------------------------------------------


@router.get("/koordynator/zadania")
async def task_list(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    status = request.query_params.get("status") or None
    if status not in (None, "published", "finished", "cancelled"):
        status = None
    found = await api.get(
        "matching",
        "/v1/tasks",
        params={"branch_code": branch, "status": status, "limit": 200},
    )
    return render(
        request,
        "coordinator/tasks.html",
        branch=branch,
        place=await branch_place(api, branch),
        tasks=found,
        status=status,
        **page_helpers(),
    )


def empty_task_form() -> dict[str, Any]:
    return {
        "title": "",
        "type": "reading_help",
        "description": "",
        "places": "1",
        "min_age": "",
        "skills": "",
        "with_children": False,
        "what_to_bring": "",
        "contact_first_name": "",
        "languages": "",
        "kind": "one_off",
        "first_day": "",
        "start": "",
        "end": "",
        "byday": [],
        "count": "",
        "until": "",
        "last_day": "",
        "hours": "",
    }


def task_form_of(task: Mapping[str, Any]) -> dict[str, Any]:
    """A task as the form shows it (the weekly RRULE read back into days and an end)."""
    values = empty_task_form()
    values.update(
        title=task["title"],
        type=task["type"],
        description=task.get("description") or "",
        places=str(task["places"]),
        min_age="" if task.get("min_age") is None else str(task["min_age"]),
        skills=", ".join(task.get("skills") or []),
        with_children=bool(task.get("with_children")),
        what_to_bring=task.get("what_to_bring") or "",
        contact_first_name=task.get("contact_first_name") or "",
        languages=", ".join(task.get("languages") or []),
        kind=task["schedule_kind"],
        first_day=task["first_day"],
        start=(task.get("start") or "")[:5],
        end=(task.get("end") or "")[:5],
        last_day=task.get("last_day") or "",
        hours=task.get("hours") or "",
    )
    rule = weekly_rule_parts(task.get("rrule") or "")
    values.update(byday=rule["byday"], count=rule["count"], until=rule["until"])
    return values


def weekly_rule_parts(rrule: str) -> dict[str, Any]:
    parts = dict(
        item.split("=", 1) for item in rrule.removeprefix("RRULE:").split(";") if "=" in item
    )
    until = parts.get("UNTIL", "")
    if len(until) >= 8:
        until = f"{until[:4]}-{until[4:6]}-{until[6:8]}"
    return {
        "byday": [day for day in parts.get("BYDAY", "").split(",") if day in WEEKDAYS],
        "count": parts.get("COUNT", ""),
        "until": until,
    }


def weekly_rule(byday: list[str], count: str | None, until: str | None) -> str | None:
    """An RRULE for "every week on these days", ending after ``count`` shifts or on ``until``."""
    if not byday:
        return None
    rule = f"FREQ=WEEKLY;BYDAY={','.join(byday)}"
    if count:
        return f"{rule};COUNT={count}"
    if until:
        return f"{rule};UNTIL={until.replace('-', '')}T235959"
    return rule  # the service says that a recurring task must end


def task_form_values(form: FormData) -> dict[str, Any]:
    values = empty_task_form()
    for name in values:
        if name not in ("byday", "with_children"):
            values[name] = field(form, name) or ""
    values["byday"] = [day for day in form.getlist("byday") if day in WEEKDAYS]
    values["with_children"] = form.get("with_children") == "tak"
    return values


def task_input(values: Mapping[str, Any], branch: str) -> dict[str, Any]:
    """The form as matching's TaskInput; the service validates it and names bad fields."""
    kind = values["kind"]
    schedule: dict[str, Any] = {"kind": kind, "first_day": values["first_day"] or None}
    if kind in ("one_off", "recurring"):
        schedule.update(start=values["start"] or None, end=values["end"] or None)
    if kind == "recurring":
        schedule["rrule"] = weekly_rule(values["byday"], values["count"], values["until"])
    if kind == "flexible":
        schedule.update(
            last_day=values["last_day"] or None,
            hours=(values["hours"] or "").replace(",", ".") or None,
        )
    skills = [tag.strip() for tag in values["skills"].split(",") if tag.strip()]
    return {
        "branch_code": branch,
        "type": values["type"],
        "title": values["title"],
        "description": values["description"] or None,
        "schedule": schedule,
        "places": number_or_text(values["places"]),
        "min_age": number_or_text(values["min_age"]),
        "skills": skills,
        "with_children": values["with_children"],
        "what_to_bring": values["what_to_bring"] or None,
        "contact_first_name": values["contact_first_name"] or None,
        "languages": [code.strip() for code in values["languages"].split(",") if code.strip()],
    }


async def task_form_page(
    request: Request,
    api: ApiClient,
    *,
    branch: str,
    values: Mapping[str, Any],
    task: Mapping[str, Any] | None = None,
    error: ApiError | None = None,
) -> Response:
    errors = error.field_errors() if error else {}
    # "schedule.rrule" and the like arrive as their last part; show them by the form's names.
    if "rrule" in errors:
        errors.setdefault("byday", errors["rrule"])
    if "schedule" in errors:
        errors.setdefault("first_day", errors["schedule"])
    return render(
        request,
        "coordinator/task_form.html",
        status_code=422 if error else 200,
        branch=branch,
        place=await branch_place(api, branch),
        values=values,
        task=task,
        errors=errors,
        problem=api_error_message(request, error, N_("Nie zapisano zadania.")) if error else None,
        **page_helpers(),
    )


@router.get("/koordynator/zadania/nowe")
async def new_task(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    # Volunteers see whom to ask for: the coordinator's first name, which she may change.
    values = {**empty_task_form(), "contact_first_name": user.name.split(" ")[0]}
    return await task_form_page(request, api, branch=branch, values=values)


@router.post("/koordynator/zadania", dependencies=CSRF)
async def create_task(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return redirect("/koordynator")
    values = task_form_values(await request.form())
    try:
        task = await api.post("matching", "/v1/tasks", json=task_input(values, branch))
    except ApiError as error:
        if error.status in (400, 422):
            return await task_form_page(request, api, branch=branch, values=values, error=error)
        flash_refusal(request, error, N_("Nie opublikowano zadania."))
        return redirect("/koordynator/zadania")
    flash(request, "Zadanie „{title}” opublikowane.", kind="success", title=task["title"])
    return redirect(f"/koordynator/zadania/{task['id']}")


@router.get("/koordynator/zadania/{task_id}/edycja")
async def edit_task(request: Request, task_id: uuid.UUID, user: Coordinator, api: Api) -> Response:
    task = await api.get("matching", f"/v1/tasks/{task_id}")
    return await task_form_page(
        request, api, branch=task["branch_code"], values=task_form_of(task), task=task
    )


@router.post("/koordynator/zadania/{task_id}", dependencies=CSRF)
async def change_task(
    request: Request, task_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    task = await api.get("matching", f"/v1/tasks/{task_id}")
    values = task_form_values(await request.form())
    body = task_input(values, task["branch_code"])
    try:
        await api.put("matching", f"/v1/tasks/{task_id}", json=body)
    except ApiError as error:
        if error.status in (400, 422):
            return await task_form_page(
                request, api, branch=task["branch_code"], values=values, task=task, error=error
            )
        flash_refusal(request, error, N_("Nie zapisano zmian zadania."))
        return redirect(f"/koordynator/zadania/{task_id}")
    flash(request, "Zmiany zadania zapisane.", kind="success")
    return redirect(f"/koordynator/zadania/{task_id}")


@router.post("/koordynator/zadania/{task_id}/odwolanie", dependencies=CSRF)
async def cancel_task(
    request: Request, task_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    form = await request.form()
    await attempt(
        request,
        api.post("matching", f"/v1/tasks/{task_id}/cancel", json={"reason": field(form, "powod")}),
        done=N_("Zadanie odwołane."),
        failed=N_("Nie odwołano zadania."),
    )
    return redirect(f"/koordynator/zadania/{task_id}")


@router.get("/koordynator/zadania/{task_id}")
async def task_page(request: Request, task_id: uuid.UUID, user: Coordinator, api: Api) -> Response:
    task = await api.get("matching", f"/v1/tasks/{task_id}")
    base = f"/v1/tasks/{task_id}"
    applications, assignments, hours, dates, place = await asyncio.gather(
        api.get("matching", f"{base}/applications", params={"limit": MANY}),
        api.get("matching", f"{base}/assignments", params={"limit": MANY}),
        api.get("matching", f"{base}/hours", params={"limit": MANY}),
        api.get("matching", f"{base}/occurrences"),
        branch_place(api, task["branch_code"]),
    )
    names = {
        item["volunteer_id"]: item["volunteer_name"]
        for item in applications
        if item.get("volunteer_name")
    }
    return render(
        request,
        "coordinator/task.html",
        task=task,
        place=place,
        schedule=describe_schedule(task),
        submitted=[a for a in applications if a["status"] == "submitted"],
        waitlisted=[a for a in applications if a["status"] == "waitlisted"],
        decided=[a for a in applications if a["status"] in ("accepted", "rejected")],
        assignments=assignments,
        hours=hours,
        names=names,
        dates=dates,
        today=datetime.now(WARSAW).date().isoformat(),
        shift_states=SHIFT_STATES,
        here=f"/koordynator/zadania/{task_id}",
        **page_helpers(),
    )


# One date of a volunteer's place, as the roster names it.
SHIFT_STATES = {
    "planned": N_("zaplanowany"),
    "declined": N_("odmówiony"),
    "excused": N_("usprawiedliwiony"),
    "attended": N_("obecny"),
    "absent": N_("nieobecny"),
    "cancelled": N_("odwołany"),
}
ATTENDANCE = {
    "obecny": ("attended", N_("Zapisano obecność.")),
    "nieobecny": ("absent", N_("Zapisano nieobecność.")),
    "usprawiedliwiony": ("excused", N_("Zapisano usprawiedliwioną nieobecność.")),
}


@router.post("/koordynator/obecnosc/{occurrence_id}/{mark}", dependencies=CSRF)
async def mark_attendance(
    request: Request, occurrence_id: uuid.UUID, mark: str, user: Coordinator, api: Api
) -> Response:
    """One person's attendance on one date of a task (from the task's roster)."""
    form = await request.form()
    back = back_to(form, "/koordynator/zadania")
    if mark not in ATTENDANCE:
        flash(request, N_("Nieznany rodzaj obecności."), kind="error")
        return redirect(back)
    state, done = ATTENDANCE[mark]
    await attempt(
        request,
        api.post("matching", f"/v1/occurrences/{occurrence_id}/attendance", json={"state": state}),
        done=done,
        failed=N_("Nie zapisano obecności."),
    )
    return redirect(back)


def describe_schedule(task: Mapping[str, Any]) -> str:
    """When the task happens, in a Polish sentence."""
    start, end = (task.get("start") or "")[:5], (task.get("end") or "")[:5]
    first, last = local_date("pl", task["first_day"]), local_date("pl", task.get("last_day"))
    if task["schedule_kind"] == "flexible":
        return f"{task['hours']} godz. między {first} a {last}"
    if task["schedule_kind"] == "recurring":
        rule = weekly_rule_parts(task.get("rrule") or "")
        days = ", ".join(WEEKDAYS[day] for day in rule["byday"]) or task.get("rrule") or ""
        until = local_date("pl", rule["until"])
        ending = f"{rule['count']} razy" if rule["count"] else f"do {until}"
        return f"co tydzień ({days}) {start}–{end}, od {first}, {ending}"
    return f"{first} {start}–{end}"
