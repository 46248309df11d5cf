"""A branch's scene for matching's tests, set once: the branch enrolled, people registered,
a coordinator and each volunteer with their bearer headers, and the steps every test of
places repeats (a task published, an application, a place accepted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from shared.testing.platform import TestPlatform
from tests.test_matching_support import (
    bearer,
    enrol_branch,
    one_off_task,
    register_volunteers,
    wait_enrolled,
)


@dataclass(frozen=True)
class Scene:
    http: httpx.AsyncClient
    coordinator: dict[str, str]
    ids: dict[str, str]  # volunteer ids by portal id
    people: dict[str, dict[str, str]]  # each volunteer's headers by portal id

    async def task(self, **changes: Any) -> dict[str, Any]:
        """A task of the coordinator's branch (``one_off_task`` with ``changes``)."""
        created = await self.http.post(
            "/v1/tasks", json=one_off_task(**changes), headers=self.coordinator
        )
        assert created.status_code == 201, created.text
        task: dict[str, Any] = created.json()
        return task

    async def apply(self, task: dict[str, Any], name: str) -> dict[str, Any]:
        applied = await self.http.post(
            f"/v1/tasks/{task['id']}/applications", headers=self.people[name]
        )
        assert applied.status_code == 201, applied.text
        application: dict[str, Any] = applied.json()
        return application

    async def place(self, task: dict[str, Any], name: str) -> dict[str, Any]:
        """The person applies and the coordinator accepts: their application."""
        application = await self.apply(task, name)
        accepted = await self.http.post(
            f"/v1/applications/{application['id']}/accept", headers=self.coordinator
        )
        assert accepted.status_code == 200, accepted.text
        return application


async def branch_scene(
    platform: TestPlatform, http: httpx.AsyncClient, *names: str, code: str = "wola-12"
) -> Scene:
    """Branch ``code`` enrolled, the people ``names`` registered, its coordinator's and each
    person's headers."""
    await enrol_branch(platform, code)
    ids = await register_volunteers(platform, *names)
    await wait_enrolled(platform, code)
    return Scene(
        http=http,
        coordinator=bearer(platform.token("coordinator", branches=(code,))),
        ids=ids,
        people={name: bearer(platform.token("volunteer", subject=ids[name])) for name in names},
    )
