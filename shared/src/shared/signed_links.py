"""Signed, expiring links that need no login (e.g. accept / decline a proposal from an email).

The service that sends the link and the service that honours it share a secret; single
use is enforced by the honouring service (it records the token's ``jti``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

ALGORITHM = "HS256"


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
    # invalidates the links made before it.
    issued_at: float | None = None


def sign_link_token(
    secret: str, *, purpose: str, subject: str, lifetime_s: int, **extra: Any
) -> str:
    """A JWT (HS256, PyJWT): the purpose as its audience, the person as its subject, an
    expiry, a ``jti`` for single use, and ``extra`` under ``x``."""
    now = time.time()
    claims = {
        "aud": purpose,
        "sub": subject,
        "iat": round(now, 3),
        "exp": int(now) + lifetime_s,
        "jti": uuid.uuid4().hex,
        "x": extra,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_link_token(secret: str, token: str, *, purpose: str) -> LinkClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=purpose,
            options={"require": ["aud", "sub", "exp", "jti"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidLink("the link has expired") from error
    except jwt.InvalidSignatureError as error:
        raise InvalidLink("the link's signature does not match") from error
    except jwt.InvalidAudienceError as error:
        raise InvalidLink(f"the link is not meant for {purpose}") from error
    except jwt.PyJWTError as error:
        raise InvalidLink("the link is malformed") from error
    return LinkClaims(
        purpose=purpose,
        subject=str(claims["sub"]),
        expires_at=int(claims["exp"]),
        jti=str(claims["jti"]),
        extra=claims.get("x") or {},
        issued_at=float(claims["iat"]) if "iat" in claims else None,
    )


def unverified_extra(token: str) -> Mapping[str, Any]:
    """What a link carries, read without checking it: only for showing a page before the
    service that holds the secret verifies the link (empty when it cannot be read)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    extra = claims.get("x")
    return extra if isinstance(extra, Mapping) else {}
