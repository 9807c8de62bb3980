"""The `payable` console script, run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from payable.core.principal import Role
from payable.core.tokens import verify
from payable.db.migrate import alembic_config

PAYABLE = Path(sys.executable).with_name("payable")
SECRET = "cli-test-secret-0123456789abcdef-0123456789"
# Settings the CLI reads; each test states the ones it wants.
_SETTINGS = ("DATABASE_URL", "PAYABLE_DATABASE_URL", "PAYABLE_JWT_SECRET", "PAYABLE_DATA_DIR")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The parent's environment minus payable's settings, with a throw-away data directory."""
    values = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
    return values | {"PAYABLE_DATA_DIR": str(tmp_path / "data")}


def payable(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(PAYABLE)] if PAYABLE.exists() else [sys.executable, "-m", "payable"]
    return subprocess.run(
        [*command, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_token_prints_a_verifiable_token_as_the_last_word(
    env: dict[str, str], tmp_path: Path
) -> None:
    """`payable token` signs sub, tenant and role with PAYABLE_JWT_SECRET."""
    # When a token is asked for
    done = payable(
        "token", "--tenant", "acme", "--role", "operator", "--sub", "bob",
        env=env | {"PAYABLE_JWT_SECRET": SECRET}, cwd=tmp_path,
    )  # fmt: skip

    # Then its last word verifies with the secret to exactly those claims
    assert done.returncode == 0, done.stderr
    token = done.stdout.split()[-1]
    assert verify(token, secret=SECRET) == ("bob", "acme", Role.OPERATOR)


@pytest.mark.parametrize(
    "args",
    [
        ("--tenant", "acme", "--role", "superuser"),
        ("--tenant", "ACME Corp", "--role", "operator"),
        ("--role", "operator"),
    ],
    ids=["unknown-role", "bad-tenant-slug", "no-tenant"],
)
def test_token_refuses_bad_options(
    env: dict[str, str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    """An unknown role, a malformed or missing tenant: non-zero exit and no token."""
    # When a token is asked for with bad options
    done = payable("token", *args, env=env | {"PAYABLE_JWT_SECRET": SECRET}, cwd=tmp_path)

    # Then the command fails, says why on stderr and prints nothing on stdout
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.strip()


def test_token_refuses_a_sub_too_long_to_record(env: dict[str, str], tmp_path: Path) -> None:
    """The sub is recorded as the actor of every event, so it must fit in 128 characters."""
    done = payable(
        "token", "--tenant", "acme", "--role", "operator", "--sub", "x" * 200,
        env=env | {"PAYABLE_JWT_SECRET": SECRET}, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode != 0
    assert "Bearer" not in done.stdout


def test_token_needs_an_explicit_secret_with_a_database_url(
    env: dict[str, str], tmp_path: Path
) -> None:
    """With a real database configured, the secret is never generated: PAYABLE_JWT_SECRET is."""
    # When a token is asked for with DATABASE_URL set but no secret
    done = payable(
        "token", "--tenant", "acme", "--role", "admin",
        env=env | {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, cwd=tmp_path,
    )  # fmt: skip

    # Then the command fails naming the setting, and writes no secret file
    assert done.returncode != 0
    assert "PAYABLE_JWT_SECRET" in done.stderr
    assert "Bearer" not in done.stdout
    assert not (tmp_path / "data" / "jwt-secret").exists()


def test_export_schema_prints_the_sdl(env: dict[str, str], tmp_path: Path) -> None:
    """`payable export-schema` prints the schema in SDL, interfaces included."""
    done = payable("export-schema", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "interface PayableBooking" in done.stdout
    assert "type Mutation {" in done.stdout


def test_export_schema_writes_the_output_file(env: dict[str, str], tmp_path: Path) -> None:
    """`--output` writes the same SDL to a file instead of stdout."""
    target = tmp_path / "schema.graphql"
    written = payable("export-schema", "--output", str(target), env=env, cwd=tmp_path)
    printed = payable("export-schema", env=env, cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    assert target.read_text() == printed.stdout


def test_migrate_without_any_database_explains_in_one_sentence(
    env: dict[str, str], tmp_path: Path
) -> None:
    """No DATABASE_URL and no embedded PostgreSQL: a one-sentence hint, not a traceback."""
    # Given no DATABASE_URL, no PostgreSQL binaries on PATH and pgserver unimportable
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "pgserver.py").write_text('raise ImportError("pgserver is hidden by the test")\n')
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    bare = env | {"PATH": str(empty_bin), "PYTHONPATH": str(blocker)}

    # When migrate runs
    done = payable("migrate", env=bare, cwd=tmp_path)

    # Then it fails with a single sentence on stderr that points at DATABASE_URL
    assert done.returncode != 0
    message = done.stderr.strip()
    assert "DATABASE_URL" in message
    assert "\n" not in message and "Traceback" not in message
    assert message.endswith(".") and message.count(". ") == 0
    assert "database is at the newest schema" not in done.stdout


async def test_migrate_with_database_url_reaches_head(
    env: dict[str, str], tmp_path: Path, database_url: str, db: asyncpg.Connection
) -> None:
    """`payable migrate` against an up-to-date database succeeds and leaves it at head."""
    # When migrate runs against the test database (already at head)
    done = payable("migrate", env=env | {"DATABASE_URL": database_url}, cwd=tmp_path)

    # Then it succeeds, and the database's revision is the newest migration
    assert done.returncode == 0, done.stderr
    assert "newest schema" in done.stdout
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert await db.fetchval("SELECT version_num FROM alembic_version") == head
