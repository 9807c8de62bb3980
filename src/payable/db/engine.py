"""The async engine and session factory; one ``Database`` per process."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

from payable.metrics import families

# SQLAlchemy names a pool's logger after its class and quiets only its own "sqlalchemy" tree:
# keep this one as quiet (dispose and recreate notes are INFO).
logging.getLogger(f"{__name__}.MeasuredPool").setLevel(logging.WARNING)


class MeasuredPool(AsyncAdaptedQueuePool):
    """The default async pool, counting the checkouts that had to wait for a connection."""

    def _do_get(self) -> Any:
        exhausted = self.checkedout() >= self.size() + self._max_overflow
        started = time.perf_counter()
        try:
            return super()._do_get()
        finally:
            families.POOL_WAIT_SECONDS.observe(time.perf_counter() - started)
            if exhausted:
                families.POOL_WAITS.inc()


RECYCLE_SECONDS = 600


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the asyncpg driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def asyncpg_dsn(url: str) -> str:
    """The same database as a plain libpq URL, for a raw asyncpg connection (LISTEN)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = normalize_url(url)
        # No pre-ping: it cost a round trip on every checkout. A connection the server dropped
        # fails its first statement, and SQLAlchemy then invalidates the whole pool (a
        # disconnect error), so only requests already holding a stale connection see it;
        # recycling bounds how old an idle connection can get.
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            poolclass=MeasuredPool,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=False,
            pool_recycle=RECYCLE_SECONDS,
            json_deserializer=orjson.loads,  # event data: several times faster than json.loads
            hide_parameters=True,  # errors never carry a caller's values into a log
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # A request's reads need no transaction: under READ COMMITTED each statement sees its
        # own snapshot either way, and BEGIN/ROLLBACK were two round trips per request.
        self.reads = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )

    def session(self) -> AsyncSession:
        return self.sessions()

    def read_session(self) -> AsyncSession:
        """For reads only (GraphQL queries): statements run without a transaction."""
        return self.reads()

    async def dispose(self) -> None:
        await self.engine.dispose()
