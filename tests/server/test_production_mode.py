"""Production exposure: no GraphiQL or introspection unless enabled, CORS from an allow-list,
security headers on every answer, and no start on a made-up address or a guessable secret.
Development stays open: GraphiQL, introspection and local front ends just work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from payable.app import create_app
from payable.core.principal import Role
from payable.core.tokens import issue
from payable.production import RefusedToStart
from payable.settings import Settings
from tests.conftest import JWT_SECRET
from tests.payments.factories import CREATE_REQUEST
from tests.server.test_serve import _start
from tests.verticals.tour.factories import CREATE_TOUR, tour_input

# A production server that may start: a real gateway, a public address, a long secret.
PRODUCTION: dict[str, Any] = {
    "env": "production",
    "default_provider": "arca",
    "arca_username": "u",
    "arca_password": "p",
    "public_url": "https://pay.example.am",
}
HTML = {"Accept": "text/html"}
SCHEMA = {"query": "{ __schema { queryType { name } } }"}
TYPENAME = {"query": "{ __typename }"}
Client = Callable[..., Any]


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[Client]:
    """A client of an app of its own, built from these settings."""
    apps: list[Any] = []
    clients: list[httpx.AsyncClient] = []

    async def make(**values: Any) -> httpx.AsyncClient:
        settings = Settings(**{"workers_enabled": False, "rate_limit_enabled": False, **values})
        app = create_app(database_url=database_url, jwt_secret=JWT_SECRET, settings=settings)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://payable.test"
        )
        apps.append(app)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
    for app in apps:
        await app.state.db.dispose()


def _auth(tenant: str = "prod") -> dict[str, str]:
    token = issue(
        secret=JWT_SECRET, tenant=tenant, role=Role.ADMIN, sub="a", ttl=timedelta(minutes=5)
    )
    return {"Authorization": f"Bearer {token}"}


# --- GraphiQL and introspection ---------------------------------------------------------------


async def test_production_serves_no_graphiql_and_refuses_introspection(server: Client) -> None:
    client = await server(**PRODUCTION)

    page = await client.get("/graphql", headers=HTML)
    asset = await client.get("/graphiql/assets/graphiql.min.js")
    anonymous = (await client.post("/graphql", json=SCHEMA)).json()
    with_token = (await client.post("/graphql", json=SCHEMA, headers=_auth())).json()
    hidden_in_a_fragment = (
        await client.post(
            "/graphql",
            json={"query": 'query { ...F } fragment F on Query { __type(name: "Query") { name } }'},
            headers=_auth(),
        )
    ).json()
    typename = (await client.post("/graphql", json=TYPENAME)).json()

    assert (page.status_code, asset.status_code) == (404, 404)
    for body in (anonymous, with_token, hidden_in_a_fragment):
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["INTROSPECTION_DISABLED"]
    assert typename == {"data": {"__typename": "Query"}, "extensions": typename["extensions"]}


async def test_production_may_enable_graphiql_with_introspection(server: Client) -> None:
    client = await server(**PRODUCTION, graphiql=True)

    page = await client.get("/graphql", headers=HTML)
    asset = await client.get("/graphiql/assets/graphiql.min.js")
    body = (await client.post("/graphql", json=SCHEMA)).json()

    assert (page.status_code, asset.status_code) == (200, 200)
    assert "const defaultHeaders = undefined;" in page.text and "Bearer" not in page.text
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_introspection_may_be_switched_off_in_development(server: Client) -> None:
    client = await server(env="development", introspection=False)

    body = (await client.post("/graphql", json=SCHEMA)).json()
    page = await client.get("/graphql", headers=HTML)

    assert [e["extensions"]["code"] for e in body["errors"]] == ["INTROSPECTION_DISABLED"]
    assert page.status_code == 200  # GraphiQL itself stays; only the schema is withheld


# --- CORS -------------------------------------------------------------------------------------


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }


async def test_production_allows_no_origin_by_default(server: Client) -> None:
    client = await server(**PRODUCTION)

    preflight = await client.options("/graphql", headers=_preflight("https://app.example.am"))
    answer = await client.post(
        "/graphql", json=TYPENAME, headers={"Origin": "https://app.example.am"}
    )

    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in answer.headers


async def test_production_allows_the_listed_origins_only(server: Client) -> None:
    client = await server(**PRODUCTION, cors_origins=["https://app.example.am"])

    allowed = await client.options("/graphql", headers=_preflight("https://app.example.am"))
    other = await client.options("/graphql", headers=_preflight("https://evil.example"))
    answer = await client.post(
        "/graphql", json=TYPENAME, headers={"Origin": "https://app.example.am"}
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.am"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    assert answer.headers["access-control-allow-origin"] == "https://app.example.am"
    assert "access-control-allow-credentials" not in answer.headers  # tokens, not cookies


async def test_development_allows_local_front_ends_only(server: Client) -> None:
    client = await server(env="development")

    local = await client.options("/graphql", headers=_preflight("http://localhost:3000"))
    loopback = await client.options("/graphql", headers=_preflight("http://127.0.0.1:5173"))
    remote = await client.options("/graphql", headers=_preflight("https://evil.example"))

    assert local.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert loopback.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"
    assert "access-control-allow-origin" not in remote.headers


# --- Security headers -------------------------------------------------------------------------


async def test_every_answer_carries_the_security_headers(server: Client) -> None:
    client = await server(**PRODUCTION, max_body_bytes=100)

    answers = {
        "graphql": await client.post("/graphql", json=TYPENAME),
        "health": await client.get("/healthz"),
        "missing": await client.get("/nowhere"),
        "too large": await client.post("/graphql", content=b"x" * 200),
        "webhook": await client.post("/webhooks/arca", content=b"{}"),
    }

    assert answers["too large"].status_code == 413
    for name, answer in answers.items():
        headers = answer.headers
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["content-security-policy"] == "frame-ancestors 'none'", name
        assert headers["x-frame-options"] == "DENY", name
        assert headers["referrer-policy"] == "no-referrer", name
        assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains", name


async def test_a_page_keeps_its_own_policy_and_plain_http_gets_no_hsts(server: Client) -> None:
    client = await server(env="development", public_url="http://127.0.0.1:8000")

    page = await client.get("/graphql", headers=HTML)
    answer = await client.post("/graphql", json=TYPENAME)

    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy  # GraphiQL's own, for its assets
    assert policy.endswith("frame-ancestors 'none'")
    assert "x-frame-options" not in page.headers  # the page's policy says it already
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in answer.headers
    assert "strict-transport-security" not in page.headers


# --- Refusing to start ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "secret", "names"),
    [
        ({"public_url": None}, JWT_SECRET, "PAYABLE_PUBLIC_URL is 'http://127.0.0.1:8000'"),
        ({"public_url": "http://0.0.0.0:8000"}, JWT_SECRET, "PAYABLE_PUBLIC_URL"),
        ({"public_url": "http://localhost"}, JWT_SECRET, "PAYABLE_PUBLIC_URL"),
        ({}, "short-secret", "PAYABLE_JWT_SECRET is unset or shorter than 32"),
        ({}, "CHANGE-ME-example-jwt-secret-0123456789abcdef", "PAYABLE_JWT_SECRET is an example"),
        ({"metrics_token": "change-me-metrics"}, JWT_SECRET, "PAYABLE_METRICS_TOKEN is an example"),
    ],
    ids=["no public url", "wildcard host", "loopback", "short secret", "example", "metrics"],
)
def test_production_refuses_to_start_without_a_public_url_or_a_real_secret(
    database_url: str, values: dict[str, Any], secret: str, names: str
) -> None:
    chosen = {k: v for k, v in (PRODUCTION | values).items() if v is not None}
    settings = Settings(workers_enabled=False, **chosen)

    with pytest.raises(RefusedToStart) as refused:
        create_app(database_url=database_url, jwt_secret=secret, settings=settings)

    message = str(refused.value)
    assert message.startswith("Refusing to start in production: " + names)
    assert message.endswith("PAYABLE_ENV=development (or demo) for a test server.")


def test_serve_on_every_interface_in_production_needs_a_public_url(tmp_path: Path) -> None:
    """The Docker recipe's `--host 0.0.0.0` no longer makes links to http://0.0.0.0:8000."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYABLE_")}
    done = subprocess.run(
        [sys.executable, "-m", "payable", "serve", "--host", "0.0.0.0", "--port", "1"],
        env=env
        | {
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",  # refused before connecting
            "PAYABLE_JWT_SECRET": JWT_SECRET,
            "PAYABLE_DEFAULT_PROVIDER": "arca",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Refusing to start in production: PAYABLE_PUBLIC_URL is")


def test_development_on_every_interface_links_to_loopback(database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYABLE_")}
    env |= {
        "DATABASE_URL": database_url,
        "PAYABLE_JWT_SECRET": JWT_SECRET,
        "PAYABLE_ENV": "development",
        "PAYABLE_WORKERS_ENABLED": "false",
    }
    base, process = _start(env, "--host", "0.0.0.0")
    try:
        auth = _auth(f"t-{uuid.uuid4().hex[:12]}")
        created = httpx.post(
            f"{base}/graphql",
            json={"query": CREATE_TOUR, "variables": {"input": tour_input()}},
            headers=auth,
        ).json()
        booking = created["data"]["createTourBooking"]["booking"]["id"]
        link = httpx.post(
            f"{base}/graphql",
            json={"query": CREATE_REQUEST, "variables": {"input": {"bookingId": booking}}},
            headers=auth,
        ).json()["data"]["createPaymentRequest"]["paymentRequest"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)

    assert link["paymentUrl"].startswith(base + "/")  # http://127.0.0.1:<port>/, not 0.0.0.0
