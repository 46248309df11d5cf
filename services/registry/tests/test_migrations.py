"""The migrations: reproducible reference rows, and tables that match the code's models."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from registry.app import MIGRATIONS_DIR
from registry.tables import metadata
from shared.reference import warsaw_districts
from shared.testing.platform import TestPlatform
from shared.testing.schema import schema_differences


def _migration(name: str) -> Any:
    path = next(Path(MIGRATIONS_DIR, "versions").glob(f"{name}_*.py"))
    spec = importlib.util.spec_from_file_location(f"registry_migration_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_district_rows_are_the_reference_data_written_out() -> None:
    rows = _migration("0002").DISTRICTS
    assert len(rows) == 18
    assert {slug: (name, library) for slug, name, library, _ in rows} == {
        d.slug: (d.name, d.district_library) for d in warsaw_districts().values()
    }
    assert len({organisation_id for *_, organisation_id in rows}) == 18


async def test_the_migrated_tables_match_the_models(platform: TestPlatform) -> None:
    differences = await schema_differences(platform, "registry", metadata)
    assert differences == [], "\n".join(map(str, differences))
