"""Server-side sessions: ``request.session`` as Starlette's, kept in the console's store.

The cookie holds only a random session id. A new id is handed out whenever the signed-in
person changes (sign-in, sign-out), so an id seen before sign-in is worthless after it, and
the row of the old one is deleted: a copy of a signed-out cookie opens nothing.
"""

from __future__ import annotations

import copy
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.store import ConsoleStore


def _subject(data: dict[str, Any]) -> str | None:
    user = data.get("user")
    return str(user.get("sub")) if isinstance(user, dict) and user.get("sub") else None


class ServerSessions:
    def __init__(
        self,
        app: ASGIApp,
        *,
        store: ConsoleStore,
        cookie: str,
        max_age_s: int,
        secure: bool,
    ) -> None:
        self.app = app
        self.store = store
        self.cookie = cookie
        self.max_age_s = max_age_s
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        session_id = self._cookie_value(scope)
        loaded: dict[str, Any] | None = None
        if session_id:
            loaded = await self.store.load_session(session_id)
            if loaded is None:
                session_id = None  # unknown, expired or signed out: a cookie to forget
        before = copy.deepcopy(loaded or {})
        scope["session"] = copy.deepcopy(before)
        had_cookie = self._cookie_value(scope) is not None

        async def send_with_session(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                cookie = await self._persist(session_id, before, scope["session"])
                if cookie is not None:
                    headers.append("set-cookie", cookie)
                elif had_cookie and session_id is None and not scope["session"]:
                    headers.append("set-cookie", self._set_cookie("", max_age=0))
            await send(message)

        await self.app(scope, receive, send_with_session)

    async def _persist(
        self, session_id: str | None, before: dict[str, Any], after: dict[str, Any]
    ) -> str | None:
        """Store the session's changes; the Set-Cookie header value when the id changes."""
        if after == before:
            return None
        subject = _subject(after)
        if session_id is not None and subject != _subject(before):
            # Another person (or none) from here on: the old id ends with its row.
            await self.store.delete_session(session_id)
            session_id = None
        if not after:
            if session_id is not None:
                await self.store.delete_session(session_id)
            return self._set_cookie("", max_age=0)
        if session_id is not None and await self.store.save_session(
            session_id, after, subject=subject
        ):
            return None
        new_id = await self.store.create_session(after, subject=subject, max_age_s=self.max_age_s)
        return self._set_cookie(new_id, max_age=self.max_age_s)

    def _cookie_value(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                cookies = SimpleCookie()
                try:
                    cookies.load(value.decode("latin-1"))
                except Exception:
                    return None
                if self.cookie in cookies and cookies[self.cookie].value:
                    return cookies[self.cookie].value
        return None

    def _set_cookie(self, value: str, *, max_age: int) -> str:
        parts = [
            f"{self.cookie}={value}",
            "path=/",
            f"Max-Age={max_age}",
            "httponly",
            "samesite=lax",
        ]
        if self.secure:
            parts.append("secure")
        return "; ".join(parts)
