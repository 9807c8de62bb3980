"""Logs of a real `payable serve`: JSON only, one line per request, no tracebacks for refusals,
no caller values."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

import httpx
import pytest

from payable.core.principal import Role
from payable.core.tokens import issue
from tests.conftest import JWT_SECRET
from tests.server.test_serve import _free_port

CALLER_VALUE = "caller-value-4711"


def test_each_request_is_one_json_line_without_tracebacks_or_caller_values(
    database_url: str,
) -> None:
    port = _free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "PAYABLE_JWT_SECRET": JWT_SECRET,
        "PAYABLE_ENV": "development",
        "PAYABLE_WORKERS_ENABLED": "false",
    }
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "payable", "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                output.seek(0)
                pytest.fail("payable serve did not become ready: " + output.read().decode()[-3000:])
            token = issue(
                secret=JWT_SECRET,
                tenant="logs",
                role=Role.OPERATOR,
                sub="probe",
                ttl=timedelta(minutes=5),
            )
            auth = {"Authorization": f"Bearer {token}"}
            anonymous = httpx.post(f"{base}/graphql", json={"query": "{ bookings { totalCount } }"})
            hostile = httpx.post(
                f"{base}/graphql",
                json={
                    "query": "query Find($r: String) {"
                    " bookings(filter: {reference: $r}) { totalCount } }",
                    "variables": {"r": CALLER_VALUE + "\x00"},
                },
                headers=auth,
            )
            named = httpx.post(
                f"{base}/graphql",
                json={"query": "query Listing { bookings(first: 3) { totalCount } }"},
                headers=auth,
            )
            unsigned = httpx.post(f"{base}/webhooks/sandbox", content=CALLER_VALUE.encode())
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        output.seek(0)
        lines = output.read().decode().splitlines()

    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert hostile.json()["errors"][0]["extensions"]["code"] == "INVALID_TEXT"
    assert named.json()["data"]["bookings"]["totalCount"] == 0
    assert unsigned.status_code == 401
    # The few lines for the person at the terminal end with "ready"; every other line is JSON.
    ready = next(i for i, line in enumerate(lines) if line.startswith("ready: "))
    human = [i for i, line in enumerate(lines) if not line.startswith("{")]
    assert len(human) <= 10 and max(human) == ready
    lines = [line for line in lines if line.startswith("{")]
    records = [json.loads(line) for line in lines]  # every line is JSON
    assert not any("Traceback" in line or CALLER_VALUE in line for line in lines)
    requests = [
        r for r in records if r.get("logger") == "payable.access" and r["route"] != "/readyz"
    ]
    assert [
        (r["method"], r["route"], r["status"], r["operation"], r["codes"]) for r in requests
    ] == [
        ("POST", "/graphql", 200, None, ["UNAUTHENTICATED"]),
        ("POST", "/graphql", 200, "Find", ["INVALID_TEXT"]),
        ("POST", "/graphql", 200, "Listing", None),
        ("POST", "/webhooks/{provider}", 401, None, None),
    ]
    assert requests[2]["cost"] == 3  # a page of 3: first x (1 + nothing more selected)
    assert all(isinstance(r["duration_ms"], float) for r in requests)


def test_a_database_error_is_logged_without_its_message_or_sql_parameters(
    database_url: str,
) -> None:
    """A database error's text quotes the row and the statement's parameters: caller data.
    Logged as a bug is, it keeps its type and frames only."""
    program = f"""
import asyncio
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from payable.db.engine import normalize_url
from payable.logging import configure

configure()

async def main() -> None:
    engine = create_async_engine(normalize_url({database_url!r}))
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT CAST(:v AS integer)"), {{"v": {CALLER_VALUE!r}}})
    except Exception as error:
        structlog.get_logger("payable.graphql").error("unhandled error", exc_info=error)
    finally:
        await engine.dispose()

asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )

    [line] = [line for line in done.stderr.splitlines() if line.strip()]
    record = json.loads(line)
    assert (record["event"], record["level"], record["error_type"]) == (
        "unhandled error",
        "error",
        "DBAPIError",
    )
    assert 'File "<string>", line 15, in main' in record["traceback"]  # where it happened
    assert CALLER_VALUE not in line
    assert "[parameters:" not in line and "invalid input" not in line  # SQLAlchemy's, asyncpg's


def test_an_outage_in_a_background_round_is_one_warning_without_a_traceback() -> None:
    """The database going away is expected now and then: a worker says so in one line."""
    program = """
import asyncio
from payable.db.engine import Database
from payable.idempotency import sweeper
from payable.logging import configure

configure()

async def main() -> None:
    db = Database("postgresql://payable@127.0.0.1:1/payable", pool_size=1)  # nothing listens
    try:
        await asyncio.wait_for(sweeper.run(db, interval_seconds=60), timeout=3)
    except TimeoutError:
        pass
    finally:
        await db.dispose()

asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )

    [line] = [line for line in done.stderr.splitlines() if line.strip()]
    record = json.loads(line)
    assert {k: record[k] for k in ("event", "level", "database")} == {
        "event": "idempotency sweep failed",
        "level": "warning",
        "database": "unavailable",
    }
    assert "traceback" not in record and "Traceback" not in line
