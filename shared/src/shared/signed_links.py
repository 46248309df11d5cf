"""Signed, expiring links that need no login (e.g. accept / decline a proposal from an email).

The service that sends the link and the service that honours it share a secret; single
use is enforced by the honouring service (it records the token's ``jti``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class InvalidLink(Exception):
    """The link was altered, has expired, or was made for another purpose."""


@dataclass(frozen=True)
class LinkClaims:
    purpose: str
    subject: str
    expires_at: int
    jti: str
    extra: Mapping[str, Any]
    # When the link was made (seconds, to the millisecond): a revocation for the person
    # invalidates the links made before it. None for links from before this claim.
    issued_at: float | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_link_token(
    secret: str, *, purpose: str, subject: str, lifetime_s: int, **extra: Any
) -> str:
    """A compact token: base64url(JSON claims) + "." + base64url(HMAC-SHA256)."""
    now = time.time()
    claims = {
        "p": purpose,
        "s": subject,
        "i": round(now, 3),
        "e": int(now) + lifetime_s,
        "j": uuid.uuid4().hex,
        "x": extra,
    }
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(signature)}"


def verify_link_token(secret: str, token: str, *, purpose: str) -> LinkClaims:
    try:
        payload, signature = token.split(".", 1)
        expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise InvalidLink("the link's signature does not match")
        claims = json.loads(_unb64(payload))
    except (ValueError, json.JSONDecodeError) as error:
        raise InvalidLink("the link is malformed") from error
    if claims.get("p") != purpose:
        raise InvalidLink(f"the link is not meant for {purpose}")
    if int(claims["e"]) < time.time():
        raise InvalidLink("the link has expired")
    return LinkClaims(
        purpose=claims["p"],
        subject=claims["s"],
        expires_at=int(claims["e"]),
        jti=claims["j"],
        extra=claims.get("x") or {},
        issued_at=float(claims["i"]) if "i" in claims else None,
    )
