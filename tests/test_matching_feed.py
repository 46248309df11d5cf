"""The personal iCal feed of confirmed shifts, behind an unguessable link."""

from __future__ import annotations

from icalendar import Calendar
from structlog.testing import capture_logs

from shared.testing.platform import TestPlatform
from tests.test_matching_support import (
    bearer,
    client,
    enrol_branch,
    one_off_task,
    register_volunteers,
    wait_enrolled,
)

WEEKLY_OVER_DST = {
    "kind": "recurring",
    "first_day": "2026-10-20",
    "start": "16:00",
    "end": "18:00",
    "rrule": "FREQ=WEEKLY;COUNT=3",
}


async def test_feed_lists_each_confirmed_shift_in_utc(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "reader")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        volunteer = bearer(platform.token("volunteer", subject=ids["reader"]))
        body = one_off_task(schedule=WEEKLY_OVER_DST, title="Klub czytelniczy")
        task = (await http.post("/v1/tasks", json=body, headers=coordinator)).json()
        application = (
            await http.post(f"/v1/tasks/{task['id']}/applications", headers=volunteer)
        ).json()
        await http.post(f"/v1/applications/{application['id']}/accept", headers=coordinator)

        link = (await http.post("/v1/me/calendar-feed", headers=volunteer)).json()["url"]
        with capture_logs() as logged:
            feed = await http.get(link)
        # The token is the feed's only credential: the request's log and audit lines name
        # the route with the token redacted.
        token = link.rsplit("/", 1)[-1].removesuffix(".ics")
        paths = [line["path"] for line in logged if "path" in line]
        assert paths and all(token not in str(line) for line in logged)
        assert "/v1/calendar-feeds/[redacted].ics" in paths
        assert feed.status_code == 200
        assert feed.headers["content-type"].startswith("text/calendar")
        events = Calendar.from_ical(feed.content).walk("VEVENT")
        starts = [event.decoded("dtstart").isoformat() for event in events]
        assert starts == [
            "2026-10-20T14:00:00+00:00",  # 16:00 CEST
            "2026-10-27T15:00:00+00:00",  # 16:00 CET, after the change
            "2026-11-03T15:00:00+00:00",
        ]
        assert str(events[0]["summary"]) == "Klub czytelniczy"

        newer = (await http.post("/v1/me/calendar-feed", headers=volunteer)).json()["url"]
        assert (await http.get(link)).status_code == 404  # the old link stops working
        assert (await http.get(newer)).status_code == 200
        guessed = await http.get("/v1/calendar-feeds/" + "a" * 43 + ".ics")
        assert guessed.status_code == 404
