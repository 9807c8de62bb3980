"""`payable serve` as a real process: uvicorn on a TCP port, the same database, clean shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from payable.core.principal import Role
from payable.core.tokens import issue
from tests.conftest import JWT_SECRET
from tests.verticals.tour.factories import CREATE_TOUR, tour_input


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict[str, str], *extra: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "payable", "serve", "--port", str(port), *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("payable serve did not become ready")
    return base, process


@pytest.fixture
def server(database_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    env = os.environ | {
        "DATABASE_URL": database_url,
        "PAYABLE_JWT_SECRET": JWT_SECRET,
        "PAYABLE_ENV": "development",  # tenants pay through the sandbox
    }
    base, process = _start(env)
    yield base, process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_served_over_tcp_and_stops_on_sigterm(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, process = server
    token = issue(
        secret=JWT_SECRET,
        tenant="served",
        role=Role.INTEGRATOR,
        sub="probe",
        ttl=timedelta(minutes=5),
    )

    response = httpx.post(
        f"{base}/graphql",
        json={"query": "{ bookings { totalCount } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.json()["data"] == {"bookings": {"totalCount": 0}}

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0


def test_embedded_database_keeps_data_across_restarts(tmp_path: Path) -> None:
    """Without DATABASE_URL the server runs its own PostgreSQL, stops it, and finds it again."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"PAYABLE_DATA_DIR": str(tmp_path), "PAYABLE_JWT_SECRET": JWT_SECRET}
    token = issue(
        secret=JWT_SECRET,
        tenant="embedded",
        role=Role.OPERATOR,
        sub="probe",
        ttl=timedelta(minutes=5),
    )
    headers = {"Authorization": f"Bearer {token}"}

    base, process = _start(env)
    created = httpx.post(
        f"{base}/graphql",
        json={"query": CREATE_TOUR, "variables": {"input": tour_input()}},
        headers=headers,
    )
    assert created.json()["data"]["createTourBooking"]["errors"] == []
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    assert not (tmp_path / "pg" / "postmaster.pid").exists()  # the embedded server stopped

    base, process = _start(env)
    try:
        listed = httpx.post(
            f"{base}/graphql", json={"query": "{ bookings { totalCount } }"}, headers=headers
        )
        assert listed.json()["data"] == {"bookings": {"totalCount": 1}}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)


def test_several_worker_processes_serve_one_database(database_url: str) -> None:
    """--workers N: N processes behind one port, all on the same database; SIGTERM stops all."""
    env = os.environ | {
        "DATABASE_URL": database_url,
        "PAYABLE_JWT_SECRET": JWT_SECRET,
        "PAYABLE_WORKERS_ENABLED": "false",
        "PAYABLE_ENV": "development",
    }
    base, process = _start(env, "--workers", "2")
    token = issue(
        secret=JWT_SECRET,
        tenant="workers",
        role=Role.OPERATOR,
        sub="probe",
        ttl=timedelta(minutes=5),
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        created = httpx.post(
            f"{base}/graphql",
            json={"query": CREATE_TOUR, "variables": {"input": tour_input()}},
            headers=headers,
        )
        counts = {
            httpx.post(
                f"{base}/graphql", json={"query": "{ bookings { totalCount } }"}, headers=headers
            ).json()["data"]["bookings"]["totalCount"]
            for _ in range(6)
        }
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
    assert created.json()["data"]["createTourBooking"]["errors"] == []
    assert counts == {1}  # whichever process answered
    assert code == 0
