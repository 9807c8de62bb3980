"""Rate limits per token and per client address (in this process), and bounded provisioning."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from payable.app import create_app
from payable.core.principal import Role
from payable.core.tokens import issue
from payable.settings import Settings
from tests.conftest import JWT_SECRET, SANDBOX_SECRET

COUNT = {"query": "{ bookings { totalCount } }"}
Client = Callable[..., Any]


def _token(tenant: str, sub: str = "a") -> dict[str, str]:
    token = issue(
        secret=JWT_SECRET, tenant=tenant, role=Role.OPERATOR, sub=sub, ttl=timedelta(minutes=5)
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def limited(database_url: str) -> AsyncIterator[Client]:
    """A client of an app of its own, with small limits."""
    apps: list[Any] = []
    clients: list[httpx.AsyncClient] = []

    async def make(**limits: str) -> httpx.AsyncClient:
        settings = Settings(
            env="development",
            workers_enabled=False,
            sandbox_webhook_secrets=[SANDBOX_SECRET],
            **limits,
        )
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


def _refused_graphql(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 3600  # within the window
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == int(response.headers["retry-after"])


async def test_a_token_is_limited_alone(limited: Client) -> None:
    client = await limited(rate_limit_per_token="2/minute", rate_limit_per_address="100/minute")
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    first, second = _token(tenant, "a"), _token(tenant, "b")
    answers = [await client.post("/graphql", json=COUNT, headers=first) for _ in range(2)]
    assert [r.status_code for r in answers] == [200, 200]
    _refused_graphql(await client.post("/graphql", json=COUNT, headers=first))
    other = await client.post("/graphql", json=COUNT, headers=second)  # another token: its own
    assert other.json() == {
        "data": {"bookings": {"totalCount": 0}},
        "extensions": other.json()["extensions"],
    }


async def test_an_address_is_limited_whatever_the_token(limited: Client) -> None:
    client = await limited(rate_limit_per_address="3/minute")
    statuses = [
        (
            await client.post("/graphql", json=COUNT, headers=_token(f"t-{uuid.uuid4().hex[:12]}"))
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 200]
    _refused_graphql(await client.post("/graphql", json=COUNT))  # anonymous too


async def test_new_tenants_from_tokens_are_bounded(limited: Client) -> None:
    client = await limited(rate_limit_new_tenants="2/hour")
    known = f"t-{uuid.uuid4().hex[:12]}"
    assert (await client.post("/graphql", json=COUNT, headers=_token(known))).status_code == 200
    second = await client.post("/graphql", json=COUNT, headers=_token(f"t-{uuid.uuid4().hex[:12]}"))
    assert second.status_code == 200
    _refused_graphql(
        await client.post("/graphql", json=COUNT, headers=_token(f"t-{uuid.uuid4().hex[:12]}"))
    )
    again = await client.post("/graphql", json=COUNT, headers=_token(known, "other-user"))
    assert again.status_code == 200  # a tenant that exists is not new


async def test_webhooks_and_the_return_page_are_limited_per_address(limited: Client) -> None:
    client = await limited(rate_limit_webhooks="2/minute", rate_limit_return_page="2/minute")
    hooks = [(await client.post("/webhooks/sandbox", content=b"{}")).status_code for _ in range(3)]
    pages = [(await client.get(f"/payments/return/{uuid.uuid4()}")).status_code for _ in range(3)]
    assert hooks == [401, 401, 429]
    assert pages == [404, 404, 429]
    assert (await client.post("/graphql", json=COUNT)).status_code == 200  # GraphQL apart
