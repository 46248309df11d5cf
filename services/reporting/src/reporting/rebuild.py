"""``python -m reporting rebuild``: empty every read model and replay the fact log.

Runs in one transaction: readers see the old numbers until the new ones are complete.
"""

from __future__ import annotations

import asyncio
import time

from reporting.projections import rebuild
from reporting.settings import ReportingSettings
from shared.db import Database
from shared.logging import configure_logging, get_logger

log = get_logger(__name__)


async def rebuild_read_models(settings: ReportingSettings) -> int:
    database = Database(settings.database_url, settings.database_schema)
    try:
        async with database.transaction() as session:
            return await rebuild(session)
    finally:
        await database.dispose()


def main() -> int:
    settings = ReportingSettings()
    configure_logging(settings.service_name, settings.log_level, json=settings.log_json)
    started = time.perf_counter()
    replayed = asyncio.run(rebuild_read_models(settings))
    log.info(
        "read models rebuilt",
        facts=replayed,
        seconds=round(time.perf_counter() - started, 2),
    )
    print(f"rebuilt the read models from {replayed} facts")
    return 0
