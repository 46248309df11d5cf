"""The volunteer agreement (porozumienie) and the certificate (zaświadczenie).

Ustawa o działalności pożytku publicznego i o wolontariacie: the agreement states the scope,
manner and time of the work; it must be written when the work lasts more than 30 days. For
minors the guardian concludes it (under 13) or gives written consent (13-17).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from matching.domain.people import GuardianRole, guardian_role

WRITTEN_FORM_AFTER_DAYS = 30


class AgreementError(ValueError):
    pass


@dataclass(frozen=True)
class AgreementTerms:
    days: int
    written_form_required: bool
    guardian_role: GuardianRole


def agreement_terms(birth_date: date, starts_on: date, ends_on: date) -> AgreementTerms:
    """Both ends count: 1-30 June is 30 days (no written form), 1 June-1 July is 31."""
    if ends_on < starts_on:
        raise AgreementError("ends_on: must be on or after starts_on")
    days = (ends_on - starts_on).days + 1
    return AgreementTerms(
        days=days,
        written_form_required=days > WRITTEN_FORM_AFTER_DAYS,
        guardian_role=guardian_role(birth_date, starts_on),
    )


@dataclass(frozen=True)
class CertificateFacts:
    full_name: str
    branch_name: str
    branch_code: str
    scope: str
    period_from: date
    period_to: date
    approved_hours: Decimal
    issued_on: date


def _pl_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def certificate_lines(facts: CertificateFacts) -> list[str]:
    """The certificate's text, in Polish."""
    hours = f"{facts.approved_hours:.2f}".replace(".", ",")
    return [
        f"Warszawa, {_pl_date(facts.issued_on)}",
        "ZAŚWIADCZENIE",
        "o wykonywaniu świadczeń wolontariackich",
        (
            f"Zaświadcza się, że {facts.full_name} wykonywał(a) świadczenia wolontariackie"
            f" na rzecz placówki {facts.branch_name} ({facts.branch_code})"
            f" w okresie od {_pl_date(facts.period_from)} do {_pl_date(facts.period_to)}."
        ),
        f"Zakres świadczeń: {facts.scope}.",
        f"Łączna liczba zatwierdzonych godzin: {hours}.",
        (
            "Zaświadczenie wydano na wniosek wolontariusza, zgodnie z ustawą"
            " o działalności pożytku publicznego i o wolontariacie."
        ),
    ]
