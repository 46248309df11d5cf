"""Which failures are worth retrying: the database or the broker briefly gone, not bad input."""

from __future__ import annotations

import asyncpg
import sqlalchemy.exc
from aio_pika.exceptions import AMQPConnectionError, ChannelInvalidStateError

_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.AdminShutdownError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    AMQPConnectionError,
    ChannelInvalidStateError,
)


def is_transient(error: BaseException) -> bool:
    """True when the error, or anything in its cause chain, is a passing infrastructure failure."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _TRANSIENT_TYPES):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        # `raise ... from None` hides the earlier error on purpose: respect that.
        implicit = None if current.__suppress_context__ else current.__context__
        current = current.__cause__ or implicit
    return False
