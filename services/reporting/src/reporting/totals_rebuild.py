"""The totals written in bulk by a rebuild: every contribution, then the cells summed from
them in the database."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from reporting.domain import totals, views
from reporting.domain.totals import MEASURES
from reporting.domain.views import State
from reporting.totals_sql import (
    BRANCH_MEMBERS,
    CONTRIBUTION_COLUMNS,
    CONTRIBUTIONS,
    MEMBERS,
    MESSAGES,
    TOTALS,
    asyncpg_connection,
    contribution_values,
    copy_rows,
)


async def write_all(connection: AsyncConnection, state: State) -> None:
    """Every contribution and total of ``state``, in bulk (the tables were emptied).

    The contributions are derived in Python by the live path's own rules; the cells are
    summed from them in the database (the 14 cells of an item as ``Contribution.cells``
    names them), which is many times faster than in Python at a million items. The
    rebuild tests hold both to the same rows.
    """
    contributions = (totals.contribution(state, item) for item in views.items(state))
    await copy_rows(
        connection,
        "contributions",
        list(CONTRIBUTION_COLUMNS),
        (contribution_values(c) for c in contributions),
    )
    driver = await asyncpg_connection(connection)
    for statement in _SUM_CELLS:
        await driver.execute(statement)
    await copy_rows(
        connection,
        "message_totals",
        ["channel", "template", "sent", "failed"],
        (list(row.values()) for row in views.messages(state)),
    )


_EXPANDED = """
CREATE TEMPORARY TABLE expanded ON COMMIT DROP AS
SELECT cell.edition COLLATE "C" AS edition, cell.grouped_by COLLATE "C" AS grouped_by,
       cell.value COLLATE "C" AS value, c.role, c.member_id,
       {measures}
FROM reporting.contributions c
CROSS JOIN LATERAL (
    SELECT e.edition, g.grouped_by, g.value
    FROM (VALUES (c.edition), ('*')) AS e(edition)
    CROSS JOIN (VALUES
        ('all', ''),
        ('district', c.district),
        ('branch', c.branch),
        ('institution_type', c.institution_type),
        ('task_type', c.task_type),
        ('week', to_char(c.day - (extract(isodow FROM c.day)::int - 1), 'YYYY-MM-DD')),
        ('month', to_char(date_trunc('month', c.day::timestamp), 'YYYY-MM-DD'))
    ) AS g(grouped_by, value)
    WHERE g.value IS NOT NULL
) AS cell
""".format(measures=", ".join(f"c.{m}" for m in MEASURES))


_SUM_CELLS = (
    _EXPANDED,
    "INSERT INTO reporting.totals (edition, grouped_by, value, {m}) "
    "SELECT edition, grouped_by, value, {sums} FROM expanded "
    "GROUP BY edition, grouped_by, value".format(
        m=", ".join(MEASURES), sums=", ".join(f"sum({m})" for m in MEASURES)
    ),
    # In the order of the primary key: the index grows at its end.
    "INSERT INTO reporting.total_volunteers "
    "(volunteer_id, edition, grouped_by, value, recruiting, active) "
    "SELECT member_id, edition, grouped_by, value, "
    "count(*) FILTER (WHERE role = 'recruited'), count(*) FILTER (WHERE role = 'active') "
    "FROM expanded WHERE role IN ('recruited', 'active') "
    "GROUP BY member_id, edition, grouped_by, value "
    "ORDER BY member_id, edition, grouped_by, value",
    "INSERT INTO reporting.total_branches "
    "(branch_id, edition, grouped_by, value, enrolments) "
    "SELECT member_id, edition, grouped_by, value, count(*) FROM expanded "
    "WHERE role = 'enrolled' GROUP BY member_id, edition, grouped_by, value",
    "DROP TABLE expanded",
    """
UPDATE reporting.totals t
SET recruited = m.recruited, active = m.active, known = m.known, minors = m.minors
FROM (
    SELECT v.edition, v.grouped_by, v.value,
           count(*) FILTER (WHERE v.recruiting > 0) AS recruited,
           count(*) FILTER (WHERE v.active > 0) AS active,
           count(p.minor) AS known,
           count(*) FILTER (WHERE p.minor) AS minors
    FROM reporting.total_volunteers v
    LEFT JOIN (
        SELECT key::uuid AS volunteer_id, (data->>'minor')::boolean AS minor
        FROM reporting.snapshots WHERE kind = 'volunteer'
    ) p ON p.volunteer_id = v.volunteer_id
    GROUP BY v.edition, v.grouped_by, v.value
) m
WHERE (t.edition, t.grouped_by, t.value) = (m.edition, m.grouped_by, m.value)
""",
    """
UPDATE reporting.totals t SET enrolled = b.enrolled
FROM (
    SELECT edition, grouped_by, value, count(*) AS enrolled
    FROM reporting.total_branches GROUP BY edition, grouped_by, value
) b
WHERE (t.edition, t.grouped_by, t.value) = (b.edition, b.grouped_by, b.value)
""",
)


async def empty(connection: AsyncConnection) -> None:
    for table in (CONTRIBUTIONS, TOTALS, MEMBERS, BRANCH_MEMBERS, MESSAGES):
        await connection.execute(table.delete())
