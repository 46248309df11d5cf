"""The console's own data in Postgres (schema ``console``): sessions, used volunteer links and
per-person link revocations.

Sessions live on the server: the cookie carries a random id, the table keys its HMAC (a
stolen table yields no usable cookie). Signing out deletes the row, so a copied cookie
stops working at once; every session also ends at its absolute expiry.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from shared.db import asyncpg_dsn

# The console's Postgres connections at most (deploy/README.md counts them).
POOL_MAX_SIZE = 8


class ConsoleStore:
    def __init__(self, database_url: str, session_secret: str) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._session_secret = session_secret.encode()
        self._pool: asyncpg.Pool | None = None
        self._connecting = asyncio.Lock()

    async def connect(self) -> asyncpg.Pool:
        """The connection pool, made on first use (the database may come up later)."""
        async with self._connecting:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=1,
                    max_size=POOL_MAX_SIZE,
                    timeout=5,
                    server_settings={"search_path": "console", "application_name": "console"},
                )
            return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def ping(self) -> None:
        await (await self.connect()).fetchval("SELECT 1")

    # -- sessions -------------------------------------------------------------------------------

    def session_key(self, session_id: str) -> str:
        """The row's key: an HMAC of the cookie's id (the table alone opens no session)."""
        return hmac.new(self._session_secret, session_id.encode(), hashlib.sha256).hexdigest()

    async def load_session(self, session_id: str) -> dict[str, Any] | None:
        data = await (await self.connect()).fetchval(
            "SELECT data FROM console.sessions WHERE id_hash = $1 AND expires_at > now()",
            self.session_key(session_id),
        )
        return None if data is None else dict(json.loads(data))

    async def create_session(
        self, data: dict[str, Any], *, subject: str | None, max_age_s: int
    ) -> str:
        """A new session id (the cookie's value); expired sessions go on the way."""
        session_id = secrets.token_urlsafe(32)
        async with (await self.connect()).acquire() as connection, connection.transaction():
            await connection.execute("DELETE FROM console.sessions WHERE expires_at <= now()")
            await connection.execute(
                "INSERT INTO console.sessions (id_hash, subject, data, expires_at)"
                " VALUES ($1, $2, $3::jsonb, now() + make_interval(secs => $4))",
                self.session_key(session_id),
                subject,
                json.dumps(data),
                float(max_age_s),
            )
        return session_id

    async def save_session(
        self, session_id: str, data: dict[str, Any], *, subject: str | None
    ) -> bool:
        """False when the session has ended meanwhile (signed out elsewhere, expired)."""
        status = await (await self.connect()).execute(
            "UPDATE console.sessions SET data = $2::jsonb, subject = $3"
            " WHERE id_hash = $1 AND expires_at > now()",
            self.session_key(session_id),
            json.dumps(data),
            subject,
        )
        return bool(status.endswith(" 1"))

    async def delete_session(self, session_id: str) -> None:
        await (await self.connect()).execute(
            "DELETE FROM console.sessions WHERE id_hash = $1", self.session_key(session_id)
        )

    # -- volunteer links --------------------------------------------------------------------

    async def use_link(
        self, jti: str, subject: str, expires_at: int, issued_at: float | None
    ) -> bool:
        """Record a link as used; False if it was used before or revoked for its person."""
        async with (await self.connect()).acquire() as connection, connection.transaction():
            revoked_at = await connection.fetchval(
                "SELECT revoked_at FROM console.link_revocations WHERE subject = $1", subject
            )
            if revoked_at is not None and (
                issued_at is None or datetime.fromtimestamp(issued_at, UTC) <= revoked_at
            ):
                return False
            await connection.execute("DELETE FROM console.used_links WHERE expires_at <= now()")
            inserted = await connection.fetchval(
                "INSERT INTO console.used_links (jti, subject, expires_at)"
                " VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING RETURNING true",
                jti,
                subject,
                # Kept a little past the link's expiry, whatever the clocks say.
                datetime.fromtimestamp(expires_at, UTC) + timedelta(hours=1),
            )
            return bool(inserted)

    async def revoke_links(self, subject: str) -> datetime:
        """Links of ``subject`` issued until now stop working; their open sessions end."""
        async with (await self.connect()).acquire() as connection, connection.transaction():
            revoked_at: datetime = await connection.fetchval(
                "INSERT INTO console.link_revocations (subject, revoked_at) VALUES ($1, now())"
                " ON CONFLICT (subject) DO UPDATE SET revoked_at = excluded.revoked_at"
                " RETURNING revoked_at",
                subject,
            )
            await connection.execute("DELETE FROM console.sessions WHERE subject = $1", subject)
        return revoked_at
