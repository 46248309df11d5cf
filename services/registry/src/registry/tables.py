"""Registry's tables, all in schema ``registry``."""

from __future__ import annotations

from sqlmodel import SQLModel

from shared.db import schema_registry

SCHEMA = "registry"


class RegistryTable(SQLModel, registry=schema_registry(SCHEMA)):
    pass


metadata = RegistryTable.metadata
