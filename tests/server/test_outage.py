"""A database that cannot be reached is an outage, answered 503 with Retry-After, not a 500."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from payable.app import create_app
from payable.core.principal import Role
from payable.core.tokens import issue
from payable.providers.base import OrderState
from payable.sandbox.callbacks import callback_body
from payable.sandbox.signing import signed_headers
from payable.settings import Settings
from tests.conftest import JWT_SECRET, SANDBOX_SECRET

NOWHERE = "postgresql://payable@127.0.0.1:1/payable"  # nothing listens on port 1


@pytest.fixture
async def down() -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        env="development", workers_enabled=False, sandbox_webhook_secrets=[SANDBOX_SECRET]
    )
    app = create_app(database_url=NOWHERE, jwt_secret=JWT_SECRET, settings=settings)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://payable.test") as client:
        yield client
    await app.state.db.dispose()


async def test_graphql_answers_service_unavailable(down: httpx.AsyncClient) -> None:
    token = issue(
        secret=JWT_SECRET, tenant="acme", role=Role.OPERATOR, sub="a", ttl=timedelta(minutes=5)
    )
    response = await down.post(
        "/graphql",
        json={"query": "{ bookings { totalCount } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryAfter": 5}
    assert "idempotencyKey" in error["message"]


async def test_webhooks_and_pages_answer_503_so_they_are_retried(down: httpx.AsyncClient) -> None:
    body = callback_body(str(uuid.uuid4()), OrderState.PAID)
    callback = await down.post(
        "/webhooks/sandbox", content=body, headers=signed_headers(SANDBOX_SECRET, body)
    )
    returned = await down.get(f"/payments/return/{uuid.uuid4()}")
    page = await down.get(f"/sandbox/pay/{uuid.uuid4()}")
    approved = await down.post(f"/sandbox/pay/{uuid.uuid4()}", data={"outcome": "approve"})
    statuses = [r.status_code for r in (callback, returned, page, approved)]
    assert statuses == [503, 503, 503, 503]
    assert {r.headers["retry-after"] for r in (callback, returned, page, approved)} == {"5"}
    assert (await down.get("/healthz")).status_code == 200
    assert (await down.get("/readyz")).status_code == 503
