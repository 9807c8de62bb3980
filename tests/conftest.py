"""Real PostgreSQL (embedded, or TEST_DATABASE_URL's server) behind the real ASGI app.

Tests are isolated by tenant: every test gets a fresh tenant, and every read and write is
tenant-scoped, so tests never see each other's rows and need no truncation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.engine.url import make_url

from payable.app import create_app
from payable.db.engine import normalize_url
from payable.db.migrate import upgrade
from payable.settings import Settings
from tests.api import Api

JWT_SECRET = "test-secret-not-for-production-0123456789"
SANDBOX_SECRET = "sandbox-test-secret"


def _raw(url: str) -> str:
    return normalize_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


@contextlib.contextmanager
def _server_database() -> Iterator[str]:
    """A fresh database on TEST_DATABASE_URL's server, dropped afterwards."""
    base = make_url(normalize_url(os.environ["TEST_DATABASE_URL"]))
    name = f"payable_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(_raw(base.render_as_string(hide_password=False)))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def _embedded_database() -> Iterator[str]:
    from payable.db.embedded import start_embedded

    with tempfile.TemporaryDirectory(prefix="payable-test-") as folder:
        server = start_embedded(Path(folder), database="payable_test", ephemeral=True)
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    source = _server_database if os.environ.get("TEST_DATABASE_URL") else _embedded_database
    with source() as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[object]:
    settings = Settings(
        env="development",  # the sandbox is every test tenant's default gateway
        db_pool_size=25,
        public_url="http://payable.test",
        workers_enabled=False,  # tests run the workers' rounds themselves
        sandbox_webhook_secrets=[SANDBOX_SECRET, "previous-sandbox-secret"],
        rate_limit_enabled=False,  # the suite is one client sending thousands of requests
    )
    application = create_app(database_url=database_url, jwt_secret=JWT_SECRET, settings=settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://payable.test") as http:
        yield http


@pytest.fixture
def api(client: httpx.AsyncClient, app: object) -> Api:
    """A fresh tenant's view of the API; ``api.as_role(...)`` for other roles of the same tenant."""
    return Api(client, tenant=f"t-{uuid.uuid4().hex[:12]}", secret=JWT_SECRET, app=app)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A raw connection for checking what the database holds (and refuses)."""
    connection = await asyncpg.connect(_raw(database_url))
    try:
        yield connection
    finally:
        await connection.close()
