"""The coordinator's dashboard (/koordynator): the branch's figures, open tasks, and what
waits for a decision."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api import ApiClient
from console.pages._common import Api
from console.pages.coordinator._common import (
    Coordinator,
    branch_choices,
    branch_place,
    choose_branch_page,
    chosen_branch,
    page_helpers,
)
from console.web import (
    render,
)

router = APIRouter()

# -- dashboard --------------------------------------------------------------------------------


@router.get("/koordynator")
async def dashboard(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None or request.query_params.get("wybierz"):
        return await choose_branch_page(request, user, api)
    summary, breakdown, open_tasks, finished = await asyncio.gather(
        api.get("reporting", "/v1/reports/summary", params={"branch": branch}),
        api.get("reporting", "/v1/reports/breakdown", params={"branch": branch, "by": "task_type"}),
        api.get(
            "matching",
            "/v1/tasks",
            params={"branch_code": branch, "status": "published", "limit": 100},
        ),
        # Dates all passed: not open any more, but their hours still wait for a decision.
        api.get(
            "matching",
            "/v1/tasks",
            params={"branch_code": branch, "status": "finished", "limit": 100},
        ),
    )
    by_task = {task["id"]: task for task in [*open_tasks, *finished]}
    pending, hours = await asyncio.gather(
        _gather_rows(api, open_tasks, "applications", "submitted"),
        _gather_rows(api, list(by_task.values()), "hours", "logged"),
    )
    return render(
        request,
        "coordinator/dashboard.html",
        branch=branch,
        place=await branch_place(api, branch),
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
