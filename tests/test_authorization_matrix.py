"""Every route of every service, called by every role and by staff of another branch.

The matrix below is the platform's access policy written out by hand (OWASP API1: broken
object level authorization, API5: broken function level authorization). The test fails
when a service has a route the matrix does not name, when the matrix names a route that no
longer exists, and when any identity is let in where the policy says no (or kept out
where it says yes). It runs against a seeded programme on the real broker and database:
path parameters name real objects of branch A, so "another branch" really means one.

Outcomes: *allow* is any answer but 401/403 (a 404 or 422 for an allowed role is the
route's own business); *deny* is 401 or 403; for ``link`` routes (no bearer token, a
signed link instead) a request without a valid link must be refused whoever asks.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from matching.seed import publish_registrations, seed_matching, wait_for
from registry.seed import seed as seed_registry
from shared.auth import generate_key_pair, sign_token
from shared.service import Service
from shared.settings import ServiceSettings
from shared.testing.platform import TestPlatform, eventually
from shared.testing.staff import STAFF_SCOPE_SCHEMAS, JwksIssuer

SERVICES = ("registry", "matching", "notifications", "reporting")

# Who may call a route. ``admin`` is the city office alone; the city office may call
# everything except what only makes sense for a volunteer or a coordinator about
# themselves (``self``, ``own_staff``).
ROLE_SETS: dict[str, frozenset[str]] = {
    "public": frozenset(),
    "self": frozenset({"volunteer"}),
    "own_staff": frozenset({"coordinator"}),  # a coordinator's own notification choices
    "admin": frozenset({"city_admin"}),
    "staff": frozenset({"city_admin", "trainer", "coordinator"}),
    # Registry's staff reads: a district library's administrator sees the library's branches.
    "registry_staff": frozenset({"city_admin", "trainer", "coordinator", "district_admin"}),
    # "A district library's director or a branch coordinator applies for a branch."
    "applicant": frozenset({"city_admin", "coordinator", "district_admin"}),
    "trainer": frozenset({"city_admin", "trainer"}),
    "coordinator": frozenset({"city_admin", "coordinator"}),
    "branch_staff": frozenset({"city_admin", "coordinator"}),
    "volunteer": frozenset({"city_admin", "volunteer"}),
    "everyone": frozenset({"city_admin", "trainer", "coordinator", "volunteer"}),
    "coordinator_or_volunteer": frozenset({"city_admin", "coordinator", "volunteer"}),
}

# service method path roles scope
#   scope "-":      not tied to one branch or person
#   scope "branch": an object of branch A; staff of branch B must be refused
#   scope "own":    a volunteer's own object; another volunteer (and staff of branch B) refused
#   scope "link":   no bearer token: a signed link decides, and none is given here
# A volunteer's routes under /me always answer about the caller, so they need no scope; a
# volunteer asking for a certificate always gets their own (the body's volunteer is for staff).
# A query string in the path is sent as it stands (the route's path is the part before "?").
MATRIX = """
registry GET    /health/live                                  public  -
registry GET    /health/ready                                 public  -
registry GET    /metrics                                      public  -
registry GET    /v1/districts                                 registry_staff -
registry GET    /v1/organisations                             registry_staff -
registry POST   /v1/branches                                  admin   -
registry POST   /v1/branches/import                           admin   -
registry GET    /v1/branches                                  registry_staff -
registry GET    /v1/branches/{key}                            registry_staff branch
registry PATCH  /v1/branches/{key}                            admin   -
registry POST   /v1/editions                                  admin   -
registry GET    /v1/editions                                  registry_staff -
registry GET    /v1/editions/{edition_id}                     registry_staff -
registry PATCH  /v1/editions/{edition_id}                     admin   -
registry POST   /v1/editions/{edition_id}/open                admin   -
registry POST   /v1/editions/{edition_id}/close               admin   -
registry POST   /v1/editions/{edition_id}/enrolments          admin   -
registry GET    /v1/enrolments                                registry_staff -
registry GET    /v1/enrolments/{enrolment_id}                 registry_staff branch
registry PATCH  /v1/enrolments/{enrolment_id}                 admin   -
registry POST   /v1/enrolments/{enrolment_id}/withdraw        admin   -
registry POST   /v1/staff                                     admin   -
registry GET    /v1/staff                                     admin   -
registry GET    /v1/staff/{staff_id}                          admin   -
registry PATCH  /v1/staff/{staff_id}                          admin   -
registry POST   /v1/staff/{staff_id}/erasure                  admin   -
registry POST   /v1/trainers                                  admin   -
registry GET    /v1/trainers                                  admin   -
registry GET    /v1/trainers/{trainer_id}                     admin   -
registry PATCH  /v1/trainers/{trainer_id}                     admin   -
registry POST   /v1/trainers/{trainer_id}/erasure             admin   -
registry GET    /v1/coordinators                              admin   -
registry GET    /v1/administrators                            admin   -
registry GET    /v1/branches/{key}/coordinators               registry_staff branch
registry POST   /v1/branches/{key}/coordinators               admin   -
registry GET    /v1/organisations/{organisation_id}/administrators admin -
registry POST   /v1/organisations/{organisation_id}/administrators admin -
registry DELETE /v1/organisations/{organisation_id}/administrators/{staff_id} admin -
registry DELETE /v1/branches/{key}/coordinators/{staff_id}    admin   -
registry POST   /v1/enrolments/{enrolment_id}/trainers        admin   -
registry DELETE /v1/enrolments/{enrolment_id}/trainers/{trainer_id} admin -
registry POST   /v1/enrolments/{enrolment_id}/mentors         admin   -
registry GET    /v1/enrolments/{enrolment_id}/team            registry_staff branch
registry GET    /v1/enrolments/{enrolment_id}/stages          registry_staff branch
registry POST   /v1/enrolments/{enrolment_id}/stages          trainer branch
registry POST   /v1/editions/{edition_id}/modules             admin   -
registry GET    /v1/editions/{edition_id}/modules             registry_staff -
registry POST   /v1/modules/{module_id}/sessions              admin   -
registry GET    /v1/modules/{module_id}/sessions              registry_staff -
registry POST   /v1/sessions/{session_id}/attendance          trainer -
registry GET    /v1/sessions/{session_id}/attendance          registry_staff -
registry GET    /v1/enrolments/{enrolment_id}/training        registry_staff branch
registry PUT    /v1/enrolments/{enrolment_id}/programme       branch_staff branch
registry GET    /v1/enrolments/{enrolment_id}/programme       registry_staff branch
registry POST   /v1/enrolments/{enrolment_id}/programme/submit branch_staff branch
registry POST   /v1/enrolments/{enrolment_id}/visits          trainer branch
registry PATCH  /v1/visits/{visit_id}                         trainer branch
registry GET    /v1/visits                                    registry_staff -
registry PUT    /v1/enrolments/{enrolment_id}/report          branch_staff branch
registry GET    /v1/enrolments/{enrolment_id}/report          registry_staff branch
registry POST   /v1/enrolments/{enrolment_id}/report/submit   branch_staff branch
registry POST   /v1/enrolments/{enrolment_id}/report/accept   admin   -
registry GET    /v1/enrolments/{enrolment_id}/{document}/comments registry_staff branch
registry POST   /v1/enrolments/{enrolment_id}/{document}/comments trainer branch
registry POST   /v1/enrolments/{enrolment_id}/programme/accept trainer branch
registry GET    /v1/documents/{document}                      registry_staff -
registry PUT    /v1/sessions/{session_id}/notes               trainer -
registry PUT    /v1/editions/{edition_id}/call                admin   -
registry GET    /v1/editions/{edition_id}/call                registry_staff -
registry GET    /v1/editions/{edition_id}/budget              admin   -
registry POST   /v1/editions/{edition_id}/applications        applicant -
registry GET    /v1/applications                              registry_staff -
registry GET    /v1/applications/{application_id}             registry_staff -
registry PUT    /v1/applications/{application_id}             applicant -
registry POST   /v1/applications/{application_id}/accept      admin   -
registry POST   /v1/applications/{application_id}/reject      admin   -
registry POST   /v1/applications/{application_id}/request-changes admin -
matching GET    /health/live                                  public  -
matching GET    /health/ready                                 public  -
matching GET    /metrics                                      public  -
matching GET    /v1/volunteers/{volunteer_id}                 coordinator branch
matching GET    /v1/me                                        self      -
matching GET    /v1/me/preferences                            self      -
matching PUT    /v1/me/preferences                            self      -
matching GET    /v1/me/data                                   self      -
matching GET    /v1/me/data.pdf                               self      -
matching POST   /v1/me/erasure                                self      -
matching POST   /v1/tasks                                     coordinator branch
matching PUT    /v1/tasks/{task_id}                           coordinator branch
matching POST   /v1/tasks/{task_id}/cancel                    coordinator branch
matching GET    /v1/tasks                                     everyone -
matching GET    /v1/tasks/{task_id}                           everyone -
matching GET    /v1/me/open-tasks                             self      -
matching GET    /v1/me/open-tasks/{task_id}                   self      -
matching PUT    /v1/volunteers/{volunteer_id}/child-protection-check coordinator branch
matching GET    /v1/volunteers/{volunteer_id}/child-protection-checks coordinator branch
matching POST   /v1/child-protection-checks/sweep             admin   -
matching POST   /v1/tasks/{task_id}/applications              self    -
matching GET    /v1/tasks/{task_id}/applications              coordinator branch
matching POST   /v1/applications/{application_id}/accept      coordinator branch
matching POST   /v1/applications/{application_id}/reject      coordinator branch
matching GET    /v1/me/applications                           self      -
matching POST   /v1/applications/{application_id}/withdraw    self    own
matching GET    /v1/tasks/{task_id}/assignments               staff   branch
matching GET    /v1/me/assignments                            self      -
matching POST   /v1/assignments/{assignment_id}/cancel        coordinator_or_volunteer own
matching POST   /v1/assignments/{assignment_id}/complete      coordinator branch
matching POST   /v1/assignments/{assignment_id}/no-show       coordinator branch
matching GET    /v1/tasks/{task_id}/candidates                coordinator branch
matching POST   /v1/plans                                     coordinator branch
matching POST   /v1/tasks/{task_id}/proposals                 coordinator branch
matching GET    /v1/me/proposals                              self      -
matching POST   /v1/proposals/expire-overdue                  admin   -
matching POST   /v1/proposals/{proposal_id}/accept            volunteer own
matching POST   /v1/proposals/{proposal_id}/decline           volunteer own
matching GET    /v1/proposals/{proposal_id}/respond           public  link
matching POST   /v1/proposals/{proposal_id}/respond           public  link
matching GET    /v1/tasks/{task_id}/occurrences               staff   branch
matching POST   /v1/occurrences/{occurrence_id}/attendance    coordinator branch
matching GET    /v1/me/occurrences                            self      -
matching POST   /v1/occurrences/{occurrence_id}/excuse        volunteer own
matching POST   /v1/occurrences/{occurrence_id}/pass          volunteer own
matching POST   /v1/branches/{branch_code}/kiosk              coordinator branch
matching GET    /v1/branches/{branch_code}/kiosks             coordinator branch
matching POST   /v1/kiosks/{kiosk_id}/revoke                  coordinator branch
matching GET    /v1/branches/{branch_code}/place              everyone -
matching GET    /v1/branches/{branch_code}/volunteers-by-hours coordinator branch
matching GET    /v1/kiosk                                     public  link
matching POST   /v1/kiosk/check-ins                           public  link
matching POST   /v1/kiosk/close                               public  link
matching POST   /v1/assignments/{assignment_id}/hours         coordinator_or_volunteer own
matching POST   /v1/hours/{entry_id}/approve                  coordinator branch
matching POST   /v1/hours/{entry_id}/reject                   coordinator branch
matching GET    /v1/tasks/{task_id}/hours                     staff   branch
matching GET    /v1/me/hours                                  self      -
matching GET    /v1/me/hours/summary                          self      -
matching GET    /v1/me/milestones                             self      -
matching POST   /v1/agreements                                coordinator branch
matching GET    /v1/agreements                                coordinator_or_volunteer -
matching POST   /v1/certificates                              coordinator_or_volunteer branch
matching GET    /v1/agreements/{agreement_id}                 coordinator_or_volunteer own
matching GET    /v1/agreements/{agreement_id}/pdf             coordinator_or_volunteer own
matching POST   /v1/agreements/{agreement_id}/signed-copy     coordinator_or_volunteer own
matching GET    /v1/agreements/{agreement_id}/signed-copy     coordinator_or_volunteer own
matching POST   /v1/agreements/{agreement_id}/reference-request self own
matching GET    /v1/references                                coordinator_or_volunteer -
matching PUT    /v1/references/{reference_id}/text            coordinator branch
matching GET    /v1/references/{reference_id}/pdf             coordinator_or_volunteer own
matching GET    /v1/certificates/{certificate_id}/pdf         coordinator_or_volunteer own
matching POST   /v1/me/calendar-feed                          self      -
matching GET    /v1/calendar-feeds/{token}.ics                public  link
notifications GET  /health/live                               public  -
notifications GET  /health/ready                              public  -
notifications GET  /metrics                                   public  -
notifications GET  /v1/inbox                                  self      -
notifications POST /v1/inbox/{message_id}/read                self    own
notifications GET  /v1/preferences                            self      -
notifications PUT  /v1/preferences                            self      -
notifications GET  /v1/staff/preferences                      own_staff -
notifications PUT  /v1/staff/preferences                      own_staff -
notifications GET  /v1/messages?branch_code={key}              coordinator branch
notifications GET  /v1/messages/{message_id}                  coordinator branch
reporting GET   /health/live                                  public  -
reporting GET   /health/ready                                 public  -
reporting GET   /metrics                                      public  -
reporting GET   /v1/volunteers/count                          staff   -
reporting GET   /v1/reports/summary                           staff   -
reporting GET   /v1/reports/breakdown                         staff   -
reporting GET   /v1/reports/timeseries                        staff   -
reporting GET   /v1/reports/retention                         staff   -
reporting GET   /v1/reports/branches                          staff   -
reporting GET   /v1/reports/messages                          admin   -
reporting GET   /v1/reports/applications                      admin   -
reporting GET   /v1/monitoring                                staff   -
reporting GET   /v1/exports/open-data.csv                     admin   -
reporting GET   /v1/exports/editions/{edition_id}/report.pdf  admin   -
reporting GET   /v1/exports/{view}.{fmt}                      staff   -
"""


@dataclass(frozen=True)
class Rule:
    service: str
    method: str
    path: str
    roles: frozenset[str]
    scope: str
    query: str = ""


def rules() -> list[Rule]:
    parsed = []
    for line in MATRIX.strip().splitlines():
        service, method, target, roles, scope = line.split()
        path, _, query = target.partition("?")
        parsed.append(Rule(service, method, path, ROLE_SETS[roles], scope, query))
    return parsed


@dataclass(frozen=True)
class Identity:
    name: str
    role: str | None  # None: no token at all
    foreign: bool  # of another branch, or another volunteer


def routes_of(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers too."""

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for route in routes:
            if isinstance(route, APIRoute):
                for method in sorted((route.methods or set()) - {"HEAD"}):
                    yield method, prefix + route.path
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)

    for method, path in walk(app.routes, ""):
        if not path.startswith(("/docs", "/openapi", "/redoc")):
            yield method, path


def expected_allowed(rule: Rule, identity: Identity) -> bool:
    if rule.scope == "link":
        return False
    if not rule.roles:
        return True  # public operations endpoints
    if identity.role is None or identity.role not in rule.roles:
        return False
    if identity.role == "city_admin":
        return True
    if rule.scope == "branch" and identity.foreign and identity.role != "volunteer":
        return False
    return not (rule.scope == "own" and identity.foreign)


# Destructive calls go last, so that they change the objects the others are checked on
# only after everything else has been walked.
LAST_WORDS = ("cancel", "withdraw", "close", "reject", "no-show", "decline", "complete")


def walk_order(rule: Rule) -> tuple[int, str]:
    destructive = rule.method == "DELETE" or rule.path.rsplit("/", 1)[-1] in LAST_WORDS
    return (2 if destructive else 1 if rule.method != "GET" else 0, rule.path)


async def test_every_route_is_in_the_matrix() -> None:
    declared = {(rule.service, rule.method, rule.path) for rule in rules()}
    served = set()
    for service in SERVICES:
        app = importlib.import_module(f"{service}.app").build_service().http
        served |= {(service, method, path) for method, path in routes_of(app)}
    assert sorted(served - declared) == [], "routes without an access rule"
    assert sorted(declared - served) == [], "rules for routes that do not exist"


# What the path parameters name, found in the seeded databases, in order.
LOOKUPS: tuple[tuple[str, str, str | None], ...] = (
    ("enrolment_id", "SELECT e.id FROM registry.enrolments e JOIN registry.branches b"
     " ON b.id = e.branch_id WHERE b.code = $1", "branch"),
    ("edition_id", "SELECT edition_id FROM registry.enrolments WHERE id = $1", "enrolment_id"),
    ("staff_id", "SELECT staff_id FROM registry.coordinator_assignments a JOIN registry.branches b"
     " ON b.id = a.branch_id WHERE b.code = $1", "branch"),
    ("trainer_id", "SELECT id FROM registry.trainers LIMIT 1", None),
    ("organisation_id", "SELECT organisation_id FROM registry.branches WHERE code = $1",
     "branch"),
    ("document", "SELECT 'programme'", None),
    ("module_id", "SELECT id FROM registry.training_modules WHERE edition_id = $1", "edition_id"),
    ("session_id", "SELECT id FROM registry.training_sessions WHERE module_id = $1", "module_id"),
    # A shift done in branch A, with approved hours: its volunteer is "the volunteer".
    ("assignment_id", "SELECT a.id FROM matching.assignments a JOIN matching.tasks t"
     " ON t.id = a.task_id WHERE t.branch_code = $1 AND a.status = 'completed'"
     " ORDER BY a.id LIMIT 1", "branch"),
    ("task_id", "SELECT task_id FROM matching.assignments WHERE id = $1", "assignment_id"),
    ("volunteer_id", "SELECT volunteer_id FROM matching.assignments WHERE id = $1",
     "assignment_id"),
    ("other_volunteer_id", "SELECT id FROM matching.volunteers WHERE id <> $1 LIMIT 1",
     "volunteer_id"),
    ("proposal_id", "SELECT id FROM matching.proposals WHERE volunteer_id = $1 LIMIT 1",
     "volunteer_id"),
    ("entry_id", "SELECT id FROM matching.hours WHERE assignment_id = $1", "assignment_id"),
    ("occurrence_id", "SELECT id FROM matching.occurrences WHERE assignment_id = $1"
     " ORDER BY occurrence_date LIMIT 1", "assignment_id"),
    ("application_id", "SELECT a.id FROM matching.applications a JOIN matching.tasks t"
     " ON t.id = a.task_id WHERE t.branch_code = $1 LIMIT 1", "branch"),
    ("certificate_id", "SELECT id FROM matching.certificates WHERE volunteer_id = $1 LIMIT 1",
     "volunteer_id"),
    ("message_id", "SELECT id FROM notifications.messages WHERE volunteer_id = $1 LIMIT 1",
     "volunteer_id"),
    # The agreement of branch A whose reference its volunteer asked for.
    ("reference_id", "SELECT id FROM matching.reference_requests WHERE volunteer_id = $1"
     " LIMIT 1", "volunteer_id"),
    ("agreement_id", "SELECT agreement_id FROM matching.reference_requests WHERE id = $1",
     "reference_id"),
)  # fmt: skip


class Seeded:
    """Real objects of branch A, found in the services' databases after the seed."""

    def __init__(self, platform: TestPlatform, branch_a: str, branch_b: str) -> None:
        self.platform = platform
        self.branch_a = branch_a
        self.branch_b = branch_b
        self.values: dict[str, str] = {}
        self.subjects: dict[tuple[str, str], str] = {}

    async def one(self, query: str, *args: Any) -> str:
        value = await self.platform.fetchval(query, *args)
        assert value is not None, query
        return str(value)

    async def visit(self, registry: Service, enrolment_id: str) -> str:
        """The branch's monitoring visit; its trainer records one if there was none yet."""
        found = await self.platform.fetchval(
            "SELECT id FROM registry.monitoring_visits WHERE enrolment_id = $1",
            uuid.UUID(enrolment_id),
        )
        if found is not None:
            return str(found)
        trainer_id = await self.one(
            "SELECT trainer_id FROM registry.trainer_assignments WHERE enrolment_id = $1",
            uuid.UUID(enrolment_id),
        )
        transport = httpx.ASGITransport(app=registry.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
            response = await http.post(
                f"/v1/enrolments/{enrolment_id}/visits",
                json={
                    "visited_on": date.today().isoformat(),
                    "trainer_id": trainer_id,
                    "notes": "Wizyta monitorująca",
                },
                headers={"authorization": f"Bearer {self.platform.token('city_admin')}"},
            )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def load(self, registry: Service) -> None:
        v = self.values
        v["key"] = v["branch_code"] = self.branch_a
        # Each lookup's parameter is branch A ("branch") or a value found before it.
        for name, query, parameter in LOOKUPS:
            argument: Any = self.branch_a if parameter == "branch" else None
            if parameter not in ("branch", None):
                argument = uuid.UUID(v[parameter])
            v[name] = await self.one(query, *([] if parameter is None else [argument]))
        v["visit_id"] = await self.visit(registry, v["enrolment_id"])
        # A kiosk open at branch A (as a coordinator opens one on a tablet).
        v["kiosk_id"] = await self.one(
            "INSERT INTO matching.kiosk_sessions (id, branch_code, opened_at, expires_at,"
            " opened_by_subject) VALUES (gen_random_uuid(), $1, now(), now() + interval"
            " '14 hours', 'seed') RETURNING id",
            self.branch_a,
        )
        one = self.one
        # Staff sign in with their identity provider's subject, as registry knows them.
        for side, code in (("a", self.branch_a), ("b", self.branch_b)):
            self.subjects[("coordinator", side)] = await one(
                "SELECT s.subject FROM registry.staff s JOIN registry.coordinator_assignments a"
                " ON a.staff_id = s.id JOIN registry.branches b ON b.id = a.branch_id"
                " WHERE b.code = $1 ORDER BY s.subject LIMIT 1",
                code,
            )
            self.subjects[("trainer", side)] = await one(
                "SELECT t.subject FROM registry.trainers t JOIN registry.trainer_assignments a"
                " ON a.trainer_id = t.id JOIN registry.enrolments e ON e.id = a.enrolment_id"
                " JOIN registry.branches b ON b.id = e.branch_id WHERE b.code = $1"
                " ORDER BY t.subject LIMIT 1",
                code,
            )
            self.subjects[("district_admin", side)] = await one(
                "SELECT s.subject FROM registry.staff s JOIN registry.organisation_administrators"
                " a ON a.staff_id = s.id JOIN registry.branches b"
                " ON b.organisation_id = a.organisation_id"
                " WHERE b.code = $1 AND a.unassigned_on IS NULL ORDER BY s.subject LIMIT 1",
                code,
            )
        coordinators = [self.subjects[("coordinator", side)] for side in ("a", "b")]

        async def notifications_knows_them() -> bool:
            known = await self.platform.fetchval(
                "SELECT count(DISTINCT subject) FROM notifications.staff"
                " WHERE subject = ANY($1::text[])",
                coordinators,
            )
            return bool(known == len(coordinators))

        await eventually(notifications_knows_them, timeout=60, message="coordinators known")
        # Staff branches come from each service's copy of registry's assignments (a district
        # library's administrators are registry's alone).
        subjects = sorted(
            {s for (role, _), s in self.subjects.items() if role in ("coordinator", "trainer")}
        )
        for schema in STAFF_SCOPE_SCHEMAS:

            async def copy_knows_them(schema: str = schema) -> bool:
                known = await self.platform.fetchval(
                    f"SELECT count(DISTINCT s.subject) FROM {schema}.staff_subjects s"
                    f" JOIN {schema}.staff_assignments a USING (role, person_id)"
                    " WHERE a.active AND s.subject = ANY($1::text[])",
                    subjects,
                )
                return bool(known == len(subjects))

            await eventually(copy_knows_them, timeout=60, message=f"{schema} knows the staff")
        await self.stand_ins(registry)
        v["token"] = "not-a-feed-token"
        v["view"] = "summary"
        v["fmt"] = "csv"

    async def stand_ins(self, registry: Service) -> None:
        """A coordinator and a trainer of branch A whose tokens are not used: the city
        office unassigns and erases them, and nobody whose access is checked loses it."""
        admin = {"authorization": f"Bearer {self.platform.token('city_admin')}"}
        transport = httpx.ASGITransport(app=registry.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:

            async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
                response = await http.post(path, json=body, headers=admin)
                assert response.status_code == 201, response.text
                return dict(response.json())

            staff = await post(
                "/v1/staff", {"name": "Zastępstwo Koordynatorki", "email": "zastepstwo@example.pl"}
            )
            await post(f"/v1/branches/{self.branch_a}/coordinators", {"staff_id": staff["id"]})
            trainer = await post(
                "/v1/trainers", {"name": "Zastępstwo Trenera", "email": "trener-z@example.pl"}
            )
            enrolment = self.values["enrolment_id"]
            await post(f"/v1/enrolments/{enrolment}/trainers", {"trainer_id": trainer["id"]})
        self.values["staff_id"], self.values["trainer_id"] = staff["id"], trainer["id"]

    def target(self, rule: Rule) -> str:
        path = rule.path.format(**self.values)
        return f"{path}?{rule.query.format(**self.values)}" if rule.query else path

    def body(self, rule: Rule) -> Any:
        """A valid body where the branch is in the body; else ``{}`` (422 once let in)."""
        v = self.values
        today = date.today()
        bodies: dict[tuple[str, str], Any] = {
            ("POST", "/v1/tasks"): task_body(self.branch_a),
            ("PUT", "/v1/tasks/{task_id}"): task_body(self.branch_a),
            ("POST", "/v1/plans"): {"task_ids": [v["task_id"]]},
            ("POST", "/v1/tasks/{task_id}/proposals"): {"volunteer_id": v["other_volunteer_id"]},
            ("PUT", "/v1/volunteers/{volunteer_id}/child-protection-check"): {
                "branch_code": self.branch_a,
                "register_checked_on": today.isoformat(),
                "criminal_record_on": today.isoformat(),
            },
            ("POST", "/v1/certificates"): {
                "volunteer_id": v["volunteer_id"],
                "branch_code": self.branch_a,
            },
            ("POST", "/v1/agreements"): {
                "volunteer_id": v["volunteer_id"],
                "branch_code": self.branch_a,
                "scope": "Pomoc w czytelni i przy zajęciach dla dzieci",
                "starts_on": today.isoformat(),
                "ends_on": (today + timedelta(days=20)).isoformat(),
            },
            ("PUT", "/v1/references/{reference_id}/text"): {
                "text": "Sumienna i punktualna, prowadziła głośne czytanie z pomysłem.",
            },
            ("PUT", "/v1/enrolments/{enrolment_id}/programme"): {
                "spaces": "Czytelnia i sala zajęć",
                "hours_available": "Wtorki i czwartki po południu",
                "task_types": ["Głośne czytanie"],
                "volunteer_profiles": "Uczniowie szkół średnich",
                "welcome_and_care": "Spotkanie powitalne z koordynatorką",
            },
            ("PUT", "/v1/enrolments/{enrolment_id}/report"): {
                "summary": "Rok pracy wolontariuszy w filii",
                "volunteers_count": 5,
                "volunteer_hours": "120.00",
            },
            ("POST", "/v1/enrolments/{enrolment_id}/stages"): {
                "stage": "programme_prepared",
                "reached_on": today.isoformat(),
                "reason": "Sprawdzenie uprawnień",
            },
            ("POST", "/v1/enrolments/{enrolment_id}/{document}/comments"): {
                "body": "Uwagi do programu"
            },
            ("PUT", "/v1/preferences"): {"reminder_hours_before": 24},
            ("PUT", "/v1/me/preferences"): {
                "consent_email": True,
                "consent_sms": False,
                "message_language": "pl",
            },
            ("PUT", "/v1/staff/preferences"): {"daily_digest": True},
            ("POST", "/v1/enrolments/{enrolment_id}/visits"): {
                "visited_on": today.isoformat(),
                "notes": "Wizyta monitorująca",
            },
            ("POST", "/v1/occurrences/{occurrence_id}/attendance"): {"state": "attended"},
            ("POST", "/v1/assignments/{assignment_id}/hours"): {
                "hours": "2",
                "worked_on": today.isoformat(),
            },
        }
        return bodies.get((rule.method, rule.path), {})


def task_body(branch: str) -> dict[str, Any]:
    first_day = date.today() + timedelta(days=10)
    return {
        "branch_code": branch,
        "type": "reading_help",
        "title": "Głośne czytanie dla dzieci",
        "schedule": {"kind": "one_off", "first_day": first_day.isoformat(), "start": "10:00",
                     "end": "12:00"},
        "places": 2,
        "min_age": 13,
        "skills": ["Czytanie"],
        "with_children": False,
    }  # fmt: skip


async def seed_programme(platform: TestPlatform, services: dict[str, Service]) -> None:
    await seed_registry(services["registry"])
    matching = services["matching"]
    await publish_registrations(matching, 150)
    branches = await wait_for(matching, 150, 120)
    await seed_matching(matching, branches)

    async def reporting_caught_up() -> bool:
        return bool(await platform.fetchval("SELECT count(*) FROM reporting.facts"))

    await eventually(reporting_caught_up, timeout=60, message="reporting has facts")


def identities() -> list[Identity]:
    """Refusals first: the allowed calls that follow may change what they touch."""
    return [
        Identity("anonymous", None, foreign=False),
        Identity("volunteer of nothing here", "volunteer", foreign=True),
        Identity("coordinator of branch B", "coordinator", foreign=True),
        Identity("trainer of branch B", "trainer", foreign=True),
        Identity("district admin of branch B's library", "district_admin", foreign=True),
        Identity("volunteer", "volunteer", foreign=False),
        Identity("trainer of branch A", "trainer", foreign=False),
        Identity("coordinator of branch A", "coordinator", foreign=False),
        Identity("district admin of branch A's library", "district_admin", foreign=False),
        Identity("city office", "city_admin", foreign=False),
    ]


# A token of the volunteers' issuer (the console) that claims the city office's role: it
# may hold the volunteer role only, so it is let in nowhere a role is needed.
FORGED_ADMIN = Identity("volunteer-issuer token claiming city_admin", "forged_admin", True)


TokenFor = Callable[[Identity, "Seeded"], "str | None"]


def development_tokens(platform: TestPlatform) -> TokenFor:
    """HS256 development tokens. Staff tokens carry no branches: the services find them in
    their copy of registry's assignments, by the staff member's user id."""

    def token_for(identity: Identity, seeded: Seeded) -> str | None:
        if identity.role is None:
            return None
        if identity.role == "volunteer":
            subject = seeded.values["other_volunteer_id" if identity.foreign else "volunteer_id"]
            return platform.token("volunteer", subject=subject)
        if identity.role == "city_admin":
            return platform.token("city_admin", subject="kc-city-1")
        subject = seeded.subjects[(identity.role, "b" if identity.foreign else "a")]
        return platform.token(identity.role, subject=subject)

    return token_for


class ProductionTokens:
    """RS256 tokens as production has them: staff tokens from an identity provider whose
    keys the services fetch from its JWKS URL, volunteer sessions signed by the console.
    Staff of branch B claim branch A in their token's ``branches``: it must not count."""

    def __init__(self) -> None:
        self.staff = JwksIssuer()
        self.volunteer_private, self.volunteer_public = generate_key_pair()
        defaults = ServiceSettings.model_fields
        self.volunteer_issuer = str(defaults["auth_volunteer_issuer"].default)

    def volunteer_token(self, *roles: str, subject: str) -> str:
        return sign_token(
            self.volunteer_private,
            subject=subject,
            roles=roles,
            issuer=self.volunteer_issuer,
            audience=self.staff.audience,
        )

    def __call__(self, identity: Identity, seeded: Seeded) -> str | None:
        if identity.role is None:
            return None
        if identity.role == "volunteer":
            subject = seeded.values["other_volunteer_id" if identity.foreign else "volunteer_id"]
            return self.volunteer_token("volunteer", subject=subject)
        if identity.role == "forged_admin":
            return self.volunteer_token("city_admin", subject=seeded.values["volunteer_id"])
        if identity.role == "city_admin":
            return self.staff.sign("city_admin", subject="kc-city-1")
        subject = seeded.subjects[(identity.role, "b" if identity.foreign else "a")]
        return self.staff.sign(identity.role, subject=subject, branches=(seeded.branch_a,))


# Two walks over every route (development and production tokens) on one seeded programme.
@pytest.mark.timeout(900)
async def test_every_route_with_every_role_and_a_foreign_scope(platform: TestPlatform) -> None:
    production = ProductionTokens()
    with production.staff.serving() as jwks_url:
        # No mail server here: notifications records its messages without trying to send
        # them. Both kinds of token are accepted: development ones and production's.
        async with platform.running(
            *SERVICES,
            sender_enabled=False,
            auth_jwks_url=jwks_url,
            auth_volunteer_public_key=production.volunteer_public,
        ) as started:
            services = dict(zip(SERVICES, started, strict=True))
            seeded = await seed_and_find(platform, services)
            walks = (
                ("development tokens", development_tokens(platform), identities()),
                ("RS256 tokens from the JWKS", production, [*identities(), FORGED_ADMIN]),
            )
            for name, token_for, who in walks:
                mismatches, checked = await walk(services, seeded, token_for, who)
                assert checked == len(rules()) * len(who)
                assert mismatches == [], f"{name}:\n" + "\n".join(mismatches)


async def seed_and_find(platform: TestPlatform, services: dict[str, Service]) -> Seeded:
    await seed_programme(platform, services)
    # Branch A: one where a volunteer finished a shift. Its volunteer gets a certificate, so
    # there is one to fetch, and someone applies to one of its tasks, so there is an
    # application to decide. Branch B: any other branch in the programme.
    branch_a, volunteer_id = await branch_with_a_finished_shift(platform)
    # "Another branch" is one the volunteer has no link to (no application, proposal,
    # assignment or agreement there), so that it may not see them either.
    branch_b = await platform.fetchval(
        "SELECT code FROM registry.branches WHERE code <> $1"
        # Another district library's: its administrator is "of another branch" too.
        " AND organisation_id IS DISTINCT FROM"
        " (SELECT organisation_id FROM registry.branches WHERE code = $1) AND code NOT IN ("
        " SELECT t.branch_code FROM matching.tasks t WHERE t.id IN ("
        "  SELECT task_id FROM matching.applications WHERE volunteer_id = $2"
        "  UNION SELECT task_id FROM matching.proposals WHERE volunteer_id = $2"
        "  UNION SELECT task_id FROM matching.assignments WHERE volunteer_id = $2)"
        " UNION SELECT branch_code FROM matching.agreements WHERE volunteer_id = $2)"
        " ORDER BY code LIMIT 1",
        branch_a,
        uuid.UUID(volunteer_id),
    )
    await issue_certificate(platform, services["matching"], branch_a, volunteer_id)
    await ask_for_a_reference(platform, services["matching"], branch_a, volunteer_id)
    await apply_to_branch(platform, services["matching"], branch_a)
    seeded = Seeded(platform, branch_a, branch_b)
    await seeded.load(services["registry"])
    return seeded


async def walk(
    services: dict[str, Service], seeded: Seeded, token_for: TokenFor, who: list[Identity]
) -> tuple[list[str], int]:
    mismatches: list[str] = []
    checked = 0
    for rule in sorted(rules(), key=walk_order):
        transport = httpx.ASGITransport(app=services[rule.service].http)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
            for identity in who:
                token = token_for(identity, seeded)
                headers = {"authorization": f"Bearer {token}"} if token else {}
                kwargs: dict[str, Any] = {"headers": headers}
                if rule.method in ("POST", "PUT", "PATCH"):
                    kwargs["json"] = seeded.body(rule)
                response = await http.request(rule.method, seeded.target(rule), **kwargs)
                checked += 1
                outcome = describe(rule, identity, response.status_code)
                if outcome:
                    mismatches.append(outcome)
    return mismatches, checked


def describe(rule: Rule, identity: Identity, status: int) -> str | None:
    """Why the answer breaks the policy, or None when it keeps it."""
    denied = status in (401, 403)
    route = f"{rule.service} {rule.method} {rule.path} as {identity.name}"
    if rule.scope == "link":
        refused = status in (401, 403, 404, 422)
        return None if refused else f"{route}: {status}, expected a refusal without a link"
    if expected_allowed(rule, identity):
        return None if not denied else f"{route}: {status}, expected to be let in"
    if identity.role is None and rule.roles:
        return None if status == 401 else f"{route}: {status}, expected 401"
    # Another branch's object may also be hidden altogether.
    hidden = status == 404 and rule.scope in ("branch", "own")
    return None if denied or hidden else f"{route}: {status}, expected 403"


async def branch_with_a_finished_shift(platform: TestPlatform) -> tuple[str, str]:
    rows = await platform.fetch(
        "SELECT t.branch_code, a.volunteer_id FROM matching.assignments a JOIN matching.tasks t"
        " ON t.id = a.task_id WHERE a.status = 'completed' ORDER BY t.branch_code, a.id LIMIT 1"
    )
    assert rows, "the seed completed some shifts"
    return str(rows[0]["branch_code"]), str(rows[0]["volunteer_id"])


async def issue_certificate(
    platform: TestPlatform, matching: Service, branch: str, volunteer_id: str
) -> None:
    token = platform.token("city_admin")
    transport = httpx.ASGITransport(app=matching.http)
    async with httpx.AsyncClient(transport=transport, base_url="http://matching") as http:
        response = await http.post(
            "/v1/certificates",
            json={"volunteer_id": volunteer_id, "branch_code": branch},
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.status_code == 201, response.text


async def ask_for_a_reference(
    platform: TestPlatform, matching: Service, branch: str, volunteer_id: str
) -> None:
    """The branch concludes an agreement with the volunteer, who asks for a reference."""
    transport = httpx.ASGITransport(app=matching.http)
    async with httpx.AsyncClient(transport=transport, base_url="http://matching") as http:
        today = date.today()
        agreement = await http.post(
            "/v1/agreements",
            json={
                "volunteer_id": volunteer_id,
                "branch_code": branch,
                "scope": "Pomoc w czytelni",
                "starts_on": today.isoformat(),
                "ends_on": (today + timedelta(days=60)).isoformat(),
            },
            headers={"authorization": f"Bearer {platform.token('city_admin')}"},
        )
        assert agreement.status_code == 201, agreement.text
        volunteer = platform.token("volunteer", subject=volunteer_id)
        asked = await http.post(
            f"/v1/agreements/{agreement.json()['id']}/reference-request",
            headers={"authorization": f"Bearer {volunteer}"},
        )
        assert asked.status_code == 201, asked.text


async def apply_to_branch(platform: TestPlatform, matching: Service, branch: str) -> None:
    """The city office publishes a task in the branch; the best ranked candidate applies."""
    admin = {"authorization": f"Bearer {platform.token('city_admin')}"}
    transport = httpx.ASGITransport(app=matching.http)
    async with httpx.AsyncClient(transport=transport, base_url="http://matching") as http:
        task = await http.post("/v1/tasks", json=flexible_task_body(branch), headers=admin)
        assert task.status_code == 201, task.text
        task_id = task.json()["id"]
        candidates = await http.get(f"/v1/tasks/{task_id}/candidates", headers=admin)
        assert candidates.status_code == 200, candidates.text
        answers = []
        for candidate in candidates.json():
            token = platform.token("volunteer", subject=str(candidate["volunteer_id"]))
            response = await http.post(
                f"/v1/tasks/{task_id}/applications",
                json={},
                headers={"authorization": f"Bearer {token}"},
            )
            if response.status_code == 201:
                return
            answers.append(response.text)
    raise AssertionError(f"nobody could apply to a task of branch {branch}: {answers[:3]}")


def flexible_task_body(branch: str) -> dict[str, Any]:
    """Hours to give over next month, whenever suits: the most people can take it."""
    first = (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)
    return {
        "branch_code": branch,
        "type": "daily_work",
        "title": "Porządkowanie księgozbioru",
        "schedule": {"kind": "flexible", "first_day": first.isoformat(),
                     "last_day": first.replace(day=28).isoformat(), "hours": "10"},
        "places": 5,
        "min_age": 13,
        "skills": [],
        "with_children": False,
    }  # fmt: skip
