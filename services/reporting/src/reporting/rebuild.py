"""``python -m reporting rebuild [--chunk-size N]``: replace every read model with a replay of
the fact log.

The log is read in chunks of ``--chunk-size`` facts, each in a short transaction of its own,
while the consumers go on recording facts (progress on stderr). Then one transaction locks
the log, folds what arrived meanwhile and replaces the read models: readers see the old
numbers until the new ones are complete, and the consumers wait only for that last step.

A fact whose transaction was still open while its chunk was read has a number below the
chunk's end but is not in it: the numbers a chunk skips are kept and looked at again under
the lock (the merge rules do not depend on order or repetition, so a late fact folds in as
well as in order).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import BigInteger

from reporting import applications
from reporting.domain.entities import Entity
from reporting.projections import fold_rows, lock_log, write_read_models
from reporting.settings import ReportingSettings
from shared.db import Database
from shared.logging import configure_logging, get_logger
from shared.progress import Steps, steps

log = get_logger(__name__)
DEFAULT_CHUNK_SIZE = 5000

_CHUNK = text(
    "SELECT seq, event_type, data, occurred_at FROM reporting.facts "
    "WHERE seq > :after ORDER BY seq LIMIT :size"
)
_LATE = text(
    "SELECT f.event_type, f.data, f.occurred_at FROM reporting.facts f "
    "WHERE f.seq > :after OR EXISTS (SELECT FROM unnest(:lows, :highs) AS gap(low, high) "
    "WHERE f.seq > gap.low AND f.seq < gap.high) ORDER BY f.seq"
).bindparams(
    bindparam("lows", type_=ARRAY(BigInteger())), bindparam("highs", type_=ARRAY(BigInteger()))
)


async def rebuild_in_chunks(
    database: Database,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Steps | None = None,
    after_chunk: Callable[[int], Awaitable[None]] | None = None,
) -> int:
    """Replay the log chunk by chunk, then replace the read models; the facts replayed.
    ``after_chunk(last)`` runs after each chunk, with the last number read (tests use it)."""
    store: dict[tuple[str, str], Entity] = {}
    replayed, last = 0, 0
    gaps: list[tuple[int, int]] = []  # open intervals of numbers no chunk held
    async with database.transaction() as session:
        count = await (await session.connection()).scalar(
            text("SELECT count(*) FROM reporting.facts")
        )
    total = int(count or 0)
    if progress is not None:
        progress.set_total(total)
    while True:
        async with database.transaction() as session:
            chunk: Sequence[Any] = (
                await (await session.connection()).execute(
                    _CHUNK, {"after": last, "size": chunk_size}
                )
            ).all()
        if not chunk:
            break
        for seq, *_ in chunk:
            if seq > last + 1:
                gaps.append((last, seq))
            last = seq
        replayed += fold_rows((row[1:] for row in chunk), store)
        if progress is not None:
            progress.advance(len(chunk))
        if after_chunk is not None:
            await after_chunk(last)
    async with database.transaction() as session:
        await lock_log(session)
        late = await (await session.connection()).execute(
            _LATE,
            {"after": last, "lows": [low for low, _ in gaps], "highs": [high for _, high in gaps]},
        )
        arrived = fold_rows(late.all(), store)
        replayed += arrived
        if progress is not None and arrived:
            progress.advance(arrived)
        await write_read_models(session, store, batch_size=chunk_size)
        await applications.rebuild(session)
    return replayed


async def rebuild_read_models(
    settings: ReportingSettings, *, chunk_size: int = DEFAULT_CHUNK_SIZE, show: bool = True
) -> int:
    database = Database(settings.database_url, settings.database_schema)
    try:
        if not show:
            return await rebuild_in_chunks(database, chunk_size=chunk_size)
        with steps("facts replayed") as progress:
            return await rebuild_in_chunks(database, chunk_size=chunk_size, progress=progress)
    finally:
        await database.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting rebuild", description=__doc__)
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=DEFAULT_CHUNK_SIZE,
        help=f"facts read per transaction (default {DEFAULT_CHUNK_SIZE})",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if args.chunk_size < 1:
        parser.error("--chunk-size must be at least 1")
    settings = ReportingSettings()
    configure_logging(settings.service_name, settings.log_level, json=settings.log_json)
    started = time.perf_counter()
    replayed = asyncio.run(
        rebuild_read_models(settings, chunk_size=args.chunk_size, show=not args.quiet)
    )
    log.info(
        "read models rebuilt",
        facts=replayed,
        chunk_size=args.chunk_size,
        seconds=round(time.perf_counter() - started, 2),
    )
    print(f"rebuilt the read models from {replayed} facts")
    return 0
