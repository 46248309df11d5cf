"""Staff act only on volunteers linked to their branches; candidates show what deciding needs.

A link is an application to, a proposal for or an assignment on a task of the branch, or an
agreement with it. Without one, every route that takes the volunteer's id answers 404, the
same as for an id nobody has; the city office acts everywhere.
"""

from __future__ import annotations

import uuid
from datetime import date

from shared.testing.platform import TestPlatform
from tests.portal import minor_data
from tests.test_matching_support import (
    bearer,
    client,
    enrol_branch,
    one_off_task,
    register_volunteers,
    wait_enrolled,
)

SATURDAY_MORNING = [{"weekday": 6, "start": "09:00", "end": "13:00"}]
CHECK = {"register_checked_on": "2026-11-02", "criminal_record_on": "2026-11-01"}


def agreement(volunteer_id: str, branch_code: str = "wola-12") -> dict[str, str]:
    return {
        "volunteer_id": volunteer_id,
        "branch_code": branch_code,
        "scope": "Pomoc w czytelni",
        "starts_on": "2026-12-05",
        "ends_on": "2026-12-20",
    }


async def test_staff_reach_a_volunteer_only_through_a_link_to_their_branch(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        await enrol_branch(platform, "ochota-1", district="ochota")
        ids = await register_volunteers(platform, "linked", "stranger")
        await wait_enrolled(platform, "wola-12")
        await wait_enrolled(platform, "ochota-1")
        wola = bearer(platform.token("coordinator", branches=("wola-12",), subject="kc-wola"))
        ochota = bearer(platform.token("coordinator", branches=("ochota-1",), subject="kc-ochota"))
        admin = bearer(platform.token("city_admin", subject="kc-city"))
        task = (await http.post("/v1/tasks", json=one_off_task(), headers=wola)).json()
        linked = bearer(platform.token("volunteer", subject=ids["linked"]))
        applied = await http.post(f"/v1/tasks/{task['id']}/applications", headers=linked)
        assert applied.status_code == 201, applied.text
        nobody = str(uuid.uuid4())
        unknown = (await http.get(f"/v1/volunteers/{nobody}", headers=wola)).json()
        assert unknown["status"] == 404

        # The profile: the linked branch sees it whole; anyone else hears "not found".
        profile = await http.get(f"/v1/volunteers/{ids['linked']}", headers=wola)
        assert profile.status_code == 200, profile.text
        assert profile.json()["email"] == "linked@example.pl"
        for who, headers in ((ids["stranger"], wola), (ids["linked"], ochota)):
            hidden = await http.get(f"/v1/volunteers/{who}", headers=headers)
            assert hidden.status_code == 404
            assert hidden.json()["title"] == unknown["title"]
        assert (await http.get(f"/v1/volunteers/{ids['stranger']}", headers=admin)).is_success

        # The child-protection check: for a linked volunteer, for the coordinator's branch.
        def check_url(volunteer_id: str) -> str:
            return f"/v1/volunteers/{volunteer_id}/child-protection-check"

        wola_check = {**CHECK, "branch_code": "wola-12"}
        refused = await http.put(check_url(ids["stranger"]), json=wola_check, headers=wola)
        assert refused.status_code == 404
        elsewhere = await http.put(
            check_url(ids["linked"]), json={**CHECK, "branch_code": "ochota-1"}, headers=ochota
        )
        assert elsewhere.status_code == 404
        not_theirs = await http.put(check_url(ids["linked"]), json=wola_check, headers=ochota)
        assert not_theirs.status_code == 403
        recorded = await http.put(check_url(ids["linked"]), json=wola_check, headers=wola)
        assert recorded.status_code == 200, recorded.text
        history = f"/v1/volunteers/{ids['stranger']}/child-protection-checks"
        assert (await http.get(history, headers=wola)).status_code == 404

        # Agreements and certificates (which name the person) need the link to the branch.
        concluded = await http.post("/v1/agreements", json=agreement(ids["stranger"]), headers=wola)
        assert concluded.status_code == 404
        certificate = {"branch_code": "wola-12", "volunteer_id": ids["stranger"]}
        issued = await http.post("/v1/certificates", json=certificate, headers=wola)
        assert issued.status_code == 404
        own = await http.post("/v1/agreements", json=agreement(ids["linked"]), headers=wola)
        assert own.status_code == 201, own.text
        # The city office acts everywhere.
        by_city = await http.post("/v1/agreements", json=agreement(ids["stranger"]), headers=admin)
        assert by_city.status_code == 201, by_city.text

    checks = await platform.fetch(
        "SELECT volunteer_id::text, branch_code, recorded_by FROM matching.child_protection_checks"
    )
    assert [dict(row) for row in checks] == [
        {"volunteer_id": ids["linked"], "branch_code": "wola-12", "recorded_by": "kc-wola"}
    ]
    agreements = await platform.fetch(
        "SELECT volunteer_id::text FROM matching.agreements ORDER BY created_at"
    )
    assert [row["volunteer_id"] for row in agreements] == [ids["linked"], ids["stranger"]]


async def test_candidates_show_an_age_band_and_no_contact_until_linked(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        teen = minor_data("teen", date(2010, 6, 1))  # 16 on the task's day
        ids = await register_volunteers(
            platform,
            "teen",
            birth_date=teen["birth_date"],
            guardian=teen["guardian"],
            availability=SATURDAY_MORNING,
        )
        ids |= await register_volunteers(platform, "adult", availability=SATURDAY_MORNING)
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        task = (await http.post("/v1/tasks", json=one_off_task(), headers=coordinator)).json()
        url = f"/v1/tasks/{task['id']}/candidates"

        ranked = (await http.get(url, headers=coordinator)).json()
        assert {c["volunteer_id"]: (c["age_band"], c["linked"]) for c in ranked} == {
            ids["teen"]: ("16-17", False),
            ids["adult"]: ("26-59", False),
        }
        shown = set().union(*(candidate.keys() for candidate in ranked))
        assert shown == {
            "volunteer_id",
            "first_name",
            "age_band",
            "linked",
            "rank",
            "points",
            "reasons",
            "reason_details",
        }
        text = str(ranked)
        for personal in ("example.pl", "+48", "2010-06-01", "Kowalska", "Anna"):
            assert personal not in text
        assert (await http.get(f"/v1/volunteers/{ids['teen']}", headers=coordinator)).json()[
            "status"
        ] == 404

        # Once the teen applies, they are linked: the list says so and the record opens.
        teen_token = bearer(platform.token("volunteer", subject=ids["teen"]))
        await http.post(f"/v1/tasks/{task['id']}/applications", headers=teen_token)
        ranked = (await http.get(url, headers=coordinator)).json()
        assert {c["volunteer_id"]: c["linked"] for c in ranked} == {
            ids["teen"]: True,
            ids["adult"]: False,
        }
        record = await http.get(f"/v1/volunteers/{ids['teen']}", headers=coordinator)
        assert record.status_code == 200, record.text
        assert record.json()["birth_date"] == "2010-06-01"
        assert record.json()["guardian"]["name"] == "Anna Kowalska"
