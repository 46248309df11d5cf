"""Reference data every service reads the same way."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class District:
    slug: str
    name: str
    district_library: str


@cache
def warsaw_districts() -> dict[str, District]:
    """Warsaw's 18 districts by slug."""
    text = resources.files(__package__).joinpath("warsaw_districts.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        row["slug"]: District(row["slug"], row["district"], row["district_library"]) for row in rows
    }


def district_name(slug: str) -> str:
    """A Warsaw district's name ("bialoleka" → "Białołęka"); an unknown slug as it is."""
    district = warsaw_districts().get(slug)
    return district.name if district else slug
