"""A database of its own on the test server, for a test that runs whole servers over it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy.engine import make_url

from tests.conftest import _raw


@contextlib.asynccontextmanager
async def fresh_database(database_url: str, prefix: str) -> AsyncIterator[str]:
    """An empty database next to the session's one (same server), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_raw(database_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
