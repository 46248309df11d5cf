"""The portal's inbound contracts (docs/contracts.md), field by field.

A rejected message is dead-lettered with ``describe_validation_error`` as its detail, so
each rejection is checked to name the field a person has to fix.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from matching.contracts import PortalErasureRequested, PortalVolunteer
from shared.cloudevents import describe_validation_error


def full_payload(**changes: Any) -> dict[str, Any]:
    """As the portal sends it (the same payload as tests/portal.py)."""
    data: dict[str, Any] = {
        "portal_id": "portal-123",
        "first_name": "Zofia",
        "last_name": "Kowalska-Nowak",
        "email": "portal-123@example.pl",
        "phone": "+48601234567",
        "birth_date": "1999-03-14",
        "districts": ["wola", "ochota"],
        "skills": ["Scratch", "fotografia"],
        "interests": ["komiksy"],
        "languages": ["pl", "en"],
        "availability": [{"weekday": 5, "start": "22:00", "end": "02:00"}],
        "consents": {"email": True, "sms": False},
    }
    data.update(changes)
    return data


def minimal_payload(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "portal_id": "portal-7",
        "first_name": "Jan",
        "last_name": "Nowak",
        "email": "jan@example.pl",
        "birth_date": "1990-01-01",
        "districts": ["mokotow"],
        "consents": {"email": False, "sms": False},
    }
    data.update(changes)
    return data


def slot(weekday: int = 1, start: str = "10:00", end: str = "12:00") -> dict[str, Any]:
    return {"weekday": weekday, "start": start, "end": end}


def accepted(**changes: Any) -> PortalVolunteer:
    return PortalVolunteer.model_validate(full_payload(**changes))


def rejection(**changes: Any) -> str:
    """The dead-letter detail for the full payload with ``changes``."""
    with pytest.raises(ValidationError) as caught:
        PortalVolunteer.model_validate(full_payload(**changes))
    return describe_validation_error(caught.value)


def without(field: str) -> dict[str, Any]:
    data = full_payload()
    del data[field]
    return data


# Valid payloads


def test_full_payload_is_accepted() -> None:
    volunteer = accepted()

    assert volunteer.portal_id == "portal-123"
    assert volunteer.first_name == "Zofia"
    assert volunteer.last_name == "Kowalska-Nowak"
    assert str(volunteer.email) == "portal-123@example.pl"
    assert volunteer.phone == "+48601234567"
    assert volunteer.birth_date == date(1999, 3, 14)
    assert volunteer.districts == ["wola", "ochota"]
    assert volunteer.languages == ["pl", "en"]
    assert volunteer.consents.email is True
    assert volunteer.consents.sms is False
    assert volunteer.guardian is None


def test_minimal_payload_is_accepted_with_empty_optional_lists() -> None:
    volunteer = PortalVolunteer.model_validate(minimal_payload())

    assert volunteer.phone is None
    assert volunteer.skills == []
    assert volunteer.interests == []
    assert volunteer.languages == []
    assert volunteer.availability == []
    assert volunteer.guardian is None


def test_payload_with_a_guardian_is_accepted() -> None:
    guardian = {
        "name": "Anna Kowalska",
        "email": "anna@example.pl",
        "consent_given_at": "2026-09-01T10:00:00+02:00",
    }

    volunteer = accepted(birth_date="2012-05-01", guardian=guardian)

    assert volunteer.guardian is not None
    assert volunteer.guardian.name == "Anna Kowalska"
    assert volunteer.guardian.consent_given_at == datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def test_unknown_fields_are_ignored() -> None:
    assert accepted(newsletter=True).portal_id == "portal-123"


# portal_id


@pytest.mark.parametrize("portal_id", ["", "   ", "x" * 65], ids=["empty", "blank", "65-chars"])
def test_portal_id_outside_1_to_64_characters_is_rejected(portal_id: str) -> None:
    assert "portal_id" in rejection(portal_id=portal_id)


def test_portal_id_of_64_characters_is_accepted() -> None:
    assert accepted(portal_id="x" * 64).portal_id == "x" * 64


def test_missing_portal_id_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        PortalVolunteer.model_validate(without("portal_id"))

    assert "portal_id" in describe_validation_error(caught.value)


# Names


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_name_with_digits_is_rejected(field: str) -> None:
    assert field in rejection(**{field: "Zofia2"})


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_empty_name_is_rejected(field: str) -> None:
    assert field in rejection(**{field: ""})


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_name_of_101_characters_is_rejected(field: str) -> None:
    assert field in rejection(**{field: "A" * 101})


def test_name_of_100_characters_is_accepted() -> None:
    assert accepted(last_name="A" * 100).last_name == "A" * 100


def test_name_with_symbols_is_rejected() -> None:
    assert "first_name" in rejection(first_name="Zofia!")


def test_polish_letters_are_accepted() -> None:
    volunteer = accepted(first_name="Łucja", last_name="Żółć-Świętochowska")

    assert volunteer.first_name == "Łucja"
    assert volunteer.last_name == "Żółć-Świętochowska"


def test_cyrillic_letters_are_accepted() -> None:
    assert accepted(first_name="Олександра").first_name == "Олександра"


def test_name_with_an_apostrophe_is_accepted() -> None:
    assert accepted(last_name="O'Neill").last_name == "O'Neill"


def test_name_with_a_typographic_apostrophe_is_accepted() -> None:
    # Phones' "smart punctuation" turns ' into ’ as people type.
    assert accepted(last_name="O’Neill").last_name == "O’Neill"


def test_name_with_decomposed_diacritics_is_accepted() -> None:
    decomposed = unicodedata.normalize("NFD", "Żółć")

    assert unicodedata.normalize("NFC", accepted(last_name=decomposed).last_name) == "Żółć"


def test_name_with_spaces_around_is_trimmed() -> None:
    assert accepted(first_name="  Zofia ").first_name == "Zofia"


# Contact data


@pytest.mark.parametrize("email", ["not-an-email", "zofia@", "zofia@example", "@example.pl"])
def test_invalid_email_is_rejected(email: str) -> None:
    assert "email" in rejection(email=email)


@pytest.mark.parametrize(
    "phone",
    ["601234567", "0048601234567", "+48 601 234 567", "+0601234567", "+48601234567\n"],
    ids=["national", "00-prefix", "spaces", "leading-zero", "trailing-newline"],
)
def test_phone_not_in_e164_is_rejected(phone: str) -> None:
    assert "phone" in rejection(phone=phone)


def test_phone_is_optional() -> None:
    assert accepted(phone=None).phone is None


# Birth date


def warsaw_today() -> date:
    return datetime.now(ZoneInfo("Europe/Warsaw")).date()


def test_birth_date_today_in_warsaw_is_rejected() -> None:
    assert "birth_date" in rejection(birth_date=warsaw_today().isoformat())


def test_birth_date_in_the_future_is_rejected() -> None:
    assert "birth_date" in rejection(birth_date=(warsaw_today() + timedelta(days=1)).isoformat())


def test_birth_date_yesterday_is_accepted() -> None:
    yesterday = warsaw_today() - timedelta(days=1)

    assert accepted(birth_date=yesterday.isoformat()).birth_date == yesterday


def test_birth_date_that_is_not_a_date_is_rejected() -> None:
    assert "birth_date" in rejection(birth_date="14.03.1999")


# Districts


def test_empty_districts_are_rejected() -> None:
    assert "districts" in rejection(districts=[])


def test_missing_districts_are_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        PortalVolunteer.model_validate(without("districts"))

    assert "districts" in describe_validation_error(caught.value)


def test_unknown_district_is_rejected_and_listed() -> None:
    detail = rejection(districts=["wola", "atlantyda"])

    assert "districts" in detail
    assert "atlantyda" in detail


def test_district_names_are_not_slugs() -> None:
    assert "Mokotów" in rejection(districts=["Mokotów"])


def test_repeated_district_is_kept_once() -> None:
    assert accepted(districts=["wola", "ochota", "wola"]).districts == ["wola", "ochota"]


# Availability


@pytest.mark.parametrize("weekday", [0, 8])
def test_weekday_outside_1_to_7_is_rejected(weekday: int) -> None:
    detail = rejection(availability=[slot(weekday=weekday)])

    assert "availability.0.weekday" in detail


@pytest.mark.parametrize("weekday", [1, 7])
def test_weekday_monday_to_sunday_is_accepted(weekday: int) -> None:
    assert accepted(availability=[slot(weekday=weekday)]).availability[0].weekday == weekday


@pytest.mark.parametrize(
    "time", ["24:00", "7:00", "12:60", "12.00", "10:00\n"], ids=lambda time: repr(time)
)
def test_start_not_in_hh_mm_is_rejected(time: str) -> None:
    assert "availability.0.start" in rejection(availability=[slot(start=time)])


@pytest.mark.parametrize("time", ["24:00", "7:00"])
def test_end_not_in_hh_mm_is_rejected(time: str) -> None:
    assert "availability.0.end" in rejection(availability=[slot(end=time)])


def test_slot_ending_when_it_starts_is_rejected() -> None:
    assert "availability.0" in rejection(availability=[slot(start="10:00", end="10:00")])


def test_slot_crossing_midnight_is_accepted() -> None:
    volunteer = accepted(availability=[slot(weekday=5, start="22:00", end="02:00")])

    assert (volunteer.availability[0].start, volunteer.availability[0].end) == ("22:00", "02:00")


def test_slot_from_midnight_to_23_59_is_accepted() -> None:
    assert accepted(availability=[slot(start="00:00", end="23:59")]).availability[0].end == "23:59"


def test_second_bad_slot_is_named_by_its_position() -> None:
    assert "availability.1.weekday" in rejection(availability=[slot(), slot(weekday=9)])


# Languages


@pytest.mark.parametrize("code", ["pol", "polish", "p", "p1"])
def test_language_that_is_not_iso_639_1_is_rejected(code: str) -> None:
    detail = rejection(languages=["pl", code])

    assert "languages" in detail
    assert code in detail


def test_two_letters_that_are_no_iso_639_1_code_are_rejected() -> None:
    assert "languages" in rejection(languages=["xx"])


def test_language_code_is_normalised_to_lowercase() -> None:
    assert accepted(languages=["PL", "En"]).languages == ["pl", "en"]


def test_repeated_language_is_kept_once() -> None:
    assert accepted(languages=["pl", "PL", "uk"]).languages == ["pl", "uk"]


# Skills and interests


def test_skills_differing_only_in_case_are_kept_once() -> None:
    skills = accepted(skills=["Scratch", "scratch", "SCRATCH", "Fotografia"]).skills

    assert [skill.casefold() for skill in skills] == ["scratch", "fotografia"]


def test_interests_differing_only_in_case_are_kept_once() -> None:
    interests = accepted(interests=["Komiksy", "komiksy", "Żeglarstwo", "ŻEGLARSTWO"]).interests

    assert [interest.casefold() for interest in interests] == ["komiksy", "żeglarstwo"]


def test_empty_skill_is_rejected() -> None:
    assert "skills" in rejection(skills=["  "])


# Consents


def test_missing_consents_are_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        PortalVolunteer.model_validate(without("consents"))

    assert "consents" in describe_validation_error(caught.value)


def test_consents_without_the_sms_channel_are_rejected() -> None:
    assert "consents.sms" in rejection(consents={"email": True})


# Erasure


def test_erasure_request_is_accepted() -> None:
    request = PortalErasureRequested.model_validate(
        {"portal_id": "portal-123", "requested_at": "2026-11-24T12:00:00Z"}
    )

    assert request.portal_id == "portal-123"
    assert request.requested_at == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("field", ["portal_id", "requested_at"])
def test_erasure_request_without_a_required_field_is_rejected(field: str) -> None:
    data = {"portal_id": "portal-123", "requested_at": "2026-11-24T12:00:00Z"}
    del data[field]

    with pytest.raises(ValidationError) as caught:
        PortalErasureRequested.model_validate(data)

    assert field in describe_validation_error(caught.value)


def test_erasure_request_with_an_empty_portal_id_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        PortalErasureRequested.model_validate(
            {"portal_id": "", "requested_at": "2026-11-24T12:00:00Z"}
        )

    assert "portal_id" in describe_validation_error(caught.value)
