"""The coordinator's pages (/koordynator): their branch's dashboard, tasks, applications and
waitlist, ranked candidates, shifts, hours, agreements, certificates and checks.

Everything comes from matching and reporting through the gateway, with the coordinator's
own token: the services decide what the role may see and do; these pages show it in Polish.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from console.api import ApiClient, ApiError
from console.i18n import N_, WARSAW, local_date, translate
from console.pages._common import CSRF, Api, attempt, field, fields, flash_refusal
from console.web import (
    User,
    api_error_message,
    flash,
    language,
    redirect,
    render,
    require_role,
)
from shared.reference import district_name

router = APIRouter()

Coordinator = Annotated[User, Depends(require_role("coordinator"))]

BRANCH_KEY = "coordinator_branch"
MANY = 200  # rows fetched for one task's lists: a branch's task has a few dozen at most

TASK_TYPES = {
    "reading_help": N_("Pomoc w czytaniu"),
    "homework_help": N_("Pomoc w lekcjach"),
    "computer_help": N_("Pomoc komputerowa"),
    "extra_classes": N_("Zajęcia dodatkowe"),
    "contest": N_("Konkurs"),
    "event_help": N_("Pomoc przy wydarzeniu"),
    "daily_work": N_("Codzienna praca biblioteki"),
    "own_project": N_("Własny projekt"),
}
SCHEDULE_KINDS = {
    "one_off": N_("Jednorazowe"),
    "recurring": N_("Cykliczne (co tydzień)"),
    "flexible": N_("Elastyczne (godziny w okresie)"),
}
WEEKDAYS = {
    "MO": N_("poniedziałek"),
    "TU": N_("wtorek"),
    "WE": N_("środa"),
    "TH": N_("czwartek"),
    "FR": N_("piątek"),
    "SA": N_("sobota"),
    "SU": N_("niedziela"),
}
STATUSES = {
    "published": N_("opublikowane"),
    "cancelled": N_("odwołane"),
    "submitted": N_("zgłoszenie"),
    "waitlisted": N_("lista rezerwowa"),
    "accepted": N_("przyjęte"),
    "rejected": N_("odrzucone"),
    "confirmed": N_("potwierdzony"),
    "completed": N_("wykonany"),
    "no_show": N_("nieobecność"),
    "logged": N_("do zatwierdzenia"),
    "approved": N_("zatwierdzone"),
    "proposed": N_("zaproponowano"),
    "declined": N_("odrzucona"),
    "expired": N_("wygasła"),
}
# Matching explains each rank as reasons with a code, points and values; these are their
# Polish sentences (translated for the page), by code.
REASONS = {
    "skills": N_("umiejętności: {values} ({points})"),
    "interests": N_("zainteresowania: {values} ({points})"),
    "languages": N_("języki: {values} ({points})"),
    "home_district": N_("mieszka w dzielnicy {district} ({points})"),
    "never_engaged": N_("jeszcze bez propozycji ({points})"),
    "last_engaged": N_("ostatnia propozycja lub przydział {days} dni temu ({points})"),
}


# ISO 639-1 codes (as the portal sends them) of the languages Warsaw's volunteers most
# often speak, named in Polish and in English; any other code shows as it is.
LANGUAGE_NAMES = {
    "pl": ("polski", "Polish"),
    "en": ("angielski", "English"),
    "uk": ("ukraiński", "Ukrainian"),
    "ru": ("rosyjski", "Russian"),
    "be": ("białoruski", "Belarusian"),
    "de": ("niemiecki", "German"),
    "fr": ("francuski", "French"),
    "es": ("hiszpański", "Spanish"),
    "it": ("włoski", "Italian"),
    "vi": ("wietnamski", "Vietnamese"),
}


# -- small helpers ---------------------------------------------------------------------------


def language_name(lang: str, code: str) -> str:
    """A language's name in the page language ("uk" → "ukraiński"); an unknown code as it is."""
    names = LANGUAGE_NAMES.get(code.lower())
    if names is None:
        return code
    return names[0] if lang == "pl" else names[1]


def reason_text(lang: str, reason: Mapping[str, Any], english: str | None = None) -> str:
    """One of matching's reasons in the page language. A code this console does not know
    shows as the service's English sentence ``english`` (else as the code and its data)."""
    values = [str(value) for value in reason.get("values") or []]
    if reason.get("code") == "languages":
        values = [language_name(lang, value) for value in values]
    points = f"+{reason.get('points', 0)}"
    text = REASONS.get(str(reason.get("code")))
    if text is None:
        return english or f"{reason.get('code')}: {', '.join(values)} ({points})"
    return translate(
        lang,
        text,
        values=", ".join(values),
        points=points,
        district=district_name(values[0]) if values else "",
        days=reason.get("days"),
    )


def candidate_reasons(lang: str, candidate: Mapping[str, Any]) -> list[str]:
    """Why a candidate ranks where they do, one sentence per reason, in the page language
    (the English sentences alone when the service sends no ``reason_details``)."""
    english = [str(sentence) for sentence in candidate.get("reasons") or []]
    details = candidate.get("reason_details")
    if details is None:
        return english
    return [
        reason_text(lang, reason, english[index] if index < len(english) else None)
        for index, reason in enumerate(details)
    ]


def short_id(value: str) -> str:
    return value.split("-")[0]


def number_or_text(value: str | None) -> int | str | None:
    """A whole number from a form; anything else goes on as typed and the service names
    the field that is wrong."""
    if not value:
        return None
    return int(value) if value.isdigit() else value


def back_to(form: FormData, default: str) -> str:
    """Where a row's action returns to: a local path the form names, or ``default``."""
    target = field(form, "wroc")
    if target and target.startswith("/koordynator") and "//" not in target:
        return target
    return default


def page_helpers() -> dict[str, Any]:
    return {
        "task_types": TASK_TYPES,
        "schedule_kinds": SCHEDULE_KINDS,
        "weekdays": WEEKDAYS,
        "statuses": STATUSES,
        "short_id": short_id,
    }


# -- the branch the coordinator works on -----------------------------------------------------


def chosen_branch(request: Request, user: User) -> str | None:
    """The branch of these pages: ``?oddzial=`` (remembered), the remembered one, or the
    only branch the token lists. The city office may pick any branch."""
    city_office = "city_admin" in user.roles
    asked = request.query_params.get("oddzial")
    if asked and (asked in user.branches or city_office):
        request.session[BRANCH_KEY] = asked
        return asked
    kept = request.session.get(BRANCH_KEY)
    if isinstance(kept, str) and (kept in user.branches or city_office):
        return kept
    if len(user.branches) == 1:
        return user.branches[0]
    return None


async def branch_choices(user: User, api: ApiClient) -> list[tuple[str, str]]:
    """(code, label) of the branches the person may pick."""
    if "city_admin" not in user.roles:
        return [(code, code) for code in user.branches]
    page = await api.get("registry", "/v1/branches", params={"limit": 500})
    return [(item["code"], f"{item['code']} — {item['name']}") for item in page["items"]]


async def choose_branch_page(request: Request, user: User, api: ApiClient) -> Response:
    return render(
        request,
        "coordinator/choose_branch.html",
        choices=await branch_choices(user, api),
        **page_helpers(),
    )


# -- dashboard --------------------------------------------------------------------------------


@router.get("/koordynator")
async def dashboard(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None or request.query_params.get("wybierz"):
        return await choose_branch_page(request, user, api)
    summary, breakdown, open_tasks = await asyncio.gather(
        api.get("reporting", "/v1/reports/summary", params={"branch": branch}),
        api.get("reporting", "/v1/reports/breakdown", params={"branch": branch, "by": "task_type"}),
        api.get(
            "matching",
            "/v1/tasks",
            params={"branch_code": branch, "status": "published", "limit": 100},
        ),
    )
    by_task = {task["id"]: task for task in open_tasks}
    pending, hours = await asyncio.gather(
        _gather_rows(api, open_tasks, "applications", "submitted"),
        _gather_rows(api, open_tasks, "hours", "logged"),
    )
    return render(
        request,
        "coordinator/dashboard.html",
        branch=branch,
        several=len(user.branches) > 1 or "city_admin" in user.roles,
        choices=await branch_choices(user, api) if len(user.branches) > 1 else [],
        summary=summary,
        breakdown=breakdown["items"],
        open_tasks=open_tasks,
        pending=pending,
        hours=hours,
        by_task=by_task,
        **page_helpers(),
    )


async def _gather_rows(
    api: ApiClient, tasks: list[dict[str, Any]], kind: str, status: str
) -> list[dict[str, Any]]:
    """One list (applications, hours) of every task, as one list."""
    answers = await asyncio.gather(
        *(
            api.get(
                "matching",
                f"/v1/tasks/{task['id']}/{kind}",
                params={"status": status, "limit": 100},
            )
            for task in tasks
        )
    )
    return [row for rows in answers for row in rows]


# -- tasks ------------------------------------------------------------------------------------


@router.get("/koordynator/zadania")
async def task_list(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    status = request.query_params.get("status") or None
    if status not in (None, "published", "cancelled"):
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
    }


def task_form_page(
    request: Request,
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
    return task_form_page(request, branch=branch, values=empty_task_form())


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
            return task_form_page(request, branch=branch, values=values, error=error)
        flash_refusal(request, error, N_("Nie opublikowano zadania."))
        return redirect("/koordynator/zadania")
    flash(request, "Zadanie „{title}” opublikowane.", kind="success", title=task["title"])
    return redirect(f"/koordynator/zadania/{task['id']}")


@router.get("/koordynator/zadania/{task_id}/edycja")
async def edit_task(request: Request, task_id: uuid.UUID, user: Coordinator, api: Api) -> Response:
    task = await api.get("matching", f"/v1/tasks/{task_id}")
    return task_form_page(request, branch=task["branch_code"], values=task_form_of(task), task=task)


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
            return task_form_page(
                request, branch=task["branch_code"], values=values, task=task, error=error
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
    applications, assignments, hours = await asyncio.gather(
        api.get("matching", f"{base}/applications", params={"limit": MANY}),
        api.get("matching", f"{base}/assignments", params={"limit": MANY}),
        api.get("matching", f"{base}/hours", params={"limit": MANY}),
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
        schedule=describe_schedule(task),
        submitted=[a for a in applications if a["status"] == "submitted"],
        waitlisted=[a for a in applications if a["status"] == "waitlisted"],
        decided=[a for a in applications if a["status"] in ("accepted", "rejected")],
        assignments=assignments,
        hours=hours,
        names=names,
        here=f"/koordynator/zadania/{task_id}",
        **page_helpers(),
    )


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


# -- applications, waitlist, assignments, hours ----------------------------------------------


# Each row button posts its choice; the value is the service's verb and the two messages.
APPLICATION_DECISIONS = {
    "akceptacja": ("accept", N_("Zgłoszenie przyjęte."), N_("Nie przyjęto zgłoszenia.")),
    "odrzucenie": ("reject", N_("Zgłoszenie odrzucone."), N_("Nie odrzucono zgłoszenia.")),
}
ASSIGNMENT_OUTCOMES = {
    "wykonany": ("complete", N_("Dyżur oznaczony jako wykonany."), N_("Nie zmieniono dyżuru.")),
    "nieobecnosc": ("no-show", N_("Zapisano nieobecność."), N_("Nie zmieniono dyżuru.")),
    "odwolanie": (
        "cancel",
        N_("Dyżur odwołany; miejsce dostaje osoba z listy rezerwowej."),
        N_("Nie zmieniono dyżuru."),
    ),
}
HOURS_DECISIONS = {
    "zatwierdzenie": ("approve", N_("Godziny zatwierdzone."), N_("Nie zmieniono wpisu godzin.")),
    "odrzucenie": ("reject", N_("Godziny odrzucone."), N_("Nie zmieniono wpisu godzin.")),
}


async def row_action(
    request: Request,
    api: ApiClient,
    resource: str,
    choice: str,
    actions: Mapping[str, tuple[str, str, str]],
) -> Response:
    """Post the chosen verb to matching's ``resource``, then back to the page the row is on;
    an unknown choice changes nothing."""
    form = await request.form()
    if choice in actions:
        action, done, failed = actions[choice]
        await attempt(
            request, api.post("matching", f"{resource}/{action}"), done=done, failed=failed
        )
    return redirect(back_to(form, "/koordynator"))


@router.post("/koordynator/zgloszenia/{application_id}/{decision}", dependencies=CSRF)
async def decide_application(
    request: Request, application_id: uuid.UUID, decision: str, user: Coordinator, api: Api
) -> Response:
    resource = f"/v1/applications/{application_id}"
    return await row_action(request, api, resource, decision, APPLICATION_DECISIONS)


@router.post("/koordynator/przydzialy/{assignment_id}/{outcome}", dependencies=CSRF)
async def finish_assignment(
    request: Request, assignment_id: uuid.UUID, outcome: str, user: Coordinator, api: Api
) -> Response:
    resource = f"/v1/assignments/{assignment_id}"
    return await row_action(request, api, resource, outcome, ASSIGNMENT_OUTCOMES)


@router.post("/koordynator/godziny/{entry_id}/{decision}", dependencies=CSRF)
async def decide_hours(
    request: Request, entry_id: uuid.UUID, decision: str, user: Coordinator, api: Api
) -> Response:
    return await row_action(request, api, f"/v1/hours/{entry_id}", decision, HOURS_DECISIONS)


# -- ranked candidates and proposals ----------------------------------------------------------


@router.get("/koordynator/zadania/{task_id}/kandydaci")
async def candidates(request: Request, task_id: uuid.UUID, user: Coordinator, api: Api) -> Response:
    task, ranked = await asyncio.gather(
        api.get("matching", f"/v1/tasks/{task_id}"),
        api.get("matching", f"/v1/tasks/{task_id}/candidates", params={"limit": 20}),
    )
    lang = language(request)
    for candidate in ranked:
        candidate["reasons_read"] = candidate_reasons(lang, candidate)
    return render(
        request,
        "coordinator/candidates.html",
        task=task,
        candidates=ranked,
        **page_helpers(),
    )


@router.post("/koordynator/zadania/{task_id}/propozycje", dependencies=CSRF)
async def propose(request: Request, task_id: uuid.UUID, user: Coordinator, api: Api) -> Response:
    form = await request.form()
    body = {
        "volunteer_id": field(form, "volunteer_id"),
        "expires_in_hours": number_or_text(field(form, "expires_in_hours")) or 48,
    }
    await attempt(
        request,
        api.post("matching", f"/v1/tasks/{task_id}/proposals", json=body),
        done=N_("Propozycja wysłana do wolontariusza."),
        failed=N_("Nie wysłano propozycji."),
    )
    return redirect(f"/koordynator/zadania/{task_id}/kandydaci")


# -- volunteers: agreements, certificates, checks ---------------------------------------------


@router.get("/koordynator/porozumienia")
async def agreements(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    found = await api.get(
        "matching", "/v1/agreements", params={"branch_code": branch, "limit": 200}
    )
    return render(
        request, "coordinator/agreements.html", branch=branch, agreements=found, **page_helpers()
    )


@router.get("/koordynator/wolontariusze/{volunteer_id}")
async def volunteer_page(
    request: Request, volunteer_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    found = await api.get(
        "matching",
        "/v1/agreements",
        params={"branch_code": branch, "volunteer_id": str(volunteer_id), "limit": 50},
    )
    profile = None
    try:
        profile = await api.get("matching", f"/v1/volunteers/{volunteer_id}")
    except ApiError as error:
        if error.status not in (403, 404):
            raise
    certificate = request.query_params.get("zaswiadczenie")
    return render(
        request,
        "coordinator/volunteer.html",
        branch=branch,
        volunteer_id=str(volunteer_id),
        agreements=found,
        profile=profile,
        certificate=certificate if certificate and _is_uuid(certificate) else None,
        today=datetime.now(WARSAW).date().isoformat(),
        **page_helpers(),
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@router.post("/koordynator/wolontariusze/{volunteer_id}/porozumienie", dependencies=CSRF)
async def conclude_agreement(
    request: Request, volunteer_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    branch = chosen_branch(request, user)
    form = await request.form()
    body = {
        "volunteer_id": str(volunteer_id),
        "branch_code": branch,
        **fields(form, "scope", "starts_on", "ends_on"),
    }
    await attempt(
        request,
        api.post("matching", "/v1/agreements", json=body),
        done=N_("Porozumienie zawarte."),
        failed=N_("Nie zapisano porozumienia."),
    )
    return redirect(f"/koordynator/wolontariusze/{volunteer_id}")


@router.post("/koordynator/wolontariusze/{volunteer_id}/zaswiadczenie", dependencies=CSRF)
async def issue_certificate(
    request: Request, volunteer_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    branch = chosen_branch(request, user)
    certificate = await attempt(
        request,
        api.post(
            "matching",
            "/v1/certificates",
            json={"branch_code": branch, "volunteer_id": str(volunteer_id)},
        ),
        done=N_("Zaświadczenie wystawione."),
        failed=N_("Nie wystawiono zaświadczenia."),
    )
    target = f"/koordynator/wolontariusze/{volunteer_id}"
    if certificate is not None:
        target += f"?zaswiadczenie={certificate['id']}"
    return redirect(target)


@router.get("/koordynator/zaswiadczenia/{certificate_id}.pdf")
async def certificate_pdf(
    request: Request, certificate_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    """The PDF streamed from matching (the browser never calls the service itself)."""
    return await api.stream("matching", f"/v1/certificates/{certificate_id}/pdf")


@router.post("/koordynator/wolontariusze/{volunteer_id}/weryfikacja", dependencies=CSRF)
async def record_check(
    request: Request, volunteer_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    body = fields(await request.form(), "register_checked_on", "criminal_record_on")
    body["branch_code"] = chosen_branch(request, user)  # the check is recorded for it
    await attempt(
        request,
        api.put("matching", f"/v1/volunteers/{volunteer_id}/child-protection-check", json=body),
        done=N_("Zapisano weryfikację: rejestr sprawdzony {register}, zaświadczenie z {record}."),
        failed=N_("Nie zapisano weryfikacji."),
        register=body["register_checked_on"] or "",
        record=body["criminal_record_on"] or "",
    )
    return redirect(f"/koordynator/wolontariusze/{volunteer_id}")
