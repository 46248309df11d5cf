"""What an erasure does besides a service's own tables: its outbox and the parked messages.

- ``purge_outbox``: outbox rows kept after publishing (72 h, for tracing) and rows not yet
  published that carry the person's data are deleted in the erasure's own transaction, so
  nothing about the person leaves or stays behind once it commits;
- ``purge_parked``: the person's messages go from every dead-letter queue and from
  ``city.inbound.unrouted`` (a refused registration keeps the whole profile there); the
  erasure keeps only one-way digests of what identifies them until that has run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.deadletters import names_any, purge, value_digest
from shared.logging import get_logger

log = get_logger(__name__)

_MIN_LENGTH = 3


def _forms(values: Iterable[str | None]) -> list[str]:
    """Each value as written and JSON-escaped (a name with Polish letters is escaped)."""
    forms: set[str] = set()
    for value in values:
        if value and len(value) >= _MIN_LENGTH:
            forms.add(value)
            forms.add(json.dumps(value)[1:-1])
    return sorted(forms)


async def purge_outbox(
    connection: AsyncConnection,
    schema: str,
    *,
    identifiers: Iterable[str | None],
    personal: Iterable[str | None],
) -> int:
    """Delete the outbox rows about a person that carry their data: those that name one of
    ``identifiers`` (their ids) and one of ``personal`` (name, e-mail, phone, a guardian's
    contact), published or not. An event about the person without their data (an id and
    public facts) stays, so the other services still hear of what happened. Returns how
    many rows went."""
    ids, values = _forms(identifiers), _forms(personal)
    if not ids or not values:
        return 0

    def any_of(prefix: str, forms: list[str]) -> tuple[str, dict[str, str]]:
        params = {f"{prefix}{i}": form for i, form in enumerate(forms)}
        clause = " OR ".join(f"strpos(convert_from(body, 'UTF8'), :{name}) > 0" for name in params)
        return f"({clause})", params

    id_clause, id_params = any_of("id", ids)
    value_clause, value_params = any_of("value", values)
    result = await connection.execute(
        sa.text(f'DELETE FROM "{schema}".outbox WHERE {id_clause} AND {value_clause}'),
        {**id_params, **value_params},
    )
    removed = int(result.rowcount or 0)
    if removed:
        log.info("outbox rows about an erased person deleted", rows=removed)
    return removed


def digests(values: Iterable[str | None]) -> list[str]:
    """What an erasure keeps until ``purge_parked`` has run: one-way digests of the person's
    ids and contact data (see ``shared.deadletters.value_digest``)."""
    return sorted({value_digest(value) for value in values if value and value.strip()})


async def purge_parked(amqp_url: str, value_digests: Iterable[str]) -> int:
    """Remove the messages naming the person (one of their data values has one of
    ``value_digests``) from every dead-letter queue and from ``city.inbound.unrouted``.
    Returns how many went."""
    removed = await purge(amqp_url, names_any(value_digests))
    total = sum(removed.values())
    if total:
        log.info(
            "parked messages about an erased person removed",
            queues={queue: count for queue, count in removed.items() if count},
        )
    return total
