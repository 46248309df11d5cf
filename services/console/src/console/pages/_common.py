"""What the pages share: the services' client and the CSRF check as dependencies, and for
the staff pages reading a posted form and running one service call for it with a message
either way."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from console.api import ApiClient, ApiError, get_api
from console.web import api_error_message, check_csrf, flash, redirect

Api = Annotated[ApiClient, Depends(get_api)]
CSRF = [Depends(check_csrf)]


def field(form: FormData, name: str) -> str | None:
    """A form field's text, stripped; None when empty or missing."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def fields(form: FormData, *names: str) -> dict[str, str | None]:
    """The named fields as a request body: the form's names are the services' names."""
    return {name: field(form, name) for name in names}


async def attempt(
    request: Request, call: Awaitable[Any], *, done: str, failed: str, **values: Any
) -> Any | None:
    """Run one call for a POST form: a success message, or the service's refusal in Polish.
    An expired session (401) goes on to the application, which asks to sign in again."""
    try:
        result = await call
    except ApiError as error:
        if error.status == 401:
            raise
        flash_refusal(request, error, failed)
        return None
    flash(request, done, kind="success", **values)
    return result


async def attempt_and_return(
    request: Request, call: Awaitable[Any], *, back: str, done: str, failed: str, **values: Any
) -> Response:
    """A form's one call (as ``attempt``), then back to the page ``back``, where the
    message is shown."""
    await attempt(request, call, done=done, failed=failed, **values)
    return redirect(back)


def flash_refusal(request: Request, error: ApiError, failed: str) -> None:
    """The refusal in Polish with the service's detail, and each invalid field by name."""
    invalid = "; ".join(f"{name}: {text}" for name, text in error.field_errors().items())
    message = api_error_message(request, error, failed)
    # Already in the page language: the service's own words are not in the catalogues.
    refusal = f"{message} {invalid}".strip()
    flash(request, refusal, kind="error")
