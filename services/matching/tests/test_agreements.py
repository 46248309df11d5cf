"""Agreement terms (written form, guardians) and the certificate's Polish text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from matching.domain.agreements import (
    AgreementError,
    CertificateFacts,
    agreement_terms,
    certificate_lines,
)
from matching.domain.people import GuardianRole

ADULT = date(1990, 5, 5)


def test_thirty_days_need_no_written_form() -> None:
    terms = agreement_terms(ADULT, date(2026, 6, 1), date(2026, 6, 30))
    assert (terms.days, terms.written_form_required) == (30, False)


def test_thirty_one_days_need_the_written_form() -> None:
    terms = agreement_terms(ADULT, date(2026, 6, 1), date(2026, 7, 1))
    assert (terms.days, terms.written_form_required) == (31, True)


def test_guardian_role_is_set_by_age_on_the_first_day() -> None:
    twelve = date(2014, 6, 2)  # 13 on 2 June 2027
    assert agreement_terms(twelve, date(2026, 6, 1), date(2026, 6, 2)).guardian_role is (
        GuardianRole.CONCLUDES_AGREEMENT
    )
    assert agreement_terms(twelve, date(2027, 6, 2), date(2027, 6, 3)).guardian_role is (
        GuardianRole.WRITTEN_CONSENT
    )
    assert agreement_terms(ADULT, date(2026, 6, 1), date(2026, 6, 2)).guardian_role is (
        GuardianRole.NONE
    )


def test_period_must_not_end_before_it_starts() -> None:
    with pytest.raises(AgreementError):
        agreement_terms(ADULT, date(2026, 6, 2), date(2026, 6, 1))


def test_certificate_states_scope_period_and_hours_in_polish() -> None:
    lines = certificate_lines(
        CertificateFacts(
            full_name="Zofia Łęcka",
            branch_name="Wypożyczalnia nr 12",
            branch_code="wola-12",
            scope="głośne czytanie",
            period_from=date(2026, 1, 5),
            period_to=date(2026, 6, 30),
            approved_hours=Decimal("17.5"),
            issued_on=date(2026, 11, 24),
        )
    )
    assert lines[1] == "ZAŚWIADCZENIE"
    assert "w okresie od 05.01.2026 do 30.06.2026" in lines[3]
    assert lines[4] == "Zakres świadczeń: głośne czytanie."
    assert lines[5] == "Łączna liczba zatwierdzonych godzin: 17,50."
