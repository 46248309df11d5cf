"""The benchmark's baselines: the dashboard's question answered without the totals.

- plain: a GROUP BY over the raw facts, extracting every field from the JSON;
- typed: the same facts in a typed, indexed table (the edition and the district resolved
  when written, as a live projection would), counted at read time with plain SQL.
"""

from __future__ import annotations

import uuid

import asyncpg

from reporting.domain import facts as f

PLAIN = """
WITH edition AS (
    SELECT (data->>'starts_on')::date AS starts_on, (data->>'ends_on')::date AS ends_on
    FROM reporting.facts WHERE event_type = $1 AND data->>'edition_id' = $2 LIMIT 1
), branch AS (
    SELECT DISTINCT ON (data->>'branch_id') data->>'branch_id' AS branch_id,
           data->>'district' AS district
    FROM reporting.facts WHERE event_type = $3 ORDER BY data->>'branch_id', seq DESC
), enrolled AS (
    SELECT DISTINCT data->>'branch_id' AS branch_id
    FROM reporting.facts WHERE event_type = $4 AND data->>'edition_id' = $2
)
SELECT branch.district, sum((h.data->>'hours')::numeric) AS hours,
       count(DISTINCT h.data->>'volunteer_id') AS active
FROM reporting.facts h
JOIN branch ON branch.branch_id = h.data->>'branch_id'
JOIN enrolled ON enrolled.branch_id = branch.branch_id
CROSS JOIN edition
WHERE h.event_type = $5
  AND (h.data->>'worked_on')::date BETWEEN edition.starts_on AND edition.ends_on
GROUP BY branch.district
"""

# The fair baseline: the same facts in a typed, indexed table (a temporary one: the
# benchmark's connection may not create tables in the schema; the edition and the
# district resolved when written, as a live projection would), counted at read time.
TYPED_FILL = (
    "CREATE TEMPORARY TABLE typed_hours (edition_id uuid NOT NULL, "
    'district text COLLATE "C" NOT NULL, volunteer_id uuid NOT NULL, worked_on date NOT NULL, '
    "hours numeric NOT NULL)",
    """INSERT INTO typed_hours
    WITH edition AS (
        SELECT data->>'edition_id' AS edition_id, (data->>'starts_on')::date AS starts_on,
               (data->>'ends_on')::date AS ends_on
        FROM reporting.facts WHERE event_type = $1
    ), branch AS (
        SELECT DISTINCT ON (data->>'branch_id') data->>'branch_id' AS branch_id,
               data->>'district' AS district
        FROM reporting.facts WHERE event_type = $2 ORDER BY data->>'branch_id', seq DESC
    ), enrolled AS (
        SELECT DISTINCT data->>'branch_id' AS branch_id, data->>'edition_id' AS edition_id
        FROM reporting.facts WHERE event_type = $3
    )
    SELECT edition.edition_id::uuid, branch.district, (h.data->>'volunteer_id')::uuid,
           (h.data->>'worked_on')::date, (h.data->>'hours')::numeric
    FROM reporting.facts h
    JOIN branch ON branch.branch_id = h.data->>'branch_id'
    JOIN enrolled ON enrolled.branch_id = branch.branch_id
    JOIN edition ON edition.edition_id = enrolled.edition_id
     AND (h.data->>'worked_on')::date BETWEEN edition.starts_on AND edition.ends_on
    WHERE h.event_type = $4""",
    "CREATE INDEX ON typed_hours (edition_id, district) INCLUDE (volunteer_id, hours)",
    "VACUUM ANALYZE typed_hours",
)
TYPED_BREAKDOWN = (
    "SELECT district, sum(hours) AS hours, count(DISTINCT volunteer_id) AS active "
    "FROM typed_hours WHERE edition_id = $1 GROUP BY district"
)
TYPED_SUMMARY = (
    "SELECT sum(hours), count(DISTINCT volunteer_id) FROM typed_hours WHERE edition_id = $1"
)


def plain_arguments(edition_id: str) -> tuple[str, ...]:
    return (
        f.EDITION_OPENED,
        edition_id,
        f.BRANCH_REGISTERED,
        f.BRANCH_ENROLLED,
        f.matching("hours.approved.v1"),
    )


async def fill_typed(connection: asyncpg.Connection) -> None:
    """The typed table from the log's facts, indexed and analysed."""
    arguments = (
        f.EDITION_OPENED,
        f.BRANCH_REGISTERED,
        f.BRANCH_ENROLLED,
        f.matching("hours.approved.v1"),
    )
    for statement in TYPED_FILL:
        await connection.execute(statement, *(arguments if "$4" in statement else ()))


async def typed_question(
    connection: asyncpg.Connection, edition_id: str, by_district: bool
) -> None:
    """The dashboard's summary or breakdown by district of an edition, from the typed table."""
    await connection.fetch(TYPED_BREAKDOWN if by_district else TYPED_SUMMARY, uuid.UUID(edition_id))


async def typed_matches_plain(connection: asyncpg.Connection, edition_ids: list[str]) -> bool:
    """Whether the typed table's hours and active volunteers per district are the plain
    query's, edition by edition."""
    for edition_id in edition_ids:
        typed = await connection.fetch(TYPED_BREAKDOWN, uuid.UUID(edition_id))
        plain = await connection.fetch(PLAIN, *plain_arguments(edition_id))
        if {tuple(row) for row in typed} != {tuple(row) for row in plain}:
            return False
    return True
