"""matching.hours.approved.v1 on the real broker: the first hours at a recruiting branch
move it to "volunteers active"; nothing else does."""

from __future__ import annotations

import uuid
from typing import Any

from registry.contracts import HOURS_APPROVED
from registry.testing import Registry
from shared.testing.platform import cloud_event, eventually
from shared.topology import EVENTS_EXCHANGE


def hours_approved(branch: dict[str, Any], worked_on: str = "2019-06-03") -> dict[str, Any]:
    return cloud_event(
        HOURS_APPROVED,
        {
            "entry_id": str(uuid.uuid4()),
            "assignment_id": str(uuid.uuid4()),
            "task_id": str(uuid.uuid4()),
            "branch_id": branch["id"],
            "branch_code": branch["code"],
            "volunteer_id": str(uuid.uuid4()),
            "hours": "2.5",
            "worked_on": worked_on,
        },
        source="/volunteering/matching",
    )


async def _publish(registry: Registry, event: dict[str, Any]) -> None:
    await registry.platform.publish(
        event, routing_key=event["type"], exchange=EVENTS_EXCHANGE, message_id=event["id"]
    )


async def _inbox_count(registry: Registry) -> int:
    return int(await registry.platform.fetchval("SELECT count(*) FROM registry.inbox"))


async def test_first_approved_hours_make_a_recruiting_branch_active(registry: Registry) -> None:
    edition = await registry.edition()
    recruiting = await registry.branch("wola-12")
    trained = await registry.branch("wola-13")
    not_enrolled = await registry.branch("wola-14")
    for code in ("wola-12", "wola-13"):
        enrolment = await registry.enrol(edition, code)
        stage = "recruiting" if code == "wola-12" else "trained"
        await registry.call(
            "POST",
            f"/v1/enrolments/{enrolment['id']}/stages",
            json={"stage": stage, "reached_on": "2019-05-01", "reason": "dane z 2018 r."},
        )

    first = hours_approved(recruiting, worked_on="2019-06-03")
    await _publish(registry, first)
    await _publish(registry, first)  # redelivered: no second effect
    await _publish(registry, hours_approved(recruiting, worked_on="2019-06-10"))
    await _publish(registry, hours_approved(trained))
    await _publish(registry, hours_approved(not_enrolled))
    unknown = {"id": str(uuid.uuid4()), "code": "nieznana-1"}
    await _publish(registry, hours_approved(unknown))

    async def all_handled() -> bool:
        return await _inbox_count(registry) == 5

    await eventually(all_handled, message="five distinct events handled")

    enrolments = await registry.call("GET", "/v1/enrolments", params={"edition": edition["id"]})
    stages = {e["branch"]["code"]: (e["stage"], e["stage_reached_on"]) for e in enrolments["items"]}
    assert stages == {
        "wola-12": ("volunteers_active", "2019-06-03"),
        "wola-13": ("trained", "2019-05-01"),
    }
    reached = await registry.platform.fetchval(
        "SELECT count(*) FROM registry.outbox WHERE event_type LIKE '%stage.reached%' "
        "AND convert_from(body, 'UTF8')::jsonb -> 'data' ->> 'stage' = 'volunteers_active'"
    )
    assert reached == 1
    assert await registry.platform.dead_letters("registry") == []
