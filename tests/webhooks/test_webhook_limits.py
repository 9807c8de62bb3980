"""Webhooks store only what deserves it: a size limit before reading, unsigned bodies not kept."""

from __future__ import annotations

import hashlib
import uuid

import asyncpg
import httpx

from payable.providers.base import OrderState
from payable.sandbox.callbacks import callback_body
from payable.sandbox.signing import signed_headers
from tests.conftest import SANDBOX_SECRET


async def _rows(db: asyncpg.Connection) -> int:
    return await db.fetchval("SELECT count(*) FROM provider_callbacks")


async def test_an_unsigned_body_is_counted_and_summarised_not_stored(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = callback_body(str(uuid.uuid4()), OrderState.PAID) + b" " * 50_000

    response = await client.post("/webhooks/sandbox", content=body)

    assert response.status_code == 401
    row = await db.fetchrow(
        "SELECT * FROM provider_callbacks WHERE error LIKE $1",
        f"%sha256 {hashlib.sha256(body).hexdigest()}",
    )
    assert (row["status"], row["signature_valid"], row["body"]) == ("REJECTED", False, b"")
    assert row["error"].startswith("missing or malformed signature headers; ")
    assert f"{len(body)} bytes" in row["error"]


async def test_a_body_over_the_webhook_limit_is_413_and_never_stored(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    before = await _rows(db)
    body = b"x" * (64 * 1024 + 1)

    response = await client.post(
        "/webhooks/sandbox", content=body, headers=signed_headers(SANDBOX_SECRET, body)
    )

    assert response.status_code == 413
    assert await _rows(db) == before

    async def streamed():  # type: ignore[no-untyped-def]
        for _ in range(200):  # 10 MB without a Content-Length: cut off at 64 KiB
            yield b"y" * 50_000

    response = await client.post("/webhooks/sandbox", content=streamed())
    assert response.status_code == 413
    assert await _rows(db) == before
    # and a real callback is still answered
    small = callback_body(str(uuid.uuid4()), OrderState.PAID)
    response = await client.post(
        "/webhooks/sandbox", content=small, headers=signed_headers(SANDBOX_SECRET, small)
    )
    assert response.status_code == 200
    assert await _rows(db) == before + 1


async def test_an_unknown_provider_is_404_and_nothing_is_stored(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    before = await _rows(db)
    response = await client.post("/webhooks/nosuchbank", content=b"z" * 60_000)
    assert response.status_code == 404
    assert await _rows(db) == before
