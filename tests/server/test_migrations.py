"""The migrations build exactly the schema the models describe, and they run both ways."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from payable.db.migrate import alembic_config
from payable.tables import metadata

# What migration 0001 adds with raw SQL, outside the models' metadata.
TRIGGERS = {
    ("booking_events", "booking_events_append_only"),
    ("booking_events", "booking_events_no_truncate"),
    ("installments", "installments_sum_to_price"),
    ("bookings", "bookings_schedule_sums_to_price"),
}
FUNCTIONS = {"payable_reject_change", "payable_check_schedule"}


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, metadata)


async def _schema_differences(url: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            return set(names)
    finally:
        await engine.dispose()


async def _custom_objects(db: asyncpg.Connection) -> tuple[set[tuple[str, str]], set[str]]:
    """The schema's user triggers (table, name) and plpgsql functions."""
    triggers = await db.fetch(
        """SELECT c.relname AS table, t.tgname AS name FROM pg_trigger t
           JOIN pg_class c ON c.oid = t.tgrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE NOT t.tgisinternal AND n.nspname = 'public'"""
    )
    functions = await db.fetch(
        """SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public' AND p.proname LIKE 'payable_%'"""
    )
    return {(r["table"], r["name"]) for r in triggers}, {r["proname"] for r in functions}


@pytest.fixture
async def scratch_url(database_url: str, db: asyncpg.Connection) -> AsyncIterator[str]:
    """An empty database on the test server, dropped afterwards."""
    name = f"payable_scratch_{uuid.uuid4().hex[:10]}"
    await db.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _connect(url: str) -> asyncpg.Connection:
    raw = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    return await asyncpg.connect(raw)


async def test_models_and_migrations_agree(database_url: str) -> None:
    """Autogenerate finds nothing to do: the migrated schema is exactly the models' metadata."""
    differences = await _schema_differences(database_url)

    assert differences == []


async def test_migrated_database_has_the_raw_sql_invariants(db: asyncpg.Connection) -> None:
    """The triggers autogenerate cannot see are in place after upgrade."""
    triggers, functions = await _custom_objects(db)

    assert triggers >= TRIGGERS
    assert functions >= FUNCTIONS


async def test_downgrade_to_base_then_upgrade_to_head(scratch_url: str) -> None:
    """The migrations run down to an empty schema and back up to the same schema."""
    config = alembic_config(scratch_url)
    await asyncio.to_thread(command.upgrade, config, "head")
    assert "bookings" in await _tables(scratch_url)

    await asyncio.to_thread(command.downgrade, config, "base")
    assert await _tables(scratch_url) == {"alembic_version"}
    scratch = await _connect(scratch_url)
    try:
        assert await _custom_objects(scratch) == (set(), set())
        assert await scratch.fetchval("SELECT count(*) FROM alembic_version") == 0
    finally:
        await scratch.close()

    await asyncio.to_thread(command.upgrade, config, "head")
    assert await _schema_differences(scratch_url) == []
    scratch = await _connect(scratch_url)
    try:
        triggers, functions = await _custom_objects(scratch)
        assert triggers >= TRIGGERS
        assert functions >= FUNCTIONS
        head = ScriptDirectory.from_config(config).get_current_head()
        assert await scratch.fetchval("SELECT version_num FROM alembic_version") == head
    finally:
        await scratch.close()


async def test_upgrade_is_idempotent_at_head(scratch_url: str) -> None:
    """Upgrading a database that is already at head changes nothing and does not fail."""
    config = alembic_config(scratch_url)
    await asyncio.to_thread(command.upgrade, config, "head")

    await asyncio.to_thread(command.upgrade, config, "head")

    assert await _schema_differences(scratch_url) == []


async def test_instances_starting_together_migrate_once(scratch_url: str) -> None:
    """Three instances migrating an empty database at once (three processes, as three
    `payable serve`s starting together): one migrates, the others wait for it and find the
    schema current, and none fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYABLE_")}
    env["DATABASE_URL"] = scratch_url
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "payable", "migrate", env=env, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(3)
    ]

    async with asyncio.timeout(180):
        outcomes = [(await p.communicate())[1].decode() for p in processes]

    assert [p.returncode for p in processes] == [0, 0, 0], outcomes
    assert await _schema_differences(scratch_url) == []


async def test_comparison_notices_schema_drift(scratch_url: str) -> None:
    """The agreement check has teeth: a hand-altered schema is reported."""
    await asyncio.to_thread(command.upgrade, alembic_config(scratch_url), "head")
    scratch = await _connect(scratch_url)
    try:
        await scratch.execute("DROP INDEX ix_bookings_customer_id")
        await scratch.execute("ALTER TABLE bookings ALTER COLUMN crm_reference TYPE varchar(64)")
        await scratch.execute("ALTER TABLE tenants ADD COLUMN stray text")
    finally:
        await scratch.close()

    differences = await _schema_differences(scratch_url)

    rendered = repr(differences)
    assert "ix_bookings_customer_id" in rendered
    assert "crm_reference" in rendered
    assert "stray" in rendered
