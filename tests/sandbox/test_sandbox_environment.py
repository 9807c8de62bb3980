"""PAYABLE_ENV: the sandbox is a test gateway for development and demo, never a silent default.

In production the server refuses to start (one sentence) when a tenant would pay through the
sandbox or its public secret is trusted, and the sandbox's page and webhook do not exist.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from payable.app import create_app
from payable.providers.base import OrderState
from payable.sandbox import signing
from payable.sandbox.callbacks import callback_body
from payable.sandbox.guard import SandboxInProduction
from payable.settings import SANDBOX_PUBLIC_SECRET, Settings
from tests.conftest import JWT_SECRET
from tests.server.test_serve import _start

_SETTINGS = ("DATABASE_URL", "PAYABLE_DATABASE_URL", "PAYABLE_ENV", "PAYABLE_DEFAULT_PROVIDER")


def _settings(**values: Any) -> Settings:
    """Settings from these values only, whatever this process's environment holds."""
    return Settings(**{"workers_enabled": False, **values})


@pytest.mark.parametrize(
    ("values", "environment"),
    [
        ({}, "development"),  # the embedded database: `make run`
        ({"database_url": "postgresql://db/payable"}, "production"),  # the Docker recipe
        ({"database_url": "postgresql://db/payable", "env": "demo"}, "demo"),
        ({"env": "production"}, "production"),
    ],
)
def test_environment_defaults_to_production_on_a_real_database(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str], environment: str
) -> None:
    for name in _SETTINGS:
        monkeypatch.delenv(name, raising=False)

    settings = _settings(**values)

    assert settings.environment == environment
    assert settings.sandbox_enabled is (environment != "production")


@pytest.mark.parametrize(
    ("values", "names"),
    [
        ({}, "PAYABLE_DEFAULT_PROVIDER"),
        (
            {"default_provider": "arca", "tenant_providers": {"acme": "sandbox", "zed": "arca"}},
            "PAYABLE_TENANT_PROVIDERS sends acme to the sandbox",
        ),
        (
            {
                "default_provider": "arca",
                "sandbox_webhook_secrets": ["rotated-secret", SANDBOX_PUBLIC_SECRET],
            },
            SANDBOX_PUBLIC_SECRET,
        ),
    ],
)
def test_production_refuses_to_start_with_the_sandbox(
    database_url: str, values: dict[str, Any], names: str
) -> None:
    # Given production settings that would let the sandbox take money or trust its secret
    settings = _settings(env="production", **values)

    # When the app is built, Then it refuses with one sentence naming the setting to change
    with pytest.raises(SandboxInProduction) as refused:
        create_app(database_url=database_url, jwt_secret=JWT_SECRET, settings=settings)

    message = str(refused.value)
    assert names in message
    assert message.startswith("Refusing to start in production") and message.count(". ") == 0
    assert message.endswith("PAYABLE_ENV=development (or demo) for a test server.")


@pytest.mark.parametrize("env", ["development", "demo"])
def test_development_and_demo_allow_the_sandbox(database_url: str, env: str) -> None:
    settings = _settings(env=env, tenant_providers={"acme": "sandbox"})

    app = create_app(database_url=database_url, jwt_secret=JWT_SECRET, settings=settings)

    paths = {getattr(route, "path", None) for route in app.routes}
    assert "/sandbox/pay/{order_id}" in paths
    assert app.state.settings.sandbox_secrets == [SANDBOX_PUBLIC_SECRET]


@pytest.fixture
async def production(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A production server whose tenants pay through ArCa."""
    settings = _settings(
        env="production", default_provider="arca", public_url="https://pay.example.am"
    )
    app = create_app(database_url=database_url, jwt_secret=JWT_SECRET, settings=settings)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://payable.test") as http:
        yield http
    await app.state.db.dispose()


async def test_production_serves_no_sandbox_page_and_no_sandbox_webhook(
    production: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # Given a callback signed with the sandbox's published secret
    body = callback_body(str(uuid.uuid4()), OrderState.PAID)
    headers = signing.signed_headers(SANDBOX_PUBLIC_SECRET, body)
    inbox_before = await db.fetchval("SELECT count(*) FROM provider_callbacks")

    # When someone posts it, and opens a sandbox payment page
    webhook = await production.post("/webhooks/sandbox", content=body, headers=headers)
    page = await production.get(f"/sandbox/pay/{uuid.uuid4()}")
    approve = await production.post(f"/sandbox/pay/{uuid.uuid4()}", data={"outcome": "approve"})

    # Then neither exists, and nothing was recorded
    assert (webhook.status_code, webhook.text) == (404, "unknown provider")
    assert (page.status_code, approve.status_code) == (404, 404)
    assert await db.fetchval("SELECT count(*) FROM provider_callbacks") == inbox_before
    assert (await production.get("/healthz")).status_code == 200


def _serve(env: dict[str, str], tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
    return subprocess.run(
        [sys.executable, "-m", "payable", "serve", "--port", "1", *extra],
        env=base | {"PAYABLE_DATA_DIR": str(tmp_path), "PAYABLE_JWT_SECRET": JWT_SECRET} | env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_with_only_database_url_refuses_the_sandbox(tmp_path: Path) -> None:
    """The Docker recipe (DATABASE_URL and nothing else) never serves sandbox links."""
    # Given a database URL nobody listens on: the refusal comes before any connection
    done = _serve({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, tmp_path)

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Refusing to start in production: tenants not named in PAYABLE_TENANT_PROVIDERS would"
        " pay through the sandbox test gateway; set PAYABLE_DEFAULT_PROVIDER to arca or"
        " ameriabank, or set PAYABLE_ENV=development (or demo) for a test server."
    ]


def test_explicit_production_wins_over_demo_and_names_the_tenants(tmp_path: Path) -> None:
    done = _serve(
        {
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "PAYABLE_ENV": "production",
            "PAYABLE_DEFAULT_PROVIDER": "ameriabank",
            "PAYABLE_TENANT_PROVIDERS": json.dumps({"clinic-b": "sandbox", "acme": "sandbox"}),
        },
        tmp_path,
        "--demo",
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Refusing to start in production: PAYABLE_TENANT_PROVIDERS sends acme, clinic-b to the"
        " sandbox test gateway; give them a real gateway, or set PAYABLE_ENV=development"
        " (or demo) for a test server."
    ]


def test_serve_demo_on_a_real_database_is_demo_mode(database_url: str) -> None:
    """`payable serve --demo` asks for the sandbox out loud: it starts, with the sandbox page."""
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
    env |= {
        "DATABASE_URL": database_url,
        "PAYABLE_JWT_SECRET": JWT_SECRET,
        "PAYABLE_WORKERS_ENABLED": "false",
    }
    base, process = _start(env, "--demo")
    try:
        page = httpx.get(f"{base}/sandbox/pay/{uuid.uuid4()}")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)

    assert (page.status_code, page.text) == (404, "<h1>Unknown order</h1>")  # mounted
