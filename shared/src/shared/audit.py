"""The audit log: who did what and when, with ids only (never names, emails or bodies).

Audit lines go to the ``audit`` logger as JSON like every other line, with ``audit=true``
so that a log shipper can route them to their own retention. Subjects are the identity
provider's opaque ids; paths carry resource ids, never query strings or payloads.
"""

from __future__ import annotations

from typing import Any

from shared.logging import get_logger

_log = get_logger("audit")

CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def audit(action: str, *, outcome: str, subject: str | None, **ids: Any) -> None:
    """Record one audited action (``sign-in``, ``denied``, ``change``) and its outcome."""
    _log.info("audit", audit=True, action=action, outcome=outcome, subject=subject, **ids)


def audit_request(
    *, method: str, path: str, status: int, subject: str | None, roles: list[str]
) -> None:
    """Denials of any request, and every change request that went through, are audited."""
    if status in (401, 403):
        audit("denied", outcome=str(status), subject=subject, method=method, path=path, roles=roles)
    elif method in CHANGING_METHODS and status < 400:
        audit("change", outcome=str(status), subject=subject, method=method, path=path, roles=roles)
