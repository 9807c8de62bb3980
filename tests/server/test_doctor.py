"""`payable doctor` against a good setup and broken ones: exit code, one sentence per problem."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from sqlalchemy.engine import make_url

from payable.db.engine import normalize_url
from payable.db.migrate import alembic_config
from tests.conftest import JWT_SECRET
from tests.server.test_cli import payable

GOOD = {
    "PAYABLE_ENV": "production",
    "PAYABLE_JWT_SECRET": JWT_SECRET,
    "PAYABLE_PUBLIC_URL": "https://pay.example.am",
    "PAYABLE_DEFAULT_PROVIDER": "arca",
    "PAYABLE_TENANT_PROVIDERS": '{"clinic-b": "ameriabank"}',
    "PAYABLE_ARCA_USERNAME": "merchant",
    "PAYABLE_ARCA_PASSWORD": "pw",
    "PAYABLE_AMERIABANK_CLIENT_ID": "client",
    "PAYABLE_AMERIABANK_USERNAME": "merchant",
    "PAYABLE_AMERIABANK_PASSWORD": "pw",
    "PAYABLE_METRICS_TOKEN": "scrape-me",
}


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("PAYABLE_") and k != "DATABASE_URL"
    }
    return clean | {"PAYABLE_DATA_DIR": str(tmp_path / "data")} | values


def _raw(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def old_database(database_url: str) -> Iterator[str]:
    """A database on the same server, migrated only up to money_held."""
    name = f"doctor_{uuid.uuid4().hex[:8]}"
    admin = _raw(
        make_url(normalize_url(database_url))
        .set(database="postgres")
        .render_as_string(hide_password=False)
    )

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    url = (
        make_url(normalize_url(database_url))
        .set(database=name)
        .render_as_string(hide_password=False)
    )
    command.upgrade(alembic_config(url), "money_held")
    try:
        yield url
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_good_production_setup_is_all_good(database_url: str, tmp_path: Path) -> None:
    done = payable("doctor", env=_env(tmp_path, DATABASE_URL=database_url, **GOOD), cwd=tmp_path)

    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines[0] == "ok       settings read (production mode)"
    assert lines[1].startswith("ok       database reachable (PostgreSQL ")
    assert lines[2].startswith("ok       migrations: at the newest (")
    assert lines[3] == "ok       gateways configured (ameriabank: clinic-b; default arca)"
    assert lines[-1] == "all good"


def test_a_broken_setup_gets_one_sentence_per_problem(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
        PAYABLE_ENV="production",
        PAYABLE_DEFAULT_PROVIDER="arca",
        PAYABLE_TENANT_PROVIDERS='{"acme": "ameriabank", "tours": "paypal"}',
    )

    done = payable("doctor", env=env, cwd=tmp_path)

    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "ok       settings read (production mode)",
        "problem  PAYABLE_JWT_SECRET is not set; production needs its own secret to sign tokens.",
        "problem  PAYABLE_PUBLIC_URL is http://127.0.0.1:8000, which gateways and payers'"
        " browsers cannot reach; set it to this server's public address.",
        "ok       metrics are off until PAYABLE_METRICS_TOKEN is set (then /metrics needs it)",
        "problem  The database cannot be reached ([Errno 111] Connect call failed"
        " ('127.0.0.1', 1)); check DATABASE_URL.",
        "problem  Tenant acme pays through ameriabank, but PAYABLE_AMERIABANK_CLIENT_ID is not"
        " configured.",
        "problem  Tenant tours pays through gateway 'paypal', which does not exist; use one of"
        " sandbox, arca, ameriabank, idram, telcell.",
        "problem  Tenants not named in PAYABLE_TENANT_PROVIDERS pay through arca, but"
        " PAYABLE_ARCA_USERNAME is not configured.",
        "6 problem(s)",
    ]


def test_what_serve_refuses_in_production_is_a_problem(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        **GOOD | {"PAYABLE_JWT_SECRET": "short", "PAYABLE_PUBLIC_URL": "http://0.0.0.0:8000"},
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
    )

    done = payable("doctor", env=env, cwd=tmp_path)

    assert done.returncode == 1
    assert done.stdout.splitlines()[1:3] == [
        "problem  PAYABLE_JWT_SECRET is shorter than 32 characters, so tokens could be forged;"
        " set a random one.",
        "problem  PAYABLE_PUBLIC_URL is http://0.0.0.0:8000, which gateways and payers' browsers"
        " cannot reach; set it to this server's public address.",
    ]


def _newer_than(revision: str) -> list[str]:
    """The migrations after ``revision``, newest first."""
    from alembic.script import ScriptDirectory

    from payable.db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("postgresql://unused/db"))
    return [s.revision for s in script.iterate_revisions("heads", revision)]


_NEWER = _newer_than("money_held")


def test_an_unmigrated_database_and_sandbox_in_production(
    old_database: str, tmp_path: Path
) -> None:
    env = _env(tmp_path, DATABASE_URL=old_database, **GOOD)
    env["PAYABLE_DEFAULT_PROVIDER"] = "sandbox"

    done = payable("doctor", env=env, cwd=tmp_path)

    assert done.returncode == 1
    problems = [line for line in done.stdout.splitlines() if line.startswith("problem")]
    assert problems == [
        "problem  Refusing to start in production: tenants not named in PAYABLE_TENANT_PROVIDERS"
        " would pay through the sandbox test gateway; set PAYABLE_DEFAULT_PROVIDER to arca or"
        " ameriabank, or set PAYABLE_ENV=development (or demo) for a test server.",
        f"problem  The database is {len(_NEWER)} migrations behind (at money_held, newest"
        f" {_NEWER[0]}); run `payable migrate`.",
    ]


def test_an_invalid_setting_is_named(tmp_path: Path) -> None:
    done = payable("doctor", env=_env(tmp_path, PAYABLE_DB_POOL_SIZE="many"), cwd=tmp_path)

    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "problem  Setting PAYABLE_DB_POOL_SIZE is not valid: Input should be a valid integer,"
        " unable to parse string as an integer.",
        "1 problem(s)",
    ]
