"""What every page uses: templates, the signed-in person, roles, CSRF, messages, errors.

A page module::

    router = APIRouter()

    @router.get("/koordynator")
    async def dashboard(
        request: Request,
        user: Annotated[User, Depends(require_role("coordinator"))],
        api: Annotated[ApiClient, Depends(get_api)],
    ) -> Response:
        tasks = await api.get("matching", "/v1/tasks", params={"branch_code": ...})
        return render(request, "coordinator/dashboard.html", tasks=tasks)

    @router.post("/koordynator/zadania", dependencies=[Depends(check_csrf)])
    async def create_task(...) -> Response:
        ...
        flash(request, "Zadanie opublikowane.")
        return redirect("/koordynator/zadania")

Every POST form includes ``{{ csrf_field() }}``.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from console import i18n
from console.api import ApiError
from console.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    plural_translator,
    translate,
    translator,
)
from console.oidc import OidcClient, SignedInStaff, SignInFailed
from shared.problems import problem_response

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, extensions=["jinja2.ext.i18n"]
    )
)
templates.env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
templates.env.globals["N_"] = N_


def _in_page_language(format_value: Callable[[str, Any], str]) -> Callable[..., str]:
    """A template filter that writes a value as the page's language does."""

    @pass_context
    def page_filter(context: Context, value: Any) -> str:
        return format_value(context.get("lang", DEFAULT_LANGUAGE), value)

    return page_filter


# {{ task.starts_at | when }}, {{ day | day }}, {{ hours | number }}, {{ share | percent }},
# {{ amount | money }}: in the page's language.
templates.env.filters["when"] = _in_page_language(i18n.local_time)
templates.env.filters["day"] = _in_page_language(i18n.local_date)
templates.env.filters["number"] = _in_page_language(i18n.number)
templates.env.filters["percent"] = _in_page_language(i18n.percent)
templates.env.filters["money"] = _in_page_language(i18n.money)

# Where each role starts, in the order a person holding several roles is sent.
HOME_BY_ROLE = (
    ("city_admin", "/miasto"),
    ("trainer", "/trener"),
    ("coordinator", "/koordynator"),
    ("district_admin", "/dyrekcja"),
    ("volunteer", "/wolontariusz"),
)
ROLE_NAMES = {
    "city_admin": N_("Urząd miasta"),
    "trainer": N_("Trener"),
    "coordinator": N_("Koordynator"),
    "district_admin": N_("Dyrekcja biblioteki dzielnicowej"),
    "volunteer": N_("Wolontariusz"),
}


@dataclass(frozen=True)
class User:
    """The signed-in person, as the session holds them (their token is for the services)."""

    subject: str
    name: str
    roles: frozenset[str]
    branches: tuple[str, ...]
    access_token: str
    expires_at: float

    @classmethod
    def from_session(cls, data: dict[str, Any]) -> User:
        return cls(
            subject=str(data["sub"]),
            name=str(data.get("name") or ""),
            roles=frozenset(data.get("roles") or ()),
            branches=tuple(data.get("branches") or ()),
            access_token=str(data["access_token"]),
            expires_at=float(data["expires_at"]),
        )

    def to_session(self) -> dict[str, Any]:
        return {
            "sub": self.subject,
            "name": self.name,
            "roles": sorted(self.roles),
            "branches": list(self.branches),
            "access_token": self.access_token,
            "expires_at": self.expires_at,
        }

    @property
    def expired(self) -> bool:
        return self.expires_at <= time.time()

    @property
    def is_volunteer(self) -> bool:
        return self.roles == {"volunteer"}

    def has_role(self, *roles: str) -> bool:
        """One of ``roles`` (staff roles: the city office's administrators pass too)."""
        allowed = {*roles} if roles == ("volunteer",) else {"city_admin", *roles}
        return not self.roles.isdisjoint(allowed)

    @property
    def home(self) -> str:
        """The start page of the person's first role."""
        for role, path in HOME_BY_ROLE:
            if role in self.roles:
                return path
        return "/brak-uprawnien"


# -- the session: person, language, CSRF token, messages ------------------------------------


class SignInRequired(Exception):
    """Raised by ``signed_in``: the application answers with the way to sign in."""

    def __init__(self, next_path: str, *, volunteer: bool) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.volunteer = volunteer


def current_user(request: Request) -> User | None:
    """The person in the session, or None (also when their token has expired)."""
    data = request.session.get("user")
    if not data:
        return None
    user = User.from_session(data)
    return None if user.expired else user


def sign_in_session(request: Request, user: User) -> None:
    """Start a fresh session for ``user`` (keeping only the chosen language)."""
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    request.session["user"] = user.to_session()


async def signed_in(request: Request) -> User:
    """FastAPI dependency: the signed-in person; otherwise the way to sign in."""
    user = current_user(request) or await _refreshed(request)
    if user is None:
        previous = request.session.pop("user", None)
        was_volunteer = bool(previous) and previous.get("roles") == ["volunteer"]
        raise SignInRequired(_path_with_query(request), volunteer=was_volunteer)
    return user


async def _refreshed(request: Request) -> User | None:
    """A staff member whose access token expired, with a new one if the issuer still knows
    them (their issuer session lives longer than one access token)."""
    refresh_token = request.session.get("refresh_token")
    if not refresh_token or not request.session.get("user"):
        return None
    oidc: OidcClient = request.app.state.oidc
    try:
        staff = await oidc.refresh(refresh_token)
    except SignInFailed:
        return None
    user = staff_user(staff)
    request.session["user"] = user.to_session()
    remember_refresh_token(request, staff.refresh_token)
    return user


def remember_refresh_token(request: Request, refresh_token: str | None) -> None:
    """Keep the refresh token with the session (on the server: the cookie holds only the
    session's id), for renewing access tokens and revoking it at sign-out."""
    request.session.pop("refresh_token", None)
    if refresh_token is not None:
        request.session["refresh_token"] = refresh_token


def staff_user(staff: SignedInStaff) -> User:
    return User(
        subject=staff.subject,
        name=staff.name,
        roles=staff.roles,
        branches=staff.branches,
        access_token=staff.access_token,
        expires_at=staff.expires_at,
    )


def require_role(*roles: str) -> Callable[[Request], Awaitable[User]]:
    """FastAPI dependency: a signed-in person with one of ``roles`` (city_admin always passes
    for staff roles); others get the Polish "no access" page (403)."""

    async def dependency(request: Request) -> User:
        user = await signed_in(request)
        if not user.has_role(*roles):
            raise HTTPException(403, N_("Nie masz dostępu do tej strony."))
        return user

    return dependency


def language(request: Request) -> str:
    """The page language: ``?lang=`` (remembered in the session), else the session's, else pl."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        request.session["lang"] = asked
    chosen = request.session.get("lang", DEFAULT_LANGUAGE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def page_text(request: Request, text: str, **values: Any) -> str:
    """``text`` in the request's language (for messages made in code)."""
    return translate(language(request), text, **values)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """FastAPI dependency for every POST: the form's ``csrf`` field must match the session's."""
    form = await request.form()
    sent = form.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(
            403, N_("Formularz wygasł lub nie pochodzi z tej strony. Wróć i spróbuj ponownie.")
        )


def flash(request: Request, text: str, *, kind: str = "info", **values: Any) -> None:
    """A message for the next page shown ("info", "success" or "error"); Polish source text,
    translated when shown; ``values`` fill its ``{placeholders}``."""
    messages = list(request.session.get("flash") or [])
    messages.append({"text": text, "kind": kind, "values": {k: str(v) for k, v in values.items()}})
    request.session["flash"] = messages


def flash_api_error(request: Request, error: ApiError, intro: str = N_("Nie udało się.")) -> None:
    """Show a service's refusal as a message: a Polish sentence, then the service's detail."""
    flash(request, api_error_message(request, error, intro), kind="error")


def api_error_message(request: Request, error: ApiError, intro: str = N_("Nie udało się.")) -> str:
    """``intro`` + what the status means, in the page language, + the service's own detail."""
    reason = page_text(request, STATUS_REASONS.get(error.status, N_("Usługa zgłosiła błąd.")))
    detail = f" ({error.detail})" if error.detail else ""
    return f"{page_text(request, intro)} {reason}{detail}"


STATUS_REASONS = {
    400: N_("Dane są nieprawidłowe."),
    401: N_("Sesja wygasła — zaloguj się ponownie."),
    403: N_("Nie masz do tego uprawnień."),
    404: N_("Nie znaleziono."),
    409: N_("Stan się zmienił i tej operacji nie można już wykonać."),
    422: N_("Popraw zaznaczone dane."),
    429: N_("Zbyt wiele prób — spróbuj za chwilę."),
}


# Titles of the error page, by status (Polish source texts; translated when shown).
ERROR_TITLES = {
    400: N_("Nieprawidłowe dane"),
    401: N_("Wymagane logowanie"),
    403: N_("Brak dostępu"),
    404: N_("Nie ma takiej strony"),
    405: N_("Tej operacji nie można tu wykonać"),
    409: N_("Tej operacji nie można już wykonać"),
    422: N_("Nieprawidłowe dane"),
    429: N_("Zbyt wiele prób"),
    502: N_("Usługa jest chwilowo niedostępna"),
    503: N_("Usługa jest chwilowo niedostępna"),
}
ERROR_TEXTS = {
    404: N_("Sprawdź adres albo wróć na stronę główną."),
    500: N_("Wystąpił nieoczekiwany błąd. Spróbuj ponownie za chwilę."),
    502: N_("Jedna z usług programu nie odpowiada. Spróbuj ponownie za chwilę."),
}


def wants_json(request: Request) -> bool:
    """A client that asks for JSON (not a browser) gets problem+json instead of a page."""
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def error_page(
    request: Request,
    status: int,
    *,
    title: str | None = None,
    message: str | None = None,
    details: list[str] | None = None,
) -> Response:
    """The error page in the page language (problem+json for a client that asks for JSON);
    ``title`` and ``message`` are Polish source texts (by default the status's)."""
    title = title or ERROR_TITLES.get(status, N_("Wystąpił błąd"))
    text = message or ERROR_TEXTS.get(status, "")
    if wants_json(request):
        return problem_response(status, title, text)
    return render(
        request,
        "error.html",
        status_code=status,
        status=status,
        title=title,
        message=text,
        details=details or [],
    )


def redirect(path: str) -> RedirectResponse:
    """POST-redirect-GET: 303 to ``path``."""
    return RedirectResponse(path, status_code=303)


def render(
    request: Request, template: str, /, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The template ``template`` with the page context: ``_``, ``lang``, ``user``, ``csrf_field``,
    ``flashes``, ``nav`` and ``language_links``."""
    if "session" not in request.scope:
        # An error page for a failure outside the session middleware.
        request.scope["session"] = {}
    lang = language(request)
    gettext_for_page = translator(lang)
    token = csrf_token(request)
    user = current_user(request)
    messages = request.session.pop("flash", None) or []
    page_context = {
        "_": gettext_for_page,
        "gettext": gettext_for_page,
        "ngettext": plural_translator(lang),
        "lang": lang,
        "user": user,
        "role_names": ROLE_NAMES,
        "csrf_token": token,
        "csrf_field": lambda: Markup(f'<input type="hidden" name="csrf" value="{escape(token)}">'),
        "flashes": [
            {"text": gettext_for_page(m["text"], **m.get("values", {})), "kind": m["kind"]}
            for m in messages
        ],
        "nav": navigation(user),
        "language_links": _language_links(request, lang),
        **context,
    }
    return templates.TemplateResponse(request, template, page_context, status_code=status_code)


def navigation(user: User | None) -> list[tuple[str, str]]:
    """The header's links (path, Polish label) for the person's roles."""
    if user is None:
        return []
    links = []
    if "coordinator" in user.roles:
        links.append(("/koordynator", N_("Mój oddział")))
    if "trainer" in user.roles:
        links.append(("/trener", "Moje oddziały"))
    if "district_admin" in user.roles:
        links.append(("/dyrekcja", N_("Filie biblioteki")))
    if "city_admin" in user.roles:
        links.append(("/miasto", "Program w mieście"))
    if user.is_volunteer:
        links.append(("/wolontariusz", "Moje wolontariaty"))
        links.append(("/wolontariusz/porozumienia", N_("Porozumienia i opinie")))
    return links


def _language_links(request: Request, current: str) -> list[dict[str, str]]:
    links = []
    for code in LANGUAGES:
        query = {**request.query_params, "lang": code}
        links.append(
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "href": f"{request.url.path}?{urlencode(query)}",
                "current": "true" if code == current else "",
            }
        )
    return links


def _path_with_query(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def safe_next(path: str | None) -> str:
    """A local path to return to after sign-in (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path
