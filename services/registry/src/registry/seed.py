"""Demo data like the programme's 2019 edition: ``python -m registry seed``.

The edition's call for applications with its budget; 60 branches applied, 45 across
Warsaw's 18 districts were accepted with funding, the others rejected with a reason or
still waiting; their coordinators and trainers, a training cycle with attendance and the
forum's notes, stages at every point of the year, programmes submitted, sent back with a
trainer's comment or accepted, a few monitoring visits and annual reports.
Everything goes through the same use cases as the API, so every event is written to the
outbox (and published once the service runs). Each step first looks for what it would
create, so running the seed again changes nothing. The branches go in chunks of
``--chunk-size`` per transaction (progress on stderr): an interrupted seed keeps the chunks
done, and running it again completes it.
"""

from __future__ import annotations

import argparse
import asyncio
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import select

from registry import (
    applications,
    assignments,
    branches,
    editions,
    enrolments,
    monitoring,
    programmes,
    reports,
    reviews,
    scope,
    staff,
    stages,
    training,
)
from registry.app import build_service
from registry.commands import (
    AcceptApplication,
    AcceptProgramme,
    AcceptReport,
    Apply,
    AssignCoordinator,
    AssignMentor,
    AssignTrainer,
    BranchDetails,
    CallDetails,
    EditionDetails,
    MeetingNotes,
    ModuleDetails,
    OpeningHours,
    ProgrammeDraft,
    ReachStage,
    RecordAttendance,
    RejectApplication,
    ReportDraft,
    ReviewComment,
    SessionDetails,
    StaffDetails,
    TrainerDetails,
    VisitDetails,
)
from registry.domain.editions import EditionStatus, InstitutionType
from registry.domain.stages import Stage, position
from registry.domain.training import MeetingKind
from registry.seed_directors import seed_directors
from registry.tables import (
    Application,
    Attendance,
    Branch,
    Edition,
    Enrolment,
    MonitoringVisit,
    StaffMember,
    Trainer,
    TrainingSession,
)
from shared.logging import configure_logging
from shared.migrations import upgrade_to_head
from shared.progress import Steps, steps
from shared.reference import warsaw_districts
from shared.service import Service
from shared.unit_of_work import UnitOfWork

YEAR = 2019
BRANCHES = 45
APPLICANTS = 15  # branches that applied and were not (or not yet) accepted
BUDGET = Decimal(200_000)
APPLIED = date(2018, 12, 3)
DECIDED = date(2019, 1, 31)
REJECTIONS = (
    "Oddział nie ma jeszcze osoby, która mogłaby koordynować wolontariuszy.",
    "W tej edycji pierwszeństwo mają dzielnice, w których żaden oddział nie działa.",
    "Remont filii potrwa do jesieni; zapraszamy w kolejnej edycji.",
)
FORUM_NOTES = (
    "Koordynatorki wymieniły się sposobami na sobotnie dyżury i nabór w liceach; "
    "ustalono wspólny wzór porozumienia z rodzicami niepełnoletnich wolontariuszy."
)
NGO = "Stowarzyszenie Centrum Wolontariatu"
FIRST_NAMES = (
    "Anna", "Małgorzata", "Katarzyna", "Agnieszka", "Barbara", "Ewa", "Joanna", "Magdalena",
    "Zofia", "Elżbieta", "Monika", "Beata", "Dorota", "Jolanta", "Grażyna", "Piotr",
    "Tomasz", "Paweł", "Łukasz", "Michał",
)  # fmt: skip
LAST_NAMES = (
    "Nowak", "Kowalska", "Wiśniewska", "Wójcik", "Kamińska", "Lewandowska", "Zielińska",
    "Szymańska", "Woźniak", "Dąbrowska", "Kozłowska", "Jankowska", "Mazur", "Krawczyk",
    "Piotrowska", "Grabowska", "Nowakowska", "Pawłowska", "Michalska", "Król", "Wieczorek",
    "Jabłońska", "Wróbel", "Majewska",
)  # fmt: skip
STREETS = (
    "ul. Marszałkowska", "ul. Grójecka", "ul. Puławska", "ul. Wolska", "ul. Targowa",
    "ul. Grochowska", "al. Solidarności", "ul. Żeromskiego", "ul. Powstańców Śląskich",
    "ul. Górczewska", "ul. Modlińska", "ul. Kondratowicza", "ul. Płowiecka", "ul. Dickensa",
)  # fmt: skip
TRAINERS = (
    ("Ewa Sadowska", "kc-trainer-1"),
    ("Marek Zawadzki", "kc-trainer-2"),
    ("Justyna Ostrowska", "kc-trainer-3"),
    ("Krzysztof Baran", "kc-trainer-4"),
    ("Aleksandra Wróblewska", "kc-trainer-5"),
    ("Tomasz Jasiński", "kc-trainer-6"),
)
MODULES = (
    (MeetingKind.MODULE, 1, "Wolontariat w bibliotece: podstawy", date(2019, 2, 12)),
    (MeetingKind.MODULE, 2, "Program wolontariatu filii", date(2019, 2, 26)),
    (MeetingKind.MODULE, 3, "Rekrutacja i opieka nad wolontariuszami", date(2019, 3, 12)),
    (MeetingKind.FORUM, 1, "Forum koordynatorów: wiosna", date(2019, 4, 9)),
)
# Where each branch is by the end of the seeded year, round the cycle (None: not trained).
TARGETS: tuple[Stage | None, ...] = (None, *Stage)
STAGE_DATES = {
    Stage.PROGRAMME_PREPARED: date(2019, 4, 15),
    Stage.RECRUITING: date(2019, 5, 6),
    Stage.VOLUNTEERS_ACTIVE: date(2019, 6, 3),
    Stage.EVALUATED: date(2019, 12, 10),
}


@dataclass(frozen=True)
class SeedBranch:
    index: int
    details: BranchDetails
    target: Stage | None


def _ascii(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def seed_branches() -> list[SeedBranch]:
    """45 branches: three in each of the first nine districts, two in the others."""
    districts = list(warsaw_districts().values())
    branches: list[SeedBranch] = []
    for d, district in enumerate(districts):
        for k in range(3 if d < BRANCHES - 2 * len(districts) else 2):
            number = 1 + (d * 7) % 20 + k * 21
            children = (d + k) % 2 == 1
            name = (
                f"Biblioteka dla Dzieci i Młodzieży nr {number}"
                if children
                else f"Wypożyczalnia dla Dorosłych i Młodzieży nr {number}"
            )
            index = len(branches)
            opens, closes = ("12:00", "18:00") if children else ("10:00", "19:00")
            details = BranchDetails(
                code=f"{district.slug}-{number}",
                name=name,
                district=district.slug,
                address=f"{STREETS[index % len(STREETS)]} {index * 3 % 140 + 1}, Warszawa",
                opening_hours=[
                    *(OpeningHours(weekday=w, opens=opens, closes=closes) for w in range(1, 6)),
                    OpeningHours(weekday=6, opens="10:00", closes="15:00"),
                ],
                volunteer_spaces=2 + index % 5,
                contact_email=f"filia.{district.slug}.{number}@biblioteki.example.pl",
                contact_phone=f"+4822{5000000 + index * 1379:07d}",
            )
            branches.append(SeedBranch(index, details, TARGETS[index % len(TARGETS)]))
    return branches


def coordinator_for(index: int) -> StaffDetails:
    # Every seventh branch shares its coordinator with the branch before it.
    person = index - 1 if index % 7 == 6 else index
    first = FIRST_NAMES[person % len(FIRST_NAMES)]
    last = LAST_NAMES[(person * 5) % len(LAST_NAMES)]
    return StaffDetails(
        name=f"{first} {last}",
        email=f"{_ascii(first)}.{_ascii(last)}.{person}@biblioteki.example.pl",
        subject=f"kc-coordinator-{person}",
    )


def applicant_branches() -> list[BranchDetails]:
    """Branches that applied without being accepted, round the districts."""
    districts = list(warsaw_districts().values())
    return [
        BranchDetails(
            code=f"{districts[i % len(districts)].slug}-{70 + i}",
            name=f"Wypożyczalnia dla Dorosłych i Młodzieży nr {70 + i}",
            district=districts[i % len(districts)].slug,
            address=f"{STREETS[(i * 5) % len(STREETS)]} {i * 7 % 90 + 2}, Warszawa",
            opening_hours=[
                OpeningHours(weekday=w, opens="11:00", closes="19:00") for w in (1, 3, 5)
            ],
        )
        for i in range(APPLICANTS)
    ]


@dataclass
class Summary:
    branches: int = 0
    enrolments: int = 0
    applications: int = 0


DEFAULT_CHUNK_SIZE = 5


async def seed(
    service: Service, *, chunk_size: int = DEFAULT_CHUNK_SIZE, progress: Steps | None = None
) -> Summary:
    edition_id = await _edition(service)
    trainer_ids = await _trainers(service)
    sessions = await _training(service, edition_id, trainer_ids[0])
    summary = Summary()
    branches_to_seed = seed_branches()
    if progress is not None:
        progress.set_total(len(branches_to_seed))
    for start in range(0, len(branches_to_seed), chunk_size):
        chunk = branches_to_seed[start : start + chunk_size]
        async with service.unit_of_work() as uow:
            for branch in chunk:
                await _branch(uow, edition_id, branch, trainer_ids, sessions)
        summary.branches += len(chunk)
        if progress is not None:
            progress.advance(len(chunk))
    for index, details in enumerate(applicant_branches()):
        async with service.unit_of_work() as uow:
            await _applicant(uow, edition_id, index, details)
    async with service.unit_of_work() as uow:
        await _mentors(uow, edition_id)
        await seed_directors(uow)
        await _forum_notes(uow, sessions[(MeetingKind.FORUM, 1)])
        count = select(sa.func.count()).where(Application.edition_id == edition_id)
        summary.applications = int((await uow.session.exec(count)).one())
        enrolled = await enrolments.list_enrolments(
            uow,
            enrolments.EnrolmentFilters(edition_id=edition_id, status="enrolled"),
            scope.EVERYTHING,
            limit=1,
            offset=0,
        )
        summary.enrolments = enrolled.total
    return summary


async def _edition(service: Service) -> uuid.UUID:
    async with service.unit_of_work() as uow:
        edition: Edition | None = await editions.find_edition(
            uow, InstitutionType.LIBRARY_BRANCH.value, YEAR
        )
        if edition is None:
            edition = await editions.create_edition(
                uow,
                EditionDetails(
                    year=YEAR,
                    name="Program rozwoju wolontariatu w bibliotekach m.st. Warszawy 2019",
                    starts_on=date(2019, 1, 15),
                    ends_on=date(2019, 12, 15),
                ),
            )
        if edition.status == EditionStatus.PLANNED.value:
            edition = await editions.open_edition(uow, edition.id)
        if edition.status != EditionStatus.OPEN.value:
            raise SystemExit(f"edition {YEAR} is {edition.status}: the seed needs it open")
        if await applications.find_call(uow, edition.id) is None:
            await applications.announce_call(
                uow,
                edition.id,
                CallDetails(
                    opens_on=date(2018, 11, 15),
                    closes_on=date(2018, 12, 31),
                    criteria="Osoba do koordynacji w filii, miejsce dla wolontariuszy, "
                    "godziny otwarcia po południu; pierwszeństwo dla dzielnic bez wolontariatu.",
                    budget_pln=BUDGET,
                ),
            )
        return edition.id


async def _trainers(service: Service) -> list[uuid.UUID]:
    ids = []
    async with service.unit_of_work() as uow:
        for name, subject in TRAINERS:
            email = f"{_ascii(name).replace(' ', '.')}@centrumwolontariatu.example.pl"
            trainer: Trainer | None = await staff.find_trainer_by_email(uow, email)
            if trainer is None:
                trainer = await staff.create_trainer(
                    uow,
                    TrainerDetails(name=name, email=email, subject=subject, organisation=NGO),
                )
            ids.append(trainer.id)
    return ids


async def _training(
    service: Service, edition_id: uuid.UUID, trainer_id: uuid.UUID
) -> dict[tuple[MeetingKind, int], uuid.UUID]:
    """One session per module; returns the session of each module."""
    sessions = {}
    async with service.unit_of_work() as uow:
        existing = {(m.kind, m.number): m for m in await training.list_modules(uow, edition_id)}
        for kind, number, title, held_on in MODULES:
            module = existing.get((kind.value, number)) or await training.create_module(
                uow, edition_id, ModuleDetails(kind=kind, number=number, title=title)
            )
            held = await training.list_sessions(uow, module.id)
            session = (
                held[0]
                if held
                else await training.create_session(
                    uow,
                    module.id,
                    SessionDetails(
                        held_on=held_on,
                        trainer_id=trainer_id,
                        topic=title,
                        place="Biblioteka Publiczna m.st. Warszawy, ul. Koszykowa 26/28",
                    ),
                )
            )
            sessions[(kind, number)] = session.id
    return sessions


async def _branch(
    uow: UnitOfWork,
    edition_id: uuid.UUID,
    seeded: SeedBranch,
    trainer_ids: Sequence[uuid.UUID],
    sessions: dict[tuple[MeetingKind, int], uuid.UUID],
) -> None:
    branch, _ = await branches.register_or_update_branch(uow, seeded.details)
    enrolment = await enrolments.find_enrolment(uow, edition_id, branch.id)
    if enrolment is None:
        # The branch applied in the call and the city office accepted it with funding.
        application = await _application(uow, edition_id, branch.id, branch.code, seeded.index)
        await applications.accept(
            uow,
            application.id,
            AcceptApplication(
                funding_pln=Decimal(3000 + seeded.index % 5 * 500), decided_on=DECIDED
            ),
        )
        enrolment = await enrolments.find_enrolment(uow, edition_id, branch.id)
        assert enrolment is not None
    coordinator = await _coordinator(uow, branch.code, branch.id, coordinator_for(seeded.index))
    trainer_id = trainer_ids[seeded.index % len(trainer_ids)]
    if not await assignments.is_assigned_trainer(uow, enrolment.id, trainer_id):
        await assignments.assign_trainer(
            uow, enrolment.id, AssignTrainer(trainer_id=trainer_id, assigned_on=date(2019, 2, 1))
        )
    if seeded.target is None:
        # Not trained yet: came to the first module only.
        await _attend(uow, sessions[(MeetingKind.MODULE, 1)], branch, coordinator.id)
        return
    for (kind, _), session_id in sessions.items():
        if kind is MeetingKind.MODULE or seeded.index % 2 == 0:
            await _attend(uow, session_id, branch, coordinator.id)
    await _advance(uow, enrolment, seeded.index, seeded.target, trainer_id)
    await _review(uow, enrolment, seeded.index, seeded.target, trainer_id)


async def _coordinator(
    uow: UnitOfWork, code: str, branch_id: uuid.UUID, details: StaffDetails
) -> StaffMember:
    member = await staff.find_staff_by_email(uow, str(details.email))
    if member is None:
        member = await staff.create_staff(uow, details)
    if await assignments.current_coordination(uow, branch_id, member.id) is None:
        await assignments.assign_coordinator(
            uow, code, AssignCoordinator(staff_id=member.id, assigned_on=date(2019, 1, 31))
        )
    return member


async def _attend(
    uow: UnitOfWork, session_id: uuid.UUID, branch: Branch, staff_id: uuid.UUID
) -> None:
    if await uow.session.get(Attendance, (session_id, staff_id, branch.id)) is None:
        await training.record_attendance(
            uow, session_id, RecordAttendance(branch_code=branch.code, staff_id=staff_id)
        )


async def _advance(
    uow: UnitOfWork, enrolment: Enrolment, index: int, target: Stage, trainer_id: uuid.UUID
) -> None:
    """Walk the branch up to its target stage, one stage at a time, as the year went."""

    def below(stage: Stage) -> bool:
        current = Stage(enrolment.stage) if enrolment.stage else None
        return position(current) < position(stage) <= position(target)

    if below(Stage.PROGRAMME_PREPARED):
        await programmes.save_programme(
            uow,
            enrolment.id,
            ProgrammeDraft(
                spaces="Czytelnia i kącik dla dzieci; stanowisko komputerowe",
                hours_available="Wtorki i czwartki po południu, soboty przed południem",
                task_types=["reading_help", "homework_help", "event_help"],
                volunteer_profiles="Młodzież licealna i seniorzy, którzy lubią czytać",
                welcome_and_care="Spotkanie powitalne i opiekun z zespołu filii",
            ),
        )
        await programmes.submit_programme(uow, enrolment.id, STAGE_DATES[Stage.PROGRAMME_PREPARED])
    for stage in (Stage.RECRUITING, Stage.VOLUNTEERS_ACTIVE):
        if below(stage):
            await stages.reach_stage(
                uow, enrolment.id, ReachStage(stage=stage, reached_on=STAGE_DATES[stage])
            )
    if position(target) >= position(Stage.RECRUITING) and index % 3 == 0:
        await _visit(uow, enrolment.id, trainer_id)
    if below(Stage.EVALUATED):
        await reports.save_report(
            uow,
            enrolment.id,
            ReportDraft(
                summary="Wolontariusze prowadzili głośne czytanie i pomagali przy wydarzeniach.",
                volunteers_count=8 + index % 9,
                volunteer_hours=Decimal(250 + index * 13),
                tasks_carried_out=[
                    "Głośne czytanie",
                    "Pomoc w lekcjach",
                    "Pomoc przy wydarzeniach",
                ],
            ),
        )
        await reports.submit_report(uow, enrolment.id, date(2019, 12, 2))
        await reports.accept_report(
            uow, enrolment.id, AcceptReport(accepted_on=STAGE_DATES[Stage.EVALUATED])
        )


async def _visit(uow: UnitOfWork, enrolment_id: uuid.UUID, trainer_id: uuid.UUID) -> None:
    visited_on = date(2019, 6, 18)
    existing = await uow.session.exec(
        select(MonitoringVisit).where(
            MonitoringVisit.enrolment_id == enrolment_id, MonitoringVisit.visited_on == visited_on
        )
    )
    if existing.first() is None:
        await monitoring.record_visit(
            uow,
            enrolment_id,
            VisitDetails(
                visited_on=visited_on,
                trainer_id=trainer_id,
                notes="Wolontariusze dobrze przyjęci; brakuje chętnych na soboty.",
                next_steps="Ogłoszenie w szkołach w dzielnicy; dyżur koordynatorki w sobotę.",
                follow_up_on=date(2019, 9, 17),
            ),
            acting_subject=None,
        )


async def _mentors(uow: UnitOfWork, edition_id: uuid.UUID) -> None:
    """Two experienced coordinators mentor two branches of other districts."""
    seeded = seed_branches()
    for mentor_index, mentee_index in ((0, 10), (1, 20)):
        mentor = await staff.find_staff_by_email(uow, str(coordinator_for(mentor_index).email))
        mentee = await branches.find_branch(uow, seeded[mentee_index].details.code)
        assert mentor is not None and mentee is not None
        enrolment = await enrolments.find_enrolment(uow, edition_id, mentee.id)
        assert enrolment is not None
        team = await assignments.team_of(uow, enrolment)
        if mentor.id not in {m.id for m in team.mentors}:
            await assignments.assign_mentor(
                uow, enrolment.id, AssignMentor(staff_id=mentor.id, assigned_on=date(2019, 3, 1))
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m registry seed", description=__doc__)
    parser.add_argument("--migrate", action="store_true", help="apply migrations first")
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=DEFAULT_CHUNK_SIZE,
        help=f"branches per transaction (default {DEFAULT_CHUNK_SIZE})",
    )
    args = parser.parse_args(argv)
    if args.chunk_size < 1:
        parser.error("--chunk-size must be at least 1")
    service = build_service()
    settings = service.settings
    configure_logging(settings.service_name, settings.log_level, json=settings.log_json)
    if args.migrate:
        upgrade_to_head(settings.migrations_url, service.definition.migrations_dir)

    async def run() -> Summary:
        try:
            with steps("registry seed: branches") as progress:
                return await seed(service, chunk_size=args.chunk_size, progress=progress)
        finally:
            await service.database.dispose()

    summary = asyncio.run(run())
    print(
        f"registry seed: edition {YEAR} open, {summary.branches} branches, "
        f"{summary.enrolments} enrolled, {summary.applications} applications; "
        "events wait in the outbox until the service runs"
    )
    return 0


async def _application(
    uow: UnitOfWork, edition_id: uuid.UUID, branch_id: uuid.UUID, code: str, index: int
) -> Application:
    query = select(Application).where(
        Application.edition_id == edition_id, Application.branch_id == branch_id
    )
    found = (await uow.session.exec(query)).first()
    if found is not None:
        return found
    return await applications.apply(
        uow,
        edition_id,
        Apply(
            branch_code=code,
            motivation="Chcemy, by mieszkańcy osiedla pomagali dzieciom w czytaniu i lekcjach.",
            team="Kierowniczka filii koordynuje; dwie bibliotekarki opiekują się wolontariuszami.",
            task_types=["reading_help", "homework_help", "event_help"][: 1 + index % 3],
            submitted_on=APPLIED + timedelta(days=index % 20),
        ),
    )


async def _applicant(
    uow: UnitOfWork, edition_id: uuid.UUID, index: int, details: BranchDetails
) -> None:
    """A branch that applied: most were rejected with a reason, the last two still wait."""
    branch, _ = await branches.register_or_update_branch(uow, details)
    application = await _application(uow, edition_id, branch.id, branch.code, index)
    if application.status == "submitted" and index < APPLICANTS - 2:
        await applications.reject(
            uow,
            application.id,
            RejectApplication(reason=REJECTIONS[index % len(REJECTIONS)], decided_on=DECIDED),
        )


async def _review(
    uow: UnitOfWork, enrolment: Enrolment, index: int, target: Stage | None, trainer_id: uuid.UUID
) -> None:
    """Programmes in every state: accepted by the trainer once the branch recruits, sent
    back with a comment for some that have just submitted, waiting for the others."""
    programme = await programmes.find_programme(uow, enrolment.id)
    if programme is None or programme.status != "submitted":
        return
    reviewer = reviews.Reviewer(trainer=await staff.get_trainer(uow, trainer_id))
    if target in (Stage.RECRUITING, Stage.EVALUATED):
        await reviews.accept_programme(
            uow, enrolment.id, AcceptProgramme(accepted_on=date(2019, 4, 29))
        )
    elif target is Stage.PROGRAMME_PREPARED and (index // 6) % 2 == 0:
        await reviews.comment(
            uow,
            enrolment.id,
            "programme",
            ReviewComment(
                body="Proszę opisać, kto opiekuje się wolontariuszami w soboty.",
                return_for_changes=True,
            ),
            reviewer,
        )


async def _forum_notes(uow: UnitOfWork, session_id: uuid.UUID) -> None:
    session = await uow.session.get(TrainingSession, session_id)
    if session is not None and session.notes is None:
        await reviews.keep_notes(uow, session_id, MeetingNotes(notes=FORUM_NOTES))
