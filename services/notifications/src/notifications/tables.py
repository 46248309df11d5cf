"""Notifications's tables, all in schema ``notifications``."""

from __future__ import annotations

from sqlmodel import SQLModel

from shared.db import schema_registry

SCHEMA = "notifications"


class NotificationsTable(SQLModel, registry=schema_registry(SCHEMA)):
    pass


metadata = NotificationsTable.metadata
