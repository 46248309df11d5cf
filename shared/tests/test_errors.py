"""Transient failures are retried; bad input never is."""

from __future__ import annotations

import asyncpg
import pytest
import sqlalchemy.exc
from pydantic import BaseModel, ValidationError

from shared.errors import is_transient


class Payload(BaseModel):
    count: int


def validation_error() -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Payload.model_validate({"count": "many"})
    return caught.value


def raised_from(error: BaseException, cause: BaseException) -> BaseException:
    """``error`` as Python leaves it after ``raise error from cause``."""
    try:
        raise error from cause
    except BaseException as raised:
        return raised


def raised_while_handling(error: BaseException, context: BaseException) -> BaseException:
    """``error`` as Python leaves it when raised inside ``except`` for ``context``."""
    try:
        try:
            raise context
        except BaseException:
            raise error  # noqa: B904 - the implicit context is what this builds
    except BaseException as raised:
        return raised


@pytest.mark.parametrize(
    "error",
    [
        OSError("network is unreachable"),
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError(),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.SerializationError("could not serialize access"),
        asyncpg.DeadlockDetectedError("deadlock detected"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_infrastructure_failures_are_transient(error: BaseException) -> None:
    assert is_transient(error)


def test_dbapi_error_with_an_invalidated_connection_is_transient() -> None:
    error = sqlalchemy.exc.DBAPIError(
        "SELECT 1", None, Exception("connection was closed"), connection_invalidated=True
    )

    assert is_transient(error)


def test_dbapi_error_with_a_valid_connection_and_a_plain_cause_is_not_transient() -> None:
    error = sqlalchemy.exc.DBAPIError(
        "INSERT", None, Exception("syntax error"), connection_invalidated=False
    )

    assert not is_transient(error)


def test_error_caused_by_a_refused_connection_is_transient() -> None:
    error = raised_from(RuntimeError("could not store"), ConnectionRefusedError())

    assert is_transient(error)


def test_transient_error_deep_in_the_cause_chain_is_found() -> None:
    inner = raised_from(RuntimeError("adapter"), asyncpg.CannotConnectNowError("starting up"))
    outer = raised_from(
        sqlalchemy.exc.OperationalError("SELECT 1", None, Exception("adapter")), inner
    )

    assert is_transient(raised_from(RuntimeError("handler failed"), outer))


def test_error_raised_while_handling_a_transient_error_is_transient() -> None:
    error = raised_while_handling(RuntimeError("cleanup failed"), ConnectionResetError())

    assert is_transient(error)


def test_cyclic_cause_chain_ends() -> None:
    first, second = RuntimeError("first"), RuntimeError("second")
    first.__cause__, second.__cause__ = second, first

    assert not is_transient(first)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad value"),
        KeyError("portal_id"),
        asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
        asyncpg.ForeignKeyViolationError("violates foreign key constraint"),
        RuntimeError("a bug"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_bad_input_and_bugs_are_not_transient(error: BaseException) -> None:
    assert not is_transient(error)


def test_pydantic_validation_error_is_not_transient() -> None:
    assert not is_transient(validation_error())


def test_error_caused_by_bad_input_is_not_transient() -> None:
    error = raised_from(RuntimeError("could not store"), asyncpg.UniqueViolationError("dup"))

    assert not is_transient(error)
