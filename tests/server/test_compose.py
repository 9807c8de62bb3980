"""docker-compose.yml, checked without Docker (CI has no daemon nor image registry): its shape
(PostgreSQL 16, a one-shot migration before the app, health checks, no secret in the file),
its settings as `payable doctor` reads them, and its services' own commands run with its own
environment against the test PostgreSQL (only the database's address differs)."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy.engine import make_url

from payable import production
from payable.doctor import check_settings
from payable.settings import Settings
from tests.databases import fresh_database
from tests.server.test_serve import _free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
EXAMPLE = dict(
    line.split("=", 1)
    for line in (ROOT / "compose.env.example").read_text().splitlines()
    if line and not line.startswith("#")
)
# What an operator's .env holds: every example value replaced by a real one.
DOT_ENV = {
    name: "https://pay.example.am" if name == "PAYABLE_PUBLIC_URL" else secrets.token_urlsafe(48)
    for name in EXAMPLE
}
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APPS = ("payable", "payable-web")
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "USERNAME")


def _env(service: str, dot_env: dict[str, str] = DOT_ENV) -> dict[str, str]:
    """The service's environment as compose interpolates it from ``dot_env``."""

    def value(match: re.Match[str]) -> str:
        return dot_env[match.group(1)]  # ${NAME:?...}: compose refuses to start without it

    return {
        key: re.sub(r"\$\{(\w+):\?[^}]*\}", value, str(raw))
        for key, raw in SERVICES[service]["environment"].items()
    }


def test_postgres_16_then_one_migration_then_the_apps() -> None:
    db = SERVICES["db"]
    assert db["image"].split(":")[1].startswith("16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["payable", "migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    for app in APPS:
        service = SERVICES[app]
        assert service["command"][:2] == ["payable", "serve"]
        assert service["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert _env(app)["PAYABLE_ENV"] == "production"


def test_secrets_come_only_from_the_operators_env_file() -> None:
    for name in ("migrate", *APPS):
        raw = {k: str(v) for k, v in SERVICES[name]["environment"].items()}
        secret_keys = [k for k in raw if any(w in k for w in SECRET_WORDS)]
        assert {"PAYABLE_JWT_SECRET", "PAYABLE_METRICS_TOKEN"} <= set(secret_keys)
        assert all(raw[k].startswith("${") for k in [*secret_keys, "PAYABLE_PUBLIC_URL"]), raw
        env = _env(name)
        url = make_url(env["DATABASE_URL"])
        assert url.password == DOT_ENV["POSTGRES_PASSWORD"]
        assert (url.username, url.database, url.host) == ("payable", "payable", "db")
    assert _env("payable") == _env("migrate")  # one configuration, one secret to rotate
    assert (
        SERVICES["db"]["environment"]["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:?set it in .env}"
    )


def test_the_example_env_file_is_marked_and_refused_in_production() -> None:
    assert all("CHANGE-ME" in value for value in EXAMPLE.values()), EXAMPLE
    env = _env("payable", EXAMPLE)
    settings = Settings(**_lower(env))
    refusals = list(production.problems(settings, settings.jwt_secret))
    assert any("PAYABLE_JWT_SECRET" in r and "CHANGE-ME" in r for r in refusals), refusals
    assert any("PAYABLE_METRICS_TOKEN" in r and "CHANGE-ME" in r for r in refusals), refusals


def test_workers_run_in_one_instance_only() -> None:
    assert Settings(**_lower(_env("payable"))).workers_enabled
    assert not Settings(**_lower(_env("payable-web"))).workers_enabled


def test_doctor_finds_nothing_wrong_with_the_settings() -> None:
    for app in APPS:
        settings = Settings(**_lower(_env(app)))
        assert settings.environment == "production"
        problems = [f.sentence for f in check_settings(settings) if not f.ok]
        assert problems == [], problems


def _lower(env: dict[str, str]) -> dict[str, str]:
    """Environment names as Settings' field names."""
    renamed = {k.removeprefix("PAYABLE_").lower(): v for k, v in env.items()}
    renamed["env"] = renamed.pop("env")
    return renamed


@pytest.fixture
async def compose_database(database_url: str) -> AsyncIterator[str]:
    async with fresh_database(database_url, "payable_compose") as url:
        yield url


async def test_the_services_commands_serve_in_production(compose_database: str) -> None:
    # given: the app's environment from the file, with the test server in place of `db`
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYABLE_")}
    env.update(_env("payable"), DATABASE_URL=compose_database)

    # when: migrate runs once, then the app's command starts
    migrated = subprocess.run(
        [sys.executable, "-m", *SERVICES["migrate"]["command"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    port = _free_port()
    command = SERVICES["payable"]["command"]
    serve = [*command[: command.index("--port") + 1], str(port)]
    serve[serve.index("--host") + 1] = "127.0.0.1"
    process = subprocess.Popen(
        [sys.executable, "-m", *serve], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            ready = await _ready(http, process)
            metrics_token = env["PAYABLE_METRICS_TOKEN"]
            refused = await http.get("/metrics")
            metrics = await http.get(
                "/metrics", headers={"Authorization": f"Bearer {metrics_token}"}
            )
            widget = await http.get("/widget")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    # then: ready (the health check's address), production's rules in force
    assert ready == {"status": "ready"}
    assert refused.status_code == 403
    assert metrics.status_code == 200 and "payable_worker_lag_seconds" in metrics.text
    assert widget.status_code == 200
    assert process.returncode == 0


async def _ready(http: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> dict[str, str]:

    for _ in range(300):
        try:
            response = await http.get("/readyz")
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "")
        await asyncio.sleep(0.1)
    raise AssertionError("payable serve did not become ready")
