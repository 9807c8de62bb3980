"""Telling an outage (the database cannot be reached or has no room) from a bug."""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc

RETRY_AFTER_SECONDS = 5

_OUTAGES: tuple[type[BaseException], ...] = (
    OSError,  # refused, unreachable, reset (ConnectionError and socket timeouts included)
    TimeoutError,
    exc.TimeoutError,  # no pooled connection came free in time
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
)


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the database is unavailable."""
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, _OUTAGES):
            return True
        if isinstance(seen, exc.DBAPIError) and seen.connection_invalidated:
            return True
        seen = seen.__cause__ or seen.__context__
    return False
