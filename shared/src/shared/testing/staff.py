"""Staff identities for tests: branch scope as registry would give it, and production-style
RS256 tokens from a JWKS served on a local port.

Services take a staff member's branches from their copy of registry's assignments
(``shared.staff_scope``), never from the token. A test that mints a coordinator's token for
branch X without running registry records the assignment in each service's copy here, as
registry's ``coordinator.assigned`` event would have.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg

from shared.auth import generate_key_pair, public_jwks, sign_token
from shared.settings import ServiceSettings
from shared.staff_scope import NO_EDITION, SCOPED_ROLES

# The services that keep a copy of registry's assignments.
STAFF_SCOPE_SCHEMAS = ("matching", "notifications", "reporting")
_NAMESPACE = uuid.UUID("6f0c5e0e-4a55-4f59-9a57-5f0d1e7b3c21")


def person_id(role: str, subject: str) -> uuid.UUID:
    """A stable registry id for a test identity."""
    return uuid.uuid5(_NAMESPACE, f"{role}:{subject}")


def branch_id(code: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"branch:{code}")


async def grant_branches(
    admin_url: str,
    database: str,
    *,
    roles: Iterable[str],
    subject: str,
    branches: Iterable[str],
    schemas: Iterable[str] = STAFF_SCOPE_SCHEMAS,
) -> None:
    """Record ``subject`` as holding each staff role of ``roles`` at ``branches`` in every
    service's copy, as registry's assignment events would."""
    now = datetime.now(UTC)
    connection = await asyncpg.connect(admin_url, database=database)
    try:
        async with connection.transaction():
            for schema in schemas:
                for role in (r for r in roles if r in SCOPED_ROLES):
                    person = person_id(role, subject)
                    await connection.execute(
                        f"INSERT INTO {schema}.staff_subjects (role, person_id, subject,"
                        " changed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (role, person_id)"
                        " DO UPDATE SET subject = EXCLUDED.subject",
                        role, person, subject, now,
                    )  # fmt: skip
                    for code in branches:
                        await connection.execute(
                            f"INSERT INTO {schema}.staff_assignments (role, person_id,"
                            " branch_id, edition_id, branch_code, active, changed_at)"
                            " VALUES ($1, $2, $3, $4, $5, true, $6)"
                            " ON CONFLICT DO NOTHING",
                            role, person, branch_id(code), NO_EDITION, code, now,
                        )  # fmt: skip
    finally:
        await connection.close()


def grant_branches_now(admin_url: str, database: str, **kwargs: Any) -> None:
    """``grant_branches`` from synchronous code, also while an event loop runs here."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(grant_branches(admin_url, database, **kwargs))
        except BaseException as error:  # handed to the caller's thread
            failure.append(error)

    worker = threading.Thread(target=run, name="grant-branches")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


class JwksIssuer:
    """An identity provider as production has one: RS256 tokens, the public key published
    as a JWKS at a URL (served here on a local port while the context is open)."""

    def __init__(self, issuer: str | None = None, audience: str | None = None) -> None:
        defaults = ServiceSettings.model_fields
        self.issuer = issuer or str(defaults["auth_issuer"].default)
        self.audience = audience or str(defaults["auth_audience"].default)
        self.private_pem, self.public_pem = generate_key_pair()
        self.url = ""

    def sign(
        self,
        *roles: str,
        subject: str,
        branches: Iterable[str] = (),
        issuer: str | None = None,
        **claims: Any,
    ) -> str:
        return sign_token(
            self.private_pem,
            subject=subject,
            roles=roles,
            branches=branches,
            issuer=issuer or self.issuer,
            audience=self.audience,
            **claims,
        )

    @contextmanager
    def serving(self) -> Iterator[str]:
        """Serve the JWKS; yields its URL (``AUTH_JWKS_URL``)."""
        body = json.dumps(public_jwks(self.public_pem)).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, name="jwks", daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}/certs"
        try:
            yield self.url
        finally:
            server.shutdown()
            server.server_close()
