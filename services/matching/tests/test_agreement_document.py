"""The agreement's PDF says what the law asks for each age and length, read back with pypdf;
the template's syntax refuses gaps; uploads are checked from their own bytes."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pypdf
import pytest

from matching.document_pdf import render_document, template
from matching.domain.documents import (
    AgreementFacts,
    ReferenceFacts,
    TemplateError,
    agreement_values,
    reference_values,
    render_template,
)
from matching.domain.pdf_upload import NotAPdf, check_pdf
from matching.domain.people import GuardianRole

ADULT = AgreementFacts(
    concluded_on=date(2027, 1, 5),
    organisation="Biblioteka Publiczna w Dzielnicy Wola m.st. Warszawy",
    branch_name="Wypożyczalnia nr 12",
    branch_address="ul. Żelazna 1, 01-001 Warszawa",
    opening_hours="pon. 10:00–19:00",
    volunteer_name="Łucja Żółć",
    guardian_name=None,
    guardian_role=GuardianRole.NONE,
    scope="głośne czytanie dla dzieci",
    starts_on=date(2027, 1, 10),
    ends_on=date(2027, 2, 8),  # 30 days, both ends counted
    working_hours=None,
    reimbursed_costs=None,
)
LONG = replace(ADULT, ends_on=date(2027, 6, 30), reimbursed_costs="bilety komunikacji miejskiej")
FIFTEEN = replace(
    ADULT,
    volunteer_name="Jaś Nowak",
    guardian_name="Anna Nowak",
    guardian_role=GuardianRole.WRITTEN_CONSENT,
    working_hours="wtorki 16:00–18:00",
)
TWELVE = replace(
    ADULT,
    volunteer_name="Staś Nowak",
    guardian_name="Anna Nowak",
    guardian_role=GuardianRole.CONCLUDES_AGREEMENT,
)


def pdf_text(facts: AgreementFacts) -> str:
    values, conditions = agreement_values(facts)
    content = render_document("porozumienie", "Porozumienie", values, conditions)
    reader = pypdf.PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split())


COMMON = (
    "POROZUMIENIE",
    "art. 44 ustawy z dnia 24 kwietnia 2003 r. o działalności pożytku publicznego",
    "Biblioteka Publiczna w Dzielnicy Wola m.st. Warszawy – placówka Wypożyczalnia nr 12",
    "ul. Żelazna 1, 01-001 Warszawa",
    "w zakresie: głośne czytanie dla dzieci",
    "§ 3. Obowiązki Wolontariusza",
    "bezpieczeństwa i higieny pracy",
    "§ 4. Obowiązki Korzystającego",
    "koszty podróży służbowych i diet",
    "§ 6. Zaświadczenie i opinia",
    "pisemne zaświadczenie o wykonaniu świadczeń",
    "pisemną opinię o wykonywaniu świadczeń przez Wolontariusza (art. 44 ust. 3 ustawy)",
    "§ 7. Rozwiązanie porozumienia",
)


def test_an_adult_for_thirty_days_is_insured_against_accidents() -> None:
    text = pdf_text(ADULT)
    for phrase in COMMON:
        assert phrase in text, phrase
    assert "Łucja Żółć, zwaną/zwanym dalej „Wolontariuszem”" in text
    assert "od 10.01.2027 do 08.02.2027 (30 dni)" in text
    assert "ubezpieczenie od następstw nieszczęśliwych wypadków (NNW)" in text
    assert "w godzinach otwarcia placówki (pon. 10:00–19:00)" in text
    assert "nie dłuższy niż 30 dni" in text and "formie pisemnej (art. 44 ust. 4" not in text
    assert "Strony nie uzgodniły zwrotu innych kosztów" in text
    assert "opiekun" not in text.lower() and "Przedstawiciel ustawowy" not in text


def test_an_adult_for_longer_needs_written_form_and_no_insurance_clause() -> None:
    text = pdf_text(LONG)
    for phrase in COMMON:
        assert phrase in text, phrase
    assert "(172 dni)" in text
    assert "zawiera się w formie pisemnej (art. 44 ust. 4 ustawy)" in text
    assert "NNW" not in text
    assert "zaopatrzenie z tytułu wypadku" in text and "(art. 46 ust. 2 ustawy)" in text
    assert "(art. 45 ust. 2 ustawy): bilety komunikacji miejskiej" in text


def test_a_fifteen_year_old_needs_the_guardians_written_consent() -> None:
    text = pdf_text(FIFTEEN)
    for phrase in COMMON:
        assert phrase in text, phrase
    assert "Jaś Nowak, osobą małoletnią, która ukończyła 13 lat" in text
    assert "pisemną zgodą przedstawiciela ustawowego (opiekuna prawnego) Anna Nowak" in text
    assert "Załącznik: zgoda przedstawiciela ustawowego" in text
    assert "wyrażam zgodę na zawarcie przez niego powyższego porozumienia" in text
    assert "Data i podpis przedstawiciela ustawowego" in text
    assert "w godzinach: wtorki 16:00–18:00" in text
    assert "pod opieką osoby wskazanej przez Korzystającego" in text
    assert "nie ukończył 13 lat" not in text


def test_for_a_twelve_year_old_the_guardian_concludes_the_agreement() -> None:
    text = pdf_text(TWELVE)
    for phrase in COMMON:
        assert phrase in text, phrase
    assert "Anna Nowak, przedstawicielem ustawowym (opiekunem prawnym) małoletniego" in text
    assert "Staś Nowak, który nie ukończył 13 lat, działającym w jego imieniu" in text
    assert "Przedstawiciel ustawowy" in text  # signs instead of the child
    assert "Załącznik" not in text and "ukończyła 13 lat" not in text


def test_a_reference_names_the_law_and_carries_the_coordinators_text() -> None:
    facts = ReferenceFacts(
        issued_on=date(2027, 3, 1),
        organisation=None,
        branch_name="Wypożyczalnia nr 12",
        volunteer_name="Łucja Żółć",
        scope="głośne czytanie dla dzieci",
        starts_on=date(2027, 1, 10),
        ends_on=date(2027, 2, 8),
        text="Pani Łucja prowadziła głośne czytanie sumiennie i z pomysłem.",
    )
    values, conditions = reference_values(facts)
    content = render_document("opinia", "Opinia", values, conditions)
    text = " ".join(pypdf.PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    assert "OPINIA" in text and "(art. 44 ust. 3 ustawy" in text
    assert "placówka Wypożyczalnia nr 12 wydaje, na wniosek Wolontariusza, opinię" in text
    assert "sumiennie i z pomysłem" in text


def test_the_template_refuses_unknown_names_and_open_conditions() -> None:
    with pytest.raises(TemplateError, match="placeholder"):
        render_template("{{nieznane}}", {}, {})
    with pytest.raises(TemplateError, match="condition"):
        render_template("[[jeśli nieznany]]\ntekst\n[[koniec]]", {}, {})
    with pytest.raises(TemplateError, match="not closed"):
        render_template("[[jeśli nnw]]\ntekst", {}, {"nnw": True})
    # Each shipped template uses only names its values give.
    values, conditions = agreement_values(ADULT)
    assert render_template(template("porozumienie"), values, conditions)


def test_a_value_is_not_read_as_template_syntax() -> None:
    blocks = render_template("Zakres: {{zakres}}.", {"zakres": "{{opiekun}} [[koniec]]"}, {})
    assert blocks[0].text == "Zakres: {{opiekun}} [[koniec]]."


def valid_pdf() -> bytes:
    values, conditions = agreement_values(ADULT)
    return render_document("porozumienie", "Porozumienie", values, conditions)


def test_a_real_pdf_passes_and_broken_files_say_why() -> None:
    good = valid_pdf()
    check_pdf(good)
    cases = {
        "empty": b"",
        "not_pdf": b"\x89PNG\r\n\x1a\n" + b"0" * 100,
        "truncated": good[: len(good) // 2],
        "damaged": good.replace(b"startxref\n", b"startxref\n9", 1),
        "too_large": good + b"%" * 10,
    }
    for reason, content in cases.items():
        with pytest.raises(NotAPdf) as refused:
            check_pdf(content, limit=len(good) + 5)
        assert refused.value.reason == reason, reason
