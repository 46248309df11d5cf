from __future__ import annotations

import jwt
import pytest

from shared.signed_links import InvalidLink, sign_link_token, verify_link_token

SECRET = "a-link-secret-of-at-least-32-bytes-0001"


def test_a_signed_link_verifies_with_its_claims() -> None:
    token = sign_link_token(
        SECRET, purpose="proposal.respond", subject="p-1", lifetime_s=60, action="accept"
    )
    claims = verify_link_token(SECRET, token, purpose="proposal.respond")
    assert (claims.subject, claims.extra["action"]) == ("p-1", "accept")
    assert len(claims.jti) == 32


def test_an_altered_link_is_refused() -> None:
    token = sign_link_token(SECRET, purpose="proposal.respond", subject="p-1", lifetime_s=60)
    header, payload, signature = token.split(".")
    other = sign_link_token(SECRET, purpose="proposal.respond", subject="p-2", lifetime_s=60)
    swapped = f"{header}.{other.split('.')[1]}.{signature}"
    with pytest.raises(InvalidLink, match="signature"):
        verify_link_token(SECRET, swapped, purpose="proposal.respond")
    with pytest.raises(InvalidLink):
        verify_link_token(
            "another-link-secret-of-32-bytes-or-more", token, purpose="proposal.respond"
        )
    with pytest.raises(InvalidLink, match="malformed"):
        verify_link_token(SECRET, payload, purpose="proposal.respond")
    unsigned = jwt.encode(
        {"aud": "proposal.respond", "sub": "p", "exp": 2**40, "jti": "j"}, "", algorithm="none"
    )
    with pytest.raises(InvalidLink, match="malformed"):
        verify_link_token(SECRET, unsigned, purpose="proposal.respond")


def test_an_expired_or_misused_link_is_refused() -> None:
    expired = sign_link_token(SECRET, purpose="proposal.respond", subject="p", lifetime_s=-1)
    with pytest.raises(InvalidLink, match="expired"):
        verify_link_token(SECRET, expired, purpose="proposal.respond")
    token = sign_link_token(SECRET, purpose="proposal.respond", subject="p", lifetime_s=60)
    with pytest.raises(InvalidLink, match="not meant"):
        verify_link_token(SECRET, token, purpose="unsubscribe")
