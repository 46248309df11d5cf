"""Test helpers: the registry in-process with an HTTP client and tokens of each role.

Like ``shared.testing``, it ships with the package so that every test suite (this
service's and the end-to-end one) drives the registry the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from shared.service import Service
from shared.testing.platform import TestPlatform

PROGRAMME = {
    "spaces": "Czytelnia na piętrze, dwa stanowiska komputerowe",
    "hours_available": "Wtorki i czwartki 15:00-19:00",
    "task_types": ["reading_help", "homework_help", "event_help"],
    "volunteer_profiles": "Licealiści i seniorzy, którzy lubią czytać dzieciom",
    "welcome_and_care": "Spotkanie powitalne z koordynatorką, opiekun na pierwsze dyżury",
}
REPORT = {
    "summary": "Dwunastu wolontariuszy prowadziło głośne czytanie i pomoc w lekcjach.",
    "volunteers_count": 12,
    "volunteer_hours": "340.50",
    "tasks_carried_out": ["Głośne czytanie", "Pomoc w lekcjach"],
}


@dataclass
class Registry:
    platform: TestPlatform
    service: Service
    client: httpx.AsyncClient

    def auth(
        self, role: str = "city_admin", *, branches: tuple[str, ...] = (), subject: str = "tester"
    ) -> dict[str, str]:
        token = self.platform.token(role, branches=branches, subject=subject)
        return {"authorization": f"Bearer {token}"}

    async def call(
        self,
        method: str,
        path: str,
        *,
        expect: int = 200,
        role: str = "city_admin",
        branches: tuple[str, ...] = (),
        subject: str = "tester",
        **kwargs: Any,
    ) -> Any:
        response = await self.client.request(
            method, path, headers=self.auth(role, branches=branches, subject=subject), **kwargs
        )
        assert response.status_code == expect, f"{method} {path}: {response.text}"
        if expect >= 400:
            assert response.headers["content-type"] == "application/problem+json"
        return response.json() if response.content else None

    async def edition(
        self, year: int = 2019, *, open: bool = True, institution_type: str = "library_branch"
    ) -> dict[str, Any]:
        edition = await self.call(
            "POST",
            "/v1/editions",
            expect=201,
            json={
                "year": year,
                "name": f"Edycja {year}",
                "institution_type": institution_type,
                "starts_on": f"{year}-01-15",
                "ends_on": f"{year}-12-15",
            },
        )
        if open:
            edition = await self.call("POST", f"/v1/editions/{edition['id']}/open")
        return dict(edition)

    async def branch(self, code: str = "wola-12", **fields: Any) -> dict[str, Any]:
        body = {
            "code": code,
            "name": "Wypożyczalnia dla Dorosłych i Młodzieży nr 12",
            "district": code.rsplit("-", 1)[0] if "-" in code else "wola",
            "address": "ul. Przykładowa 1, 01-234 Warszawa",
            **fields,
        }
        return dict(await self.call("POST", "/v1/branches", expect=201, json=body))

    async def enrol(
        self, edition: dict[str, Any], code: str, funding: str = "5000.00"
    ) -> dict[str, Any]:
        return dict(
            await self.call(
                "POST",
                f"/v1/editions/{edition['id']}/enrolments",
                expect=201,
                json={"branch_code": code, "funding_pln": funding, "enrolled_on": "2019-02-01"},
            )
        )

    async def trainer(self, name: str, email: str, subject: str) -> dict[str, Any]:
        body = {"name": name, "email": email, "subject": subject}
        return dict(await self.call("POST", "/v1/trainers", expect=201, json=body))

    async def assign_trainer(self, enrolment: dict[str, Any], trainer: dict[str, Any]) -> None:
        await self.call(
            "POST",
            f"/v1/enrolments/{enrolment['id']}/trainers",
            expect=201,
            json={"trainer_id": trainer["id"]},
        )

    async def enrolled_with_team(self) -> dict[str, Any]:
        """Branch wola-12 enrolled, with trainer Ewa (user kc-ewa) and coordinator Anna
        (user kc-anna)."""
        edition = await self.edition()
        await self.branch("wola-12")
        enrolment = await self.enrol(edition, "wola-12")
        trainer = await self.trainer("Ewa Trenerska", "ewa@ngo.example.pl", "kc-ewa")
        await self.assign_trainer(enrolment, trainer)
        staff = await self.call(
            "POST",
            "/v1/staff",
            expect=201,
            json={"name": "Anna Kowalska", "email": "a@example.pl", "subject": "kc-anna"},
        )
        await self.call(
            "POST", "/v1/branches/wola-12/coordinators", expect=201, json={"staff_id": staff["id"]}
        )
        return {"edition": edition, "enrolment": enrolment, "trainer": trainer, "staff": staff}
