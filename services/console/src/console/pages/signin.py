"""Staff sign-in and sign-out (OpenID Connect), and the start page that sends each role home."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from console.oidc import OidcClient, PendingSignIn, SignInFailed
from console.web import (
    check_csrf,
    current_user,
    redirect,
    remember_refresh_token,
    render,
    safe_next,
    sign_in_session,
    staff_user,
)
from shared.audit import audit

router = APIRouter()


def _oidc(request: Request) -> OidcClient:
    client: OidcClient = request.app.state.oidc
    return client


@router.get("/")
async def start(request: Request) -> Response:
    """Each role's start page; a welcome page with the way in for anyone not signed in."""
    user = current_user(request)
    if user is not None:
        return redirect(user.home)
    return render(request, "signin/welcome.html")


@router.get("/zaloguj")
async def sign_in(
    request: Request, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    """To the issuer's sign-in, remembering state, nonce and the PKCE verifier."""
    user = current_user(request)
    if user is not None and not user.is_volunteer:
        return redirect(safe_next(next) if next else user.home)
    try:
        url, pending = await _oidc(request).start(safe_next(next))
    except SignInFailed as failure:
        return _failed(request, str(failure), status_code=503)
    request.session["oidc"] = pending.to_session()
    return redirect(url)


@router.get("/zalogowano")
async def signed_in_callback(
    request: Request,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    state: Annotated[str | None, Query(max_length=500)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The issuer sends the browser back here with a code; the code becomes a session."""
    remembered = request.session.pop("oidc", None)
    if error or not code or not state or not remembered:
        reason = error or ("no sign-in in progress" if not remembered else "no code")
        return _failed(request, reason)
    pending = PendingSignIn.from_session(remembered)
    if state != pending.state:
        return _failed(request, "state does not match")
    try:
        staff = await _oidc(request).finish(code, pending)
    except SignInFailed as failure:
        return _failed(request, str(failure))
    sign_in_session(request, staff_user(staff))
    remember_refresh_token(request, staff.refresh_token)
    audit("sign-in", outcome="ok", subject=staff.subject, roles=sorted(staff.roles))
    user = current_user(request)
    home = user.home if user is not None else "/"
    return redirect(pending.next_path if pending.next_path != "/" else home)


def _failed(request: Request, reason: str, status_code: int = 401) -> Response:
    audit("sign-in", outcome="failed", subject=None, reason=reason)
    return render(request, "signin/failed.html", status_code=status_code)


@router.post("/wyloguj", dependencies=[Depends(check_csrf)])
async def sign_out(request: Request) -> Response:
    """End the console's session; staff also end the issuer's."""
    data = request.session.get("user") or {}
    was_staff = bool(data) and data.get("roles") != ["volunteer"]
    refresh_token = request.session.get("refresh_token")
    language = request.session.get("lang")
    # The stored session ends here (its row is deleted, a copied cookie opens nothing), and
    # the issuer forgets the refresh token, so nobody renews access with it.
    request.session.clear()
    if language:
        request.session["lang"] = language
    revoked = await _oidc(request).revoke(refresh_token) if refresh_token else None
    audit("sign-out", outcome="ok", subject=data.get("sub"), refresh_token_revoked=revoked)
    return redirect(await _oidc(request).logout_url() if was_staff else "/wylogowano")


@router.get("/wylogowano")
async def signed_out(request: Request) -> Response:
    return render(request, "signin/signed_out.html")


@router.get("/brak-uprawnien")
async def no_role(request: Request) -> Response:
    """Signed in, but the account holds no role of the programme."""
    return render(request, "signin/no_role.html", status_code=403)
