"""Telling an outage (the database cannot be reached or has no room) from a bug."""

from __future__ import annotations

from typing import Any

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


def log_failure(log: Any, event: str, error: BaseException, **values: object) -> None:
    """A step that failed: an outage is a warning naming its type (it passes, and a traceback
    per round says nothing more); anything else is a bug, logged with its frames."""
    if is_outage(error):
        log.warning(event, database="unavailable", error_type=type(error).__name__, **values)
    else:
        log.error(event, exc_info=error, **values)


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
