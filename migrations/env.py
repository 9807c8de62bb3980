"""Alembic environment: async engine on the URL given in the config (``payable migrate``)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from payable.settings import get_settings
from payable.tables import metadata


def _url() -> str:
    return context.config.get_main_option("sqlalchemy.url") or get_settings().database_url or ""


# Several instances may start at once, each running `payable serve`'s upgrade: one migrates,
# the others wait for this lock and then find the schema current (the upgrade is one
# transaction, and the version is read after the lock is held).
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('payable migrations'))")


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        connection.execute(_LOCK)
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
