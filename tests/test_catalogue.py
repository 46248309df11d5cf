"""The AsyncAPI event catalogue is generated from the code and must be committed up to date."""

from __future__ import annotations

import json
from pathlib import Path

from shared.catalogue import render

CATALOGUE = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.json"


def test_the_committed_catalogue_matches_the_code() -> None:
    assert CATALOGUE.read_text() == render(), (
        "docs/asyncapi.json is stale: run `make catalogue` and commit the result"
    )


def test_only_the_contact_event_carries_contact_data() -> None:
    schemas = json.loads(CATALOGUE.read_text())["components"]["schemas"]
    personal = {"email", "phone", "first_name", "last_name", "birth_date", "guardian"}
    published = {
        name: schema for name, schema in schemas.items() if name.startswith("PlWawVolunteering")
    }
    assert "PlWawVolunteeringMatchingVolunteerRegisteredV1" in published
    carriers = set()
    for name, schema in published.items():
        data_schema = schemas[schema["properties"]["data"]["$ref"].rsplit("/", 1)[-1]]
        if personal & set(data_schema["properties"]):
            carriers.add(name)
    # Contact data goes only where a consumer needs it: volunteers' to notifications, and
    # staff's (name, email, language) with their assignment, as docs/contracts.md says.
    assert carriers == {
        "PlWawVolunteeringMatchingVolunteerContactChangedV1",
        "PlWawVolunteeringRegistryCoordinatorAssignedV1",
        "PlWawVolunteeringRegistryCoordinatorUnassignedV1",
        "PlWawVolunteeringRegistryTrainerAssignedV1",
        "PlWawVolunteeringRegistryTrainerUnassignedV1",
    }
